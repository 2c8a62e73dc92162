"""Serving the emulator with uvicorn: in a background thread (tests, --demo) or in the foreground."""

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
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",
        ws_ping_interval=None,
    )


class EmulatorServer:
    """A served emulator on a free port of its own, started and stopped by its owner."""

    def __init__(self, backend: Backend, host: str = LOOPBACK, port: int = 0) -> None:
        self.backend = backend
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = host, self._sock.getsockname()[1]
        self._server = uvicorn.Server(_config(backend, host, self.port))
        self._thread = threading.Thread(target=self._run, name="iamcheck-emulator", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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


def serve_forever(backend: Backend, host: str, port: int) -> None:
    """Serve in the foreground until Ctrl-C (uvicorn installs the signal handlers)."""
    uvicorn.Server(_config(backend, host, port)).run()
