"""noVNC URLs that need no manual settings (ibm-iam-semantics.md §7.3, noVNC docs/EMBEDDING.md).

IBM's manual steps fill in noVNC's host, port 443, path and Encrypt by hand. The same settings
travel in the URL fragment, which the browser never sends to the page's server, so the
single-use token stays out of that server's logs. The legacy host/port/encrypt/path form is
understood by old and new noVNC alike.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit, urlunsplit

from iamcheck.errors import BadInput

DEFAULT_NOVNC_URL = "https://novnc.com/noVNC/vnc.html"  # what IBM's documentation uses
ENV_NOVNC_URL = "IAMCHECK_NOVNC_URL"


def novnc_base(flag: str | None) -> str:
    """--novnc-url, else IAMCHECK_NOVNC_URL, else IBM's documented page."""
    value = flag or os.environ.get(ENV_NOVNC_URL) or DEFAULT_NOVNC_URL
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"--novnc-url: '{value[:120]}' is not an http(s) URL of noVNC's vnc.html")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def novnc_url(websocket_url: str, base: str = DEFAULT_NOVNC_URL) -> str:
    """noVNC's page with host, port, encrypt, autoconnect and the percent-encoded path (the
    WebSocket path and query, relative: noVNC puts a `/` between host and path)."""
    parts = urlsplit(websocket_url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a WebSocket URL: {parts.scheme}://")
    encrypt = parts.scheme == "wss"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port or (443 if encrypt else 80)
    path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    settings = [
        ("host", host),
        ("port", str(port)),
        ("encrypt", "1" if encrypt else "0"),
        ("autoconnect", "1"),
        ("path", path),
    ]
    fragment = "&".join(f"{key}={quote(value, safe='')}" for key, value in settings)
    return f"{base}#{fragment}"
