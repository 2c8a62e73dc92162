"""`iamcheck grant` and `iamcheck revoke`: plan the smallest change (plan.py, revoke.py, pure),
apply and verify it (apply.py), record it (log.py), describe it (document.py); run.py wires them.
"""
