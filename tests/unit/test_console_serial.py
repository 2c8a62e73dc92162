"""The serial bridge on a real pseudo-terminal against a real WebSocket server: raw mode,
binary frames, the ssh-style escape, Ctrl-] passed through, the terminal restored, and why a
session ended."""

from __future__ import annotations

import os
import select
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from iamcheck.console.serial import EscapeFilter, HandshakeRefused, SessionEnd, run_serial

IDLE_REASON = "session closed: idle for 600 seconds (idle limit)"


@pytest.mark.parametrize(("typed", "sent", "actions"), [
    (b"ls\r", b"ls\r", []),
    (b"~.", b"", ["disconnect"]),
    (b"echo hi\r~.", b"echo hi\r", ["disconnect"]),
    (b"a~.", b"a~.", []),  # not at the start of a line
    (b"~~x", b"~x", []),
    (b"~?", b"", ["help"]),
    (b"~x", b"~x", []),
    (b"\x1d\x03", b"\x1d\x03", []),  # Ctrl-] and Ctrl-C go to the instance
    (b"\n~.", b"\n", ["disconnect"]),
])
def test_escape_filter_works_like_ssh(typed: bytes, sent: bytes, actions: list[str]) -> None:
    assert EscapeFilter().feed(typed) == (sent, actions)


def test_escape_survives_a_split_read() -> None:
    escape = EscapeFilter()
    assert escape.feed(b"date\r~") == (b"date\r", [])
    assert escape.feed(b".") == (b"", ["disconnect"])


@dataclass
class Console:
    """A stand-in console WebSocket: greets, echoes what it gets, closes on `quit`."""

    url: str
    received: list[Any] = field(default_factory=list)


def _handler(console: Console) -> Any:
    def handle(ws: ServerConnection) -> None:
        with suppress(ConnectionClosed):  # a client may be gone before the greeting
            ws.send(b"\r\ntest login: ")
        for message in ws:  # what came before the close is still delivered
            console.received.append(message)
            if message == b"quit\r":
                ws.close(4002, IDLE_REASON)
                return
            with suppress(ConnectionClosed):
                ws.send(message if isinstance(message, bytes) else b"TEXT?")
    return handle


def _busy(connection: ServerConnection, request: Any) -> Any:
    if request.path.startswith("/busy"):
        return connection.respond(HTTPStatus.CONFLICT, "console in use\n")
    return None


@pytest.fixture
def console() -> Iterator[Console]:
    holder = Console("")
    server: Server = serve(_handler(holder), "127.0.0.1", 0, process_request=_busy)
    port = server.socket.getsockname()[1]
    holder.url = f"ws://127.0.0.1:{port}/v1/instances/x/console?access_token=t"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder
    server.shutdown()
    thread.join(5)


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """(controller, terminal): type into the first, the bridge uses the second."""
    controller, term = os.openpty()
    yield controller, term
    os.close(controller)
    os.close(term)


def _read_until(fd: int, wanted: bytes, timeout: float = 5.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"{wanted!r} never came; saw {seen!r}")
        seen += os.read(fd, 4096)
    return seen


def _start(url: str, term: int) -> tuple[threading.Thread, list[SessionEnd]]:
    ends: list[SessionEnd] = []
    thread = threading.Thread(target=lambda: ends.append(run_serial(url, term, term)))
    thread.start()
    return thread, ends


def _is_raw(term: int) -> bool:
    lflag = termios.tcgetattr(term)[3]
    return not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)


def test_the_bridge_runs_raw_sends_binary_frames_and_tilde_dot_restores_the_terminal(
    console: Console, terminal: tuple[int, int]
) -> None:
    controller, term = terminal
    before = termios.tcgetattr(term)
    thread, ends = _start(console.url, term)
    _read_until(controller, b"test login: ")
    assert _is_raw(term)
    os.write(controller, b"root\r")
    _read_until(controller, b"root\r")  # the console's echo, not the terminal's
    os.write(controller, b"\x1d\r")
    _read_until(controller, b"\x1d\r")
    os.write(controller, b"~.")
    thread.join(5)
    assert ends == [SessionEnd(True, 1000, "client disconnected")]
    assert termios.tcgetattr(term) == before
    assert b"".join(console.received) == b"root\r\x1d\r"
    assert all(isinstance(m, bytes) for m in console.received)  # binary frames, as websocat -b


def test_the_close_reason_of_the_console_is_returned_and_the_terminal_restored(
    console: Console, terminal: tuple[int, int]
) -> None:
    controller, term = terminal
    before = termios.tcgetattr(term)
    thread, ends = _start(console.url, term)
    _read_until(controller, b"login: ")
    os.write(controller, b"quit\r")
    thread.join(5)
    assert ends == [SessionEnd(False, 4002, IDLE_REASON)]
    assert termios.tcgetattr(term) == before


def test_tilde_question_mark_prints_the_escapes_locally(
    console: Console, terminal: tuple[int, int]
) -> None:
    controller, term = terminal
    thread, _ = _start(console.url, term)
    _read_until(controller, b"login: ")
    os.write(controller, b"~?")
    _read_until(controller, b"~.  disconnect")
    os.write(controller, b"~.")
    thread.join(5)
    assert console.received == []


def test_a_refused_handshake_carries_the_status_and_body(console: Console) -> None:
    with pytest.raises(HandshakeRefused) as err:
        run_serial(console.url.replace("/v1/", "/busy/v1/"), 0, 1)
    assert (err.value.refused.status, err.value.refused.body) == (409, "console in use")


def test_end_of_input_on_a_pipe_ends_the_session(console: Console) -> None:
    read_end, write_end = os.pipe()
    out_r, out_w = os.pipe()
    os.write(write_end, b"root\r")
    os.close(write_end)
    try:
        end = run_serial(console.url, read_end, out_w)
    finally:
        os.close(read_end)
        os.close(out_w)
        os.close(out_r)
    assert end.by_user
    deadline = time.monotonic() + 5
    while not console.received and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's thread may not have handled it yet
    assert console.received == [b"root\r"]
