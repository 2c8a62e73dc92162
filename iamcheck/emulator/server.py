"""Serving the emulator with uvicorn: in a thread (tests, --demo) or in the foreground."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from iamcheck.emulator.app import create_app
from iamcheck.emulator.backend import Backend

LOOPBACK = "127.0.0.1"


def _config(backend: Backend, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(backend),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,  # keep uvicorn off logging's global config (and off a stale stderr)
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",
        ws_ping_interval=None,
    )


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Accepted connections inherit this; without it every response waits ~40 ms (Nagle vs
    # delayed ACK) because the loop cannot tell a socket made here is TCP.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Listening now, not when uvicorn starts: a client that connects as soon as the banner
    # names the URL waits in the backlog instead of being refused.
    sock.listen(2048)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmulatorServer:
    """A served emulator on a free port of its own, started and stopped by its owner."""

    def __init__(self, backend: Backend, host: str = LOOPBACK, port: int = 0) -> None:
        self.backend = backend
        self._sock = bind(host, port)
        self.host, self.port = host, self._sock.getsockname()[1]
        self._server = uvicorn.Server(_config(backend, host, self.port))
        self._thread = threading.Thread(target=self._run, name="iamcheck-emulator", daemon=True)

    @property
    def url(self) -> str:
        return base_url(self._sock)

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    def start(self) -> EmulatorServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(backend: Backend, sock: socket.socket) -> None:
    """Serve in the foreground until Ctrl-C (uvicorn installs the signal handlers)."""
    host, port = sock.getsockname()[:2]
    uvicorn.Server(_config(backend, host, port)).run(sockets=[sock])
