"""The serial console WebSocket: binary frames, the simulated login, one session (force takes
over), idle and total limits, and a stopped instance closing its consoles."""

from __future__ import annotations

import asyncio
import time

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from iamcheck.emulator.serial import PASSWORD, SerialShell
from tests.conftest import Emulator
from tests.emulator.test_console_token import (
    PAY_API,
    closed_with,
    control,
    open_socket,
    refusal,
    socket_url,
    token,
    vpc,
)


async def read_until(ws: ClientConnection, marker: bytes, timeout: float = 5) -> bytes:
    """Everything received up to and including `marker`; every frame must be binary."""
    seen = b""
    while marker not in seen:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        assert isinstance(frame, bytes), "the serial console sends binary frames"
        seen += frame
    return seen


async def log_in(ws: ClientConnection, user: str = "root", prompted: bool = False) -> bytes:
    if not prompted:
        await read_until(ws, b"pay-api-01 login: ")
    await ws.send(user.encode() + b"\r")
    await read_until(ws, b"Password: ")
    await ws.send(PASSWORD.encode() + b"\r")
    return await read_until(ws, f"{user}@pay-api-01:~".encode())


def test_login_shell_and_logout(demo: Emulator) -> None:
    async def session() -> None:
        ws = await open_socket(socket_url(token(demo)))
        banner = await read_until(ws, b"login: ")
        assert banner.endswith(b"\r\npay-api-01 login: ")
        await ws.send(b"ad")
        await ws.send(b"min\r")  # keystrokes arrive in pieces, as a terminal sends them
        echoed = await read_until(ws, b"Password: ")
        assert echoed.startswith(b"admin\r\n")  # echoed as typed
        await ws.send(b"wrong\r")
        refused = await read_until(ws, b"login: ")
        assert b"wrong" not in refused and b"Login incorrect" in refused  # no password echo
        await log_in(ws, prompted=True)
        await ws.send(b"uname -a\r")
        assert b"Linux pay-api-01 " in await read_until(ws, b"GNU/Linux")
        await ws.send(b"whoami\r")
        assert b"\r\nroot\r\n" in await read_until(ws, b":~# ")
        await ws.send("echo héllo\r".encode())  # UTF-8 in, UTF-8 out
        assert "héllo".encode() in await read_until(ws, b":~# ")
        await ws.send(b"reboot\r")
        assert b"reboot: command not found" in await read_until(ws, b":~# ")
        await ws.send(b"exit\r")
        assert b"logout" in await read_until(ws, b"pay-api-01 login: ")
        await ws.close()
    asyncio.run(session())


def test_text_frames_and_the_binary_subprotocol_are_accepted(demo: Emulator) -> None:
    async def session() -> None:
        ws = await open_socket(socket_url(token(demo)), subprotocols=["binary"])
        assert ws.subprotocol == "binary"
        await read_until(ws, b"login: ")
        await ws.send("root\r")  # a text frame, as websocat sends without --binary
        assert b"Password: " in await read_until(ws, b"Password: ")
        await ws.close()
    asyncio.run(session())


def test_one_session_and_force_takes_over(demo: Emulator) -> None:
    async def sessions() -> None:
        first = await open_socket(socket_url(token(demo)))
        await log_in(first)
        # A second serial token without force is refused while the session is open.
        code, error = refusal(lambda: vpc(demo).create_instance_console_access_token(
            PAY_API, "serial", force=False))
        assert (code, error["code"]) == (409, "console_in_use")
        second = await open_socket(socket_url(token(demo, force=True)))
        assert await closed_with(first) == (
            4001, "disconnected: another user took over the serial console (force)")
        await log_in(second, "ops")
        await second.close()
    asyncio.run(sessions())


def test_idle_limit_closes_the_session(demo: Emulator) -> None:
    control(demo, "config", {"console_idle_seconds": 0.4})

    async def session() -> None:
        ws = await open_socket(socket_url(token(demo)))
        await read_until(ws, b"login: ")
        started = time.monotonic()
        code, reason = await closed_with(ws)
        assert (code, reason) == (4002, "session closed: idle for 0.4 seconds (idle limit)")
        assert 0.3 < time.monotonic() - started < 3
    asyncio.run(session())


def test_total_limit_closes_an_active_session(demo: Emulator) -> None:
    control(demo, "config", {"console_idle_seconds": 0.5, "console_session_seconds": 1.2})

    async def session() -> None:
        ws = await open_socket(socket_url(token(demo)))
        started = time.monotonic()
        try:
            while True:  # typing every 0.2 s keeps the idle limit away
                await ws.send(b"x")
                await asyncio.sleep(0.2)
        except ConnectionClosed:
            pass  # closed by the session limit
        code, reason = await closed_with(ws)
        assert (code, reason) == (4003, "session closed: open for 1.2 seconds (session limit)")
        assert 1.0 < time.monotonic() - started < 4
    asyncio.run(session())


def test_stopping_the_instance_closes_its_consoles(demo: Emulator) -> None:
    async def session() -> None:
        serial = await open_socket(socket_url(token(demo)))
        vnc = await open_socket(socket_url(token(demo, console_type="vnc")))
        await log_in(serial)
        assert control(demo, f"instances/{PAY_API}/stop").status_code == 200
        assert await closed_with(serial) == (4004, "disconnected: the instance was stopped")
        assert (await closed_with(vnc))[0] == 4004
    asyncio.run(session())
    assert control(demo, f"instances/{PAY_API}/start").status_code == 200
    assert token(demo)["access_token"]


def test_a_session_closed_by_its_user_frees_the_console(demo: Emulator) -> None:
    async def sessions() -> None:
        for _ in range(2):
            ws = await open_socket(socket_url(token(demo)))
            await read_until(ws, b"login: ")
            await ws.close()
            await asyncio.sleep(0.05)
    asyncio.run(sessions())
    assert not demo.backend.console.sessions("us-south", PAY_API, "serial")


def test_shell_alone() -> None:
    shell = SerialShell("box-1", architecture="arm64")
    assert shell.start().endswith("box-1 login: ")
    assert shell.feed("\r") == "\r\nbox-1 login: "  # an empty name asks again
    assert shell.feed("al\x7fli\r\n") == "al\b \bli\r\nPassword: "  # backspace, CR LF once
    assert shell.feed(PASSWORD + "\r").endswith("ali@box-1:~$ ")
    assert "aarch64 GNU/Linux" in shell.feed("uname -a\r")
    assert shell.feed("id\r").startswith("id\r\nuid=1000(ali)")
    assert shell.feed("abc\x03").endswith("^C\r\nali@box-1:~$ ")
    assert shell.feed("\x04").endswith("box-1 login: ")
    assert shell.state == "login" and shell.user is None
