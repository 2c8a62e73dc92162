"""`iamcheck console`: check everything that would make opening a console fail, then open it.

run checks the options, reads (the caller's access as `check` decides it, the instance, its
image), calls preflight (pure checks; platform tells TDX, z/OS and custom images apart) and opens
the console; session creates the single-use token and its WebSocket URL; serial bridges it to
the terminal, novnc builds the browser URL; document builds the console document and the notes
on the end of a session.
"""
