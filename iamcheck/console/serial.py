"""The serial console bridge: the console WebSocket (binary frames) <-> this terminal, in raw mode.

Raw mode passes every key to the instance (Ctrl-C, Ctrl-], SysRq sequences, GRUB's arrows);
`~.` at the start of a line disconnects, as in ssh. The terminal is restored on any exit.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from types import FrameType
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from iamcheck import __version__
from iamcheck.errors import ApiFailure

ESCAPE_HELP = (
    b"\r\nSupported escape sequences (at the start of a line):\r\n"
    b"  ~.  disconnect\r\n  ~?  this help\r\n  ~~  send a single ~\r\n"
)
USER_CLOSE = "client disconnected"


@dataclass(frozen=True)
class HandshakeAnswer:
    """The console's answer when it refused the WebSocket handshake (HTTP status and body)."""

    status: int
    body: str


class HandshakeRefused(Exception):
    def __init__(self, refused: HandshakeAnswer) -> None:
        super().__init__(f"HTTP {refused.status}: {refused.body}")
        self.refused = refused


@dataclass(frozen=True)
class SessionEnd:
    by_user: bool  # ~. or end of input
    code: int | None = None  # the close frame's code; None when the connection just dropped
    reason: str = ""


class EscapeFilter:
    """ssh's escape character: `~` at the start of a line begins a command (`.`, `?`, `~`)."""

    def __init__(self) -> None:
        self.line_start = True
        self.pending = False

    def feed(self, data: bytes) -> tuple[bytes, list[str]]:
        """Bytes to send on, and the commands typed: "disconnect" or "help"."""
        out = bytearray()
        actions: list[str] = []
        for byte in data:
            char = bytes([byte])
            if self.pending:
                self.pending = False
                if char == b".":
                    actions.append("disconnect")
                    return bytes(out), actions
                if char == b"?":
                    actions.append("help")
                    continue  # still at the start of a line
                if char == b"~":
                    out += b"~"
                    self.line_start = False
                    continue
                out += b"~"  # not a command: send both, as ssh does
            elif self.line_start and char == b"~":
                self.pending = True
                continue
            out += char
            self.line_start = char in (b"\r", b"\n")
        return bytes(out), actions


@contextmanager
def open_websocket(url: str) -> Iterator[ClientConnection]:
    """Connect without subprotocol or compression, as websocat does; binary frames follow."""
    with ExitStack() as stack:
        try:
            ws = stack.enter_context(connect(
                url,
                compression=None,
                open_timeout=20,
                max_size=None,
                user_agent_header=f"iamcheck/{__version__}",
            ))
        except InvalidStatus as err:
            body = err.response.body or b""
            text = body.decode("utf-8", "replace").strip()[:300]
            raise HandshakeRefused(HandshakeAnswer(err.response.status_code, text)) from None
        except (InvalidHandshake, InvalidURI, OSError, TimeoutError) as err:
            host = url.split("?", 1)[0]  # never show the token
            raise ApiFailure(f"cannot open the console WebSocket {host} ({err})") from None
        yield ws


class _Hangup(Exception):
    """SIGTERM or SIGHUP during a session: unwind so that the terminal is restored."""


def _hangup(signum: int, frame: FrameType | None) -> None:
    raise _Hangup(signal.Signals(signum).name)


@contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """Raw mode on a terminal (nothing on a pipe); restored however the block ends."""
    if not os.isatty(fd):
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    handlers: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            handlers[sig] = signal.signal(sig, _hangup)
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        with suppress(termios.error):  # a terminal that hung up has nothing to restore
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def bridge(ws: ClientConnection, stdin_fd: int, stdout_fd: int) -> SessionEnd:
    """Copy the console to stdout and stdin to the console until either side ends."""
    closed: list[SessionEnd] = []
    wake_r, wake_w = os.pipe()

    def pump() -> None:
        try:
            while True:
                message = ws.recv()
                _write_all(stdout_fd, message.encode() if isinstance(message, str) else message)
        except ConnectionClosed as exc:
            frame = exc.rcvd
            closed.append(SessionEnd(False, frame.code if frame else None,
                                     frame.reason if frame else ""))
        except OSError as exc:
            closed.append(SessionEnd(False, None, f"cannot write to the terminal: {exc}"))
        finally:
            os.write(wake_w, b"x")

    reader = threading.Thread(target=pump, name="iamcheck-serial", daemon=True)
    reader.start()
    escape = EscapeFilter()
    by_user = False
    try:
        while not by_user:
            ready, _, _ = select.select([stdin_fd, wake_r], [], [])
            if wake_r in ready:
                break
            data = os.read(stdin_fd, 4096)
            if not data:  # end of input
                by_user = True
                break
            send, actions = escape.feed(data)
            if send:
                try:
                    ws.send(send)  # bytes: a binary frame
                except ConnectionClosed:
                    break
            if "help" in actions:
                _write_all(stdout_fd, ESCAPE_HELP)
            by_user = "disconnect" in actions
    finally:
        with suppress(Exception):
            ws.close(1000, USER_CLOSE)
        reader.join(timeout=5)
        if not reader.is_alive():  # else it may still write to wake_w: leave the pipe open
            os.close(wake_r)
            os.close(wake_w)
    if by_user:
        return SessionEnd(True, 1000, USER_CLOSE)
    return closed[0] if closed else SessionEnd(False)


def run_serial(url: str, stdin_fd: int, stdout_fd: int) -> SessionEnd:
    """Connect, then bridge in raw mode; the terminal is restored before this returns."""
    with open_websocket(url) as ws:
        try:
            with raw_terminal(stdin_fd):
                return bridge(ws, stdin_fd, stdout_fd)
        except _Hangup as hangup:
            return SessionEnd(True, None, f"{hangup} received")
