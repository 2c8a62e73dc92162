"""`iamcheck console`: check everything that would make opening a console fail, then open it.

preflight (pure checks over model values) -> session (the single-use console access token and
its WebSocket URL) -> serial (the terminal bridge) or novnc (the browser URL); flow wires them.
"""
