"""The VNC console WebSocket, read by a small RFB 3.8 client the way noVNC reads it: handshake,
ServerInit, SetPixelFormat, a Raw framebuffer update showing the login prompt on the emulator's
background colour, key events typing into it, and at most two sessions."""

from __future__ import annotations

import asyncio
import functools
import struct
from collections import Counter

import pytest
from websockets.asyncio.client import ClientConnection

from iamcheck.emulator.rfb import (
    BACKGROUND,
    CELL_H,
    FOREGROUND,
    HEIGHT,
    MARGIN,
    WIDTH,
    PixelFormat,
    RfbError,
    RfbServer,
    Screen,
)
from iamcheck.emulator.serial import SerialShell
from tests.conftest import Emulator
from tests.emulator.test_console_token import (
    closed_with,
    open_socket,
    socket_url,
    token,
)

# noVNC's choice: 32 bpp, depth 24, little-endian, red in the low byte.
NOVNC_FORMAT = PixelFormat(32, 24, False, True, 255, 255, 255, 0, 8, 16)
RETURN = 0xFF0D


class RfbClient:
    """RFB is a byte stream: WebSocket message boundaries mean nothing, so buffer."""

    def __init__(self, ws: ClientConnection, pixel_format: PixelFormat = NOVNC_FORMAT) -> None:
        self.ws = ws
        self.format = pixel_format
        self.buffer = b""
        self.frame = bytearray(WIDTH * HEIGHT * pixel_format.bits_per_pixel // 8)

    async def read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            frame = await asyncio.wait_for(self.ws.recv(), 5)
            assert isinstance(frame, bytes)
            self.buffer += frame
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    async def handshake(self) -> tuple[int, int, str]:
        assert await self.read(12) == b"RFB 003.008\n"
        await self.ws.send(b"RFB 003.008\n")
        assert await self.read(2) == b"\x01\x01"  # one security type: None
        await self.ws.send(b"\x01")
        assert await self.read(4) == b"\x00\x00\x00\x00"  # SecurityResult OK
        await self.ws.send(b"\x01")  # ClientInit, shared
        width, height = struct.unpack(">HH", await self.read(4))
        assert PixelFormat.unpack(await self.read(16)).bits_per_pixel == 32
        (length,) = struct.unpack(">I", await self.read(4))
        name = (await self.read(length)).decode()
        await self.ws.send(struct.pack(">BxxxB", 0, 0)[:4] + self.format.pack())  # SetPixelFormat
        await self.ws.send(struct.pack(">BxHii", 2, 2, 0, -223))  # SetEncodings: Raw, DesktopSize
        return width, height, name

    async def request(self, incremental: bool = False) -> None:
        await self.ws.send(struct.pack(">BBHHHH", 3, incremental, 0, 0, WIDTH, HEIGHT))

    async def key(self, keysym: int) -> None:
        for down in (1, 0):
            await self.ws.send(struct.pack(">BBxxI", 4, down, keysym))

    async def update(self) -> None:
        """Read one FramebufferUpdate into `self.frame` (raw pixels in the client's format)."""
        kind, count = struct.unpack(">BxH", await self.read(4))
        assert kind == 0
        size = self.format.bits_per_pixel // 8
        for _ in range(count):
            x, y, w, h, encoding = struct.unpack(">HHHHi", await self.read(12))
            assert encoding == 0  # Raw
            raw = await self.read(w * h * size)
            for row in range(h):
                start = ((y + row) * WIDTH + x) * size
                self.frame[start:start + w * size] = raw[row * w * size:(row + 1) * w * size]

    def colours(self) -> Counter[tuple[int, int, int]]:
        size = self.format.bits_per_pixel // 8
        raw = Counter(bytes(self.frame[i:i + size]) for i in range(0, len(self.frame), size))
        return Counter({self._rgb(pixel): n for pixel, n in raw.items()})

    def text_row(self, row: int) -> set[int]:
        """The x positions of text pixels on screen line `row`."""
        size = self.format.bits_per_pixel // 8
        found = set()
        for y in range(MARGIN + row * CELL_H, MARGIN + (row + 1) * CELL_H):
            for x in range(WIDTH):
                start = (y * WIDTH + x) * size
                if self._rgb(bytes(self.frame[start:start + size])) == FOREGROUND:
                    found.add(x)
        return found

    @functools.lru_cache(maxsize=16)  # noqa: B019 - a handful of distinct pixels per test
    def _rgb(self, pixel: bytes) -> tuple[int, int, int]:
        value = int.from_bytes(pixel, "big" if self.format.big_endian else "little")
        f = self.format
        return tuple(  # type: ignore[return-value]
            round((value >> shift & top) * 255 / top)
            for shift, top in ((f.red_shift, f.red_max), (f.green_shift, f.green_max),
                               (f.blue_shift, f.blue_max)))


def expected_row(text: list[str], row: int) -> set[int]:
    """The same, drawn by the emulator's own screen from the text it should show."""
    screen = Screen()
    screen.write("\r\n".join(text))
    raw = screen.pixels()
    top = MARGIN + row * CELL_H
    return {i % WIDTH for i in range(top * WIDTH, (top + CELL_H) * WIDTH) if raw[i]}


def test_novnc_style_client_sees_the_login_prompt(demo: Emulator) -> None:
    async def session() -> None:
        ws = await open_socket(socket_url(token(demo, console_type="vnc")))
        client = RfbClient(ws)
        assert await client.handshake() == (640, 400, "pay-api-01")
        await client.request()
        await client.update()
        colours = client.colours()
        assert colours.most_common(1)[0][0] == BACKGROUND
        assert set(colours) == {BACKGROUND, FOREGROUND}
        # Line 3 of the screen reads "pay-api-01 login:", glyph for glyph.
        shown = ["", "Linux pay-api-01 ttyS0", "", "pay-api-01 login:"]
        assert client.text_row(3) == expected_row(shown, 3) != set()
        assert client.text_row(2) == set()
        # Typing logs in through the same shell as the serial console; an incremental
        # request is answered once the screen changed.
        for char in "root":
            await client.key(ord(char))
        await client.key(RETURN)
        password = expected_row([*shown, "Password:"], 4)
        for _ in range(10):  # each update shows the screen as it was when it was sent
            await client.request(incremental=True)
            await client.update()
            if client.text_row(4) == password:
                break
        assert client.text_row(4) == password
        assert client.text_row(3) == expected_row([*shown[:3], "pay-api-01 login: root"], 3)
        await ws.close()
    asyncio.run(session())


def test_other_pixel_formats_get_the_same_colours(demo: Emulator) -> None:
    big16 = PixelFormat(16, 16, True, True, 31, 63, 31, 11, 5, 0)

    async def session() -> None:
        ws = await open_socket(socket_url(token(demo, console_type="vnc")))
        client = RfbClient(ws, big16)
        await client.handshake()
        await client.request()
        await client.update()
        r, g, b = client.colours().most_common(1)[0][0]
        assert (abs(r - BACKGROUND[0]), abs(g - BACKGROUND[1]), abs(b - BACKGROUND[2])) < (
            9, 5, 9)
        await ws.close()
    asyncio.run(session())


def test_two_vnc_sessions_at_most(demo: Emulator) -> None:
    async def sessions() -> None:
        first = await open_socket(socket_url(token(demo, console_type="vnc")))
        second = await open_socket(socket_url(token(demo, console_type="vnc")))
        for ws in (first, second):
            assert await ws.recv() == b"RFB 003.008\n"
        third = await open_socket(socket_url(token(demo, console_type="vnc", force=True)))
        code, reason = await closed_with(third)
        assert code == 4009 and "allows 2 session(s)" in reason
        await first.close()
        await asyncio.sleep(0.1)
        fourth = await open_socket(socket_url(token(demo, console_type="vnc")))
        assert await fourth.recv() == b"RFB 003.008\n"  # a freed place can be taken again
        for ws in (second, fourth):
            await ws.close()
    asyncio.run(sessions())


def test_broken_client_is_closed_with_a_reason(demo: Emulator) -> None:
    async def session() -> None:
        ws = await open_socket(socket_url(token(demo, console_type="vnc")))
        await ws.recv()
        await ws.send(b"RFB 003.008\n")
        assert await ws.recv() == b"\x01\x01"
        await ws.send(b"\x02")  # asks for VNC authentication anyway
        result = await ws.recv()
        assert result[:4] == b"\x00\x00\x00\x01" and b"only None (1)" in result  # failed
        code, reason = await closed_with(ws)
        assert code == 1002 and "only None (1)" in reason
    asyncio.run(session())


def test_protocol_alone_speaks_rfb_3_3_and_colour_maps() -> None:
    server = RfbServer("box", SerialShell("box"))
    assert server.start() == b"RFB 003.008\n"
    assert server.receive(b"RFB 003.003\n") == struct.pack(">I", 1)  # 3.3: the server decides
    init = server.receive(b"\x01")
    assert init[:4] == struct.pack(">HH", WIDTH, HEIGHT) and init.endswith(b"\x00\x00\x00\x03box")
    palette = PixelFormat(8, 8, False, False, 0, 0, 0, 0, 0, 0)
    entries = server.receive(b"\x00\x00\x00\x00" + palette.pack())
    assert entries[:6] == struct.pack(">BxHH", 1, 0, 2)
    assert entries[6:12] == struct.pack(">HHH", *(c * 257 for c in BACKGROUND))
    update = server.receive(struct.pack(">BBHHHH", 3, 0, 0, 0, 2, 1))
    assert update == struct.pack(">BxHHHHHi", 0, 1, 0, 0, 2, 1, 0) + b"\x00\x00"
    assert server.receive(struct.pack(">BBHHHH", 3, 1, 0, 0, 2, 1)) == b""  # nothing new
    typed = server.receive(struct.pack(">BBxxI", 4, 1, ord("r")))  # a key answers it
    assert typed.startswith(struct.pack(">BxHHHHHi", 0, 1, 0, 0, 2, 1, 0))
    assert server.screen.text()[-1] == "box login: r"
    with pytest.raises(RfbError):
        server.receive(b"\x09")
