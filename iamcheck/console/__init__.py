"""`iamcheck console`: check everything that would make opening a console fail, then open it.

flow reads (the caller's access as `check` decides it, the instance, its image) and calls
preflight (pure checks; platform tells TDX, z/OS and custom images apart); session creates the
single-use token and its WebSocket URL; serial bridges it to the terminal, novnc builds the
browser URL; report renders the pre-flight and the end of a session.
"""
