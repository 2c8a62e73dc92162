"""`audit`: who can open the console of which instances, what is risky, and expectations.

run checks the input, reads the account (or a snapshot) and decides; document builds the audit
document every audit format renders.
"""
