"""The VNC URL in a real browser: headless Chromium opens noVNC's own page with the URL that
`iamcheck console --demo pay-api-01 --vnc` prints, and the screenshot shows the emulator's
framebuffer. No setting is touched: the URL alone connects.

noVNC's web app (vnc.html, app/ui.js) comes from Debian's `novnc` package: the npm package
@novnc/novnc ships only the library, without the page users open. `.ci/run` installs both.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from iamcheck.emulator.rfb import BACKGROUND, FOREGROUND, HEIGHT, WIDTH

NOVNC = Path("/usr/share/novnc")  # Debian's novnc package (upstream noVNC 1.3)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                       "(apt-get install chromium)"),
    pytest.mark.skipif(not (NOVNC / "vnc.html").is_file(), reason="noVNC's web app is not "
                       "installed (apt-get install novnc)"),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def novnc_page() -> Iterator[str]:
    """noVNC served over loopback, as novnc.com serves it to IBM's users."""
    handler = functools.partial(_Quiet, directory=str(NOVNC))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/vnc.html"
    server.shutdown()
    thread.join(5)


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, with the stdlib."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * step, [], bytes(width * step)
    for y in range(height):
        start = y * (stride + 1)
        rows.append(_unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, step))
        previous = rows[-1]
    if step == 4:  # drop alpha
        rows = [bytes(b for i, b in enumerate(r) if i % 4 < 3) for r in rows]
    return width, height, rows


def _unfilter(kind: int, data: bytes, up: bytes, step: int) -> bytes:
    """Undo one scanline's PNG filter (RFC 2083 6.2)."""
    if kind == 0:
        return data
    if kind == 2:  # the common one: cheap
        return bytes((a + b) & 0xFF for a, b in zip(data, up, strict=True))
    line = bytearray(data)
    for x in range(len(line)):
        left = line[x - step] if x >= step else 0
        corner = up[x - step] if x >= step else 0
        if kind == 1:
            line[x] = (line[x] + left) & 0xFF
        elif kind == 3:
            line[x] = (line[x] + (left + up[x]) // 2) & 0xFF
        else:  # 4, Paeth
            guess = left + up[x] - corner
            near = min((abs(guess - left), 0, left), (abs(guess - up[x]), 1, up[x]),
                       (abs(guess - corner), 2, corner))[2]
            line[x] = (line[x] + near) & 0xFF
    return bytes(line)


def _count(rows: list[bytes], colour: tuple[int, int, int]) -> int:
    return sum(row.count(bytes(colour)) for row in rows)  # RGB triples line up at 0 mod 3


@pytest.fixture
def demo_vnc_url(novnc_page: str, tmp_path: Path) -> Iterator[str]:
    """`iamcheck console --demo pay-api-01 --vnc`'s URL, while its demo emulator serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMCHECK_", "IBMCLOUD_"))}
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "iamcheck", "console", "--demo", "pay-api-01", "--vnc",
             "--novnc-url", novnc_page],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env,
        )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        url = proc.stdout.readline().decode().strip()
        assert url.startswith(f"{novnc_page}#host="), errors.read_text()
        yield url
    finally:
        proc.stdin.close()  # the end of input stops the demo
        assert proc.wait(30) == 0, errors.read_text()
    assert "serves this console until you press Enter" in errors.read_text()


def test_novnc_opens_the_demo_url_and_shows_the_framebuffer(
    demo_vnc_url: str, tmp_path: Path
) -> None:
    url = demo_vnc_url
    shot = tmp_path / "novnc.png"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1024,768",
         "--virtual-time-budget=8000", f"--screenshot={shot}", url],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.is_file(), done.stderr[-2000:]
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (1024, 768)
    # The whole 640x400 framebuffer is on screen (noVNC centres it), in the emulator's blue,
    # with its text (the login prompt) in the foreground colour.
    assert _count(rows, BACKGROUND) > WIDTH * HEIGHT * 0.8
    assert _count(rows, FOREGROUND) > 500
    # noVNC used the single-use token: the same URL is now refused.
    settings = dict(part.split("=", 1) for part in url.split("#", 1)[1].split("&"))
    socket_url = f"ws://{settings['host']}:{settings['port']}/{unquote(settings['path'])}"
    with pytest.raises(InvalidStatus) as refused:
        connect(socket_url).close()
    assert refused.value.response.status_code == 401
