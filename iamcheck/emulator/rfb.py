"""Just enough of RFB 3.8 (RFC 6143), server side, for noVNC to connect and draw a console.

Security type None only; ServerInit announces a WIDTH x HEIGHT framebuffer, 32 bpp true colour;
updates are Raw rectangles in whatever pixel format the client set. The framebuffer is a text
screen drawn with a small built-in 5x7 font (scaled 2x): BACKGROUND everywhere, FOREGROUND text,
starting with the serial shell's banner and "<instance name> login:". Key events type into that
shell, so the login works here as on the serial console. The protocol object does no I/O:
`start()` gives the server's first bytes, `receive(data)` the answer to what the client sent.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from iamcheck.emulator.serial import SerialShell

WIDTH, HEIGHT = 640, 400
BACKGROUND = (0x0B, 0x3D, 0x91)  # the distinctive "emulator console blue" tests look for
FOREGROUND = (0xF2, 0xF4, 0xF8)
PALETTE = (BACKGROUND, FOREGROUND)  # framebuffer pixels are indexes into this
SCALE, CELL_W, CELL_H, MARGIN = 2, 12, 18, 8
COLS, ROWS = (WIDTH - 2 * MARGIN) // CELL_W, (HEIGHT - 2 * MARGIN) // CELL_H

# 5x7 glyphs, one hex byte per row (bit 4 = leftmost column); g, j, p, q, y add two rows below
# the baseline. Upper case draws as lower case; a character without a glyph draws as "?".
FONT = {
    "0": "0e11131519110e", "1": "040c040404040e", "2": "0e11010204081f", "3": "1f02040201110e",
    "4": "02060a121f0202", "5": "1f101e0101110e", "6": "0608101e11110e", "7": "1f010204080808",
    "8": "0e11110e11110e", "9": "0e11110f01020c", "a": "00000e010f110f", "b": "1010161911111e",
    "c": "00000e1010110e", "d": "01010d1311110f", "e": "00000e111f100e", "f": "0609081c080808",
    "g": "00000f1111110f010e", "h": "10101619111111", "i": "04000c0404040e",
    "j": "02000602020202120c",
    "k": "10101214181412", "l": "0c04040404040e", "m": "00001a15151111", "n": "00001619111111",
    "o": "00000e1111110e", "p": "00001e1111111e1010", "q": "00000f1111110f0101",
    "r": "00001619101010",
    "s": "00000e100e011e", "t": "08081c08080906", "u": "0000111111130d", "v": "00001111110a04",
    "w": "0000111115150a", "x": "0000110a040a11", "y": "0000111111110f010e", "z": "00001f0204081f",
    "-": "0000001f000000", ":": "000c0c000c0c00", ".": "00000000000c0c", "_": "0000000000001f",
    "/": "00010204081000", "#": "0a0a1f0a1f0a0a", "$": "040f140e051e04", "@": "0e11171517100f",
    "~": "00000815020000", "(": "02040808080402", ")": "08040202020408", "[": "0e08080808080e",
    "]": "0e02020202020e", ",": "000000000c0408", "=": "00001f001f0000", "+": "0004041f040400",
    "!": "04040404040004", "?": "0e110102040004", "'": "04040800000000", ">": "08040201020408",
    "<": "02040810080402", "*": "00040e1f0e0400", "%": "18190204081303", "&": "0c12140815120d",
}


def _scaled(hex_rows: str) -> tuple[bytes, ...]:
    """A glyph as SCALE-times enlarged rows of palette indexes (0 background, 1 text)."""
    rows = bytes.fromhex(hex_rows.replace(" ", ""))
    out = []
    for row in rows:
        line = bytes(bit for col in range(4, -1, -1) for bit in [(row >> col) & 1] * SCALE)
        out += [line] * SCALE
    return tuple(out)


GLYPHS = {char: _scaled(rows) for char, rows in FONT.items()}


class RfbError(Exception):
    """The client broke the protocol; `reply` is sent, then the connection is closed with this
    message."""

    def __init__(self, message: str, reply: bytes = b"") -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True)
class PixelFormat:
    bits_per_pixel: int = 32
    depth: int = 24
    big_endian: bool = False
    true_colour: bool = True
    red_max: int = 255
    green_max: int = 255
    blue_max: int = 255
    red_shift: int = 16
    green_shift: int = 8
    blue_shift: int = 0

    _LAYOUT = ">BBBBHHHBBB3x"

    def pack(self) -> bytes:
        return struct.pack(self._LAYOUT, self.bits_per_pixel, self.depth, self.big_endian,
                           self.true_colour, self.red_max, self.green_max, self.blue_max,
                           self.red_shift, self.green_shift, self.blue_shift)

    @classmethod
    def unpack(cls, data: bytes) -> PixelFormat:
        bpp, depth, big, true, rmax, gmax, bmax, rs, gs, bs = struct.unpack(cls._LAYOUT, data)
        if bpp not in (8, 16, 32):
            raise RfbError(f"unsupported bits-per-pixel {bpp}")
        return cls(bpp, depth, bool(big), bool(true), rmax, gmax, bmax, rs, gs, bs)

    def pixel(self, index: int) -> bytes:
        """Palette entry `index` as this format's pixel bytes (colour-map formats use the
        index itself, after the server has sent the palette)."""
        value = index
        if self.true_colour:
            r, g, b = PALETTE[index]
            value = ((r * self.red_max + 127) // 255 << self.red_shift
                     | (g * self.green_max + 127) // 255 << self.green_shift
                     | (b * self.blue_max + 127) // 255 << self.blue_shift)
        size = self.bits_per_pixel // 8
        return (value & (1 << self.bits_per_pixel) - 1).to_bytes(
            size, "big" if self.big_endian else "little")


class Screen:
    """A COLS x ROWS text terminal drawn into WIDTH x HEIGHT palette-index pixels."""

    def __init__(self) -> None:
        self.lines: list[list[str]] = [[]]
        self.col = 0
        self.version = 0  # bumped by every write; clients compare it with what they have seen
        self._drawn = -1
        self._pixels = bytearray(WIDTH * HEIGHT)

    def write(self, text: str) -> None:
        for char in text:
            if char == "\n":
                self._newline()
            elif char == "\r":
                self.col = 0
            elif char == "\b":
                self.col = max(0, self.col - 1)
            elif char >= " ":
                if self.col >= COLS:
                    self._newline()
                line = self.lines[-1]
                line.extend(" " * (self.col + 1 - len(line)))
                line[self.col] = char
                self.col += 1
        self.version += 1

    def _newline(self) -> None:
        self.lines.append([])
        self.col = 0
        del self.lines[:-ROWS]

    def text(self) -> list[str]:
        return ["".join(line).rstrip() for line in self.lines]

    def pixels(self) -> bytearray:
        if self._drawn != self.version:
            self._pixels[:] = bytes(WIDTH * HEIGHT)
            for row, line in enumerate(self.lines):
                for col, char in enumerate(line):
                    if char != " ":
                        self._draw(char, MARGIN + col * CELL_W, MARGIN + row * CELL_H)
            self._drawn = self.version
        return self._pixels

    def _draw(self, char: str, x: int, y: int) -> None:
        glyph = GLYPHS.get(char.lower(), GLYPHS["?"])
        for dy, bits in enumerate(glyph):
            start = (y + dy) * WIDTH + x
            self._pixels[start:start + len(bits)] = bits


# X11 keysyms the shell understands, besides printable Latin-1.
_KEYS = {0xFF0D: "\r", 0xFF8D: "\r", 0xFF08: "\x7f", 0xFF09: "\t"}
_CONTROL = (0xFFE3, 0xFFE4)
# Client message type -> size of its fixed part: SetPixelFormat, SetEncodings,
# FramebufferUpdateRequest, KeyEvent, PointerEvent, ClientCutText.
_SIZES = {0: 20, 2: 4, 3: 10, 4: 8, 5: 6, 6: 8}


class RfbServer:
    """One VNC client's connection: handshake, then client messages in, updates out."""

    def __init__(self, name: str, shell: SerialShell) -> None:
        self.name = name
        self.shell = shell
        self.screen = Screen()
        self.screen.write(shell.start())
        self.format = PixelFormat()
        self.state = "version"
        self.minor = 8
        self._buffer = bytearray()
        self._pending: tuple[int, int, int, int] | None = None
        self._sent = -1  # the screen version the client was last sent
        self._control = False

    def start(self) -> bytes:
        return b"RFB 003.008\n"

    def receive(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        try:
            while (reply := self._step()) is not None:
                out += reply
        except RfbError as err:
            err.reply = bytes(out) + err.reply  # what was answered before the fault still goes
            raise
        if self._pending is not None and self._sent != self.screen.version:
            out += self._update(*self._pending)
            self._pending = None
        return bytes(out)

    def _step(self) -> bytes | None:
        """Consume one message from the buffer and answer it; None while it is incomplete."""
        buf = self._buffer
        need = {"version": 12, "security": 1, "init": 1}.get(self.state, 1)
        if len(buf) < need:
            return None
        if self.state == "version":
            found = re.fullmatch(rb"RFB 003\.(\d{3})\n", bytes(buf[:12]))
            if found is None:
                raise RfbError("the client did not send an RFB 3.x ProtocolVersion")
            del buf[:12]
            self.minor = min(8, max(3, int(found.group(1))))
            if self.minor < 7:  # 3.3: the server decides, no SecurityResult for None
                self.state = "init"
                return struct.pack(">I", 1)
            self.state = "security"
            return bytes([1, 1])  # one security type: None
        if self.state == "security":
            choice = buf.pop(0)
            if choice != 1:
                reason = f"security type {choice} refused: only None (1) is offered"
                result = struct.pack(">II", 1, len(reason)) + reason.encode()
                raise RfbError(reason, result if self.minor == 8 else b"")
            self.state = "init"
            return struct.pack(">I", 0) if self.minor == 8 else b""
        if self.state == "init":
            del buf[:1]  # ClientInit's shared flag: sessions are always shared
            self.state = "normal"
            name = self.name.encode()
            return (struct.pack(">HH", WIDTH, HEIGHT) + PixelFormat().pack()
                    + struct.pack(">I", len(name)) + name)
        return self._client_message()

    def _client_message(self) -> bytes | None:
        buf = self._buffer
        kind = buf[0]
        size = _SIZES.get(kind)
        if size is None:
            raise RfbError(f"unsupported client message type {kind}")
        if len(buf) < size:
            return None
        if kind == 2:
            size += 4 * struct.unpack(">H", buf[2:4])[0]
        elif kind == 6:
            size += min(abs(struct.unpack(">i", buf[4:8])[0]), 1 << 20)
        if len(buf) < size:
            return None
        message = bytes(buf[:size])
        del buf[:size]
        if kind == 0:
            self.format = PixelFormat.unpack(message[4:20])
            self._sent = -1  # the client redraws in the new format
            return b"" if self.format.true_colour else self._colour_map()
        if kind == 3:
            incremental, x, y, w, h = struct.unpack(">BHHHH", message[1:10])
            if incremental and self._sent == self.screen.version:
                self._pending = (x, y, w, h)
                return b""
            return self._update(x, y, w, h)
        if kind == 4:
            self._key(bool(message[1]), struct.unpack(">I", message[4:8])[0])
        return b""  # SetEncodings, PointerEvent, ClientCutText: noted, nothing to answer

    def _key(self, down: bool, keysym: int) -> None:
        if keysym in _CONTROL:
            self._control = down
            return
        text = _KEYS.get(keysym) or (chr(keysym) if 0x20 <= keysym <= 0xFF else "")
        if not down or not text:
            return
        if self._control and text.isalpha():
            text = chr(ord(text.lower()) - 96)  # Ctrl-C and friends
        self.screen.write(self.shell.feed(text))

    def _colour_map(self) -> bytes:
        entries = b"".join(struct.pack(">HHH", r * 257, g * 257, b * 257) for r, g, b in PALETTE)
        return struct.pack(">BxHH", 1, 0, len(PALETTE)) + entries

    def _update(self, x: int, y: int, w: int, h: int) -> bytes:
        """A FramebufferUpdate with one Raw rectangle (none when the request is off screen)."""
        x, y = min(x, WIDTH), min(y, HEIGHT)
        w, h = min(w, WIDTH - x), min(h, HEIGHT - y)
        self._sent = self.screen.version
        if not w or not h:
            return struct.pack(">BxH", 0, 0)
        pixels = self.screen.pixels()
        indexes = b"".join(pixels[(y + r) * WIDTH + x:(y + r) * WIDTH + x + w] for r in range(h))
        size = self.format.bits_per_pixel // 8
        encoded = [self.format.pixel(i) for i in range(len(PALETTE))]
        raw = bytearray(len(indexes) * size)
        for k in range(size):  # byte plane k of every pixel, by table lookup
            table = bytes(encoded[i][k] if i < len(encoded) else 0 for i in range(256))
            raw[k::size] = indexes.translate(table)
        return struct.pack(">BxHHHHHi", 0, 1, x, y, w, h, 0) + raw
