"""`iamcheck emulator serve` protects its control API with a per-run secret, and warns loudly
when it binds an address other than loopback (clients here still connect over loopback)."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time

import requests


def serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `serve --port 0 ARGS`; return it with everything it printed up to the prompt."""
    proc = subprocess.Popen([sys.executable, "-m", "iamcheck", "emulator", "serve", "--port", "0",
                             *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    stream, lines = proc.stderr, queue.Queue[str]()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen, deadline = "", time.monotonic() + 60
    while time.monotonic() < deadline and "Press Ctrl-C" not in seen:
        try:
            seen += lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                break
    if "Press Ctrl-C" not in seen:
        proc.kill()
        raise AssertionError(f"the emulator did not start: {seen}")
    return proc, seen


def get(url: str, **kwargs: object) -> requests.Response:
    """GET once the server listens (it prints its banner just before)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, timeout=10, **kwargs)  # type: ignore[arg-type]
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def test_loopback_serve_prints_the_secret_and_trusts_loopback() -> None:
    proc, printed = serve()
    try:
        assert "WARNING" not in printed
        url = re.search(r"base URL: (\S+)", printed)
        secret = re.search(r"X-Emulator-Secret: (\S+)", printed)
        assert url and secret and len(secret.group(1)) >= 24
        assert get(f"{url.group(1)}/_emulator/config").status_code == 200
    finally:
        stop(proc)


def test_serve_elsewhere_warns_and_needs_the_secret_even_from_loopback() -> None:
    proc, printed = serve("--host", "0.0.0.0")
    try:
        assert "WARNING: bound to 0.0.0.0, not loopback" in printed
        port = re.search(r"base URL: http://[^:]+:(\d+)", printed)
        secret = re.search(r"X-Emulator-Secret: (\S+)", printed)
        assert port and secret
        control = f"http://127.0.0.1:{port.group(1)}/_emulator/config"
        refused = get(control)
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
        allowed = get(control, headers={"X-Emulator-Secret": secret.group(1)})
        assert allowed.status_code == 200
    finally:
        stop(proc)


def test_the_bound_socket_takes_connections_before_it_serves() -> None:
    """`emulator serve` prints its URL once bound; a client that connects at once (CI, the
    benchmark) waits in the backlog instead of being refused while uvicorn starts."""
    import socket

    from iamcheck.emulator.server import bind

    sock = bind("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            pass
    finally:
        sock.close()
