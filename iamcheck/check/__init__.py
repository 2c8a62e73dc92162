"""`check`: one subject, one instance, one verdict with its reasons.

run reads what the pair needs (online, or from a snapshot) and decides; document builds the
check document every format renders.
"""
