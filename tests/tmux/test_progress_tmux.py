"""The progress bar of a long read, in a real terminal: tmux runs `iamcheck audit` against a
slowed emulator with stdout to a file, and the bar (Rich's: reads done out of those started,
time left) shows on stderr while reading, then leaves the screen (tests/cli/test_conventions.py:
none without a terminal). Verdicts are coloured on a terminal, unless NO_COLOR or --no-color."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import Emulator

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)

Tmux = Callable[..., str]
EXIT = re.compile(r"^EXIT=(\d+)$", re.MULTILINE)
BAR = re.compile(r"reading .+ (\d+)/(\d+) reads (\d+:\d\d:\d\d|-:--:--)")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    socket = tmp_path / "tmux.sock"

    def run(*args: str) -> str:
        done = subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=10, check=True)
        return done.stdout

    run("-f", "/dev/null", "new-session", "-d", "-s", "audit", "-x", "120", "-y", "20",
        "-c", str(tmp_path), "env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}",
        "PS1=$ ", "TERM=xterm-256color", "sh")
    yield run
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def slow(demo: Emulator) -> Iterator[Emulator]:
    requests.post(f"{demo.url}/_emulator/faults", json={"latency_ms": 150}, timeout=5)
    yield demo
    requests.delete(f"{demo.url}/_emulator/faults", timeout=5)


def test_the_bar_shows_while_reading_then_goes(tmux: Tmux, slow: Emulator,
                                               tmp_path: Path) -> None:
    command = (f"IBMCLOUD_API_KEY={slow.apikey} IAMCHECK_ENDPOINT={slow.url} {sys.executable} "
               "-m iamcheck audit --concurrency 1 --output json > report.json; echo EXIT=$?")
    tmux("send-keys", "-t", "audit", "-l", command)
    tmux("send-keys", "-t", "audit", "Enter")
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "audit")
        seen += [(int(m[1]), int(m[2])) for m in BAR.finditer(screen)]
        if EXIT.search(screen):
            break
        time.sleep(0.05)
    assert (found := EXIT.search(screen)) and found[1] == "0", screen
    assert seen, "no progress bar was ever on the screen"
    assert any(0 < done < total for done, total in seen)  # partway, out of a known total
    assert not BAR.search(screen)  # gone once the read is over
    assert json.loads((tmp_path / "report.json").read_text())["kind"] == "iamcheck-audit"


def _run_and_capture(tmux: Tmux, command: str) -> str:
    """The screen, escape sequences included, once `command` has exited."""
    tmux("send-keys", "-t", "audit", "clear; " + command + "; echo EXIT=$?", "Enter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-e", "-t", "audit")
        if EXIT.search(re.sub(r"\x1b\[[0-9;]*m", "", screen)):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{command} did not finish; the screen:\n{screen}")


def test_verdicts_are_coloured_on_a_terminal_unless_told_not(tmux: Tmux) -> None:
    check = f"{sys.executable} -m iamcheck check --demo -u ravi.lindqvist@example.com -i pay-api-02"
    green = re.compile(r"\x1b\[[0-9;]*32[0-9;]*mALLOWED")
    assert green.search(_run_and_capture(tmux, check))
    for plain in (f"NO_COLOR=1 {check}", f"{sys.executable} -m iamcheck --no-color "
                  f"check --demo -u ravi.lindqvist@example.com -i pay-api-02"):
        screen = _run_and_capture(tmux, plain)
        assert "ALLOWED" in screen and not green.search(screen)
    preflight = _run_and_capture(tmux, f"{sys.executable} -m iamcheck console --demo "
                                 "pay-api-02 --preflight-only")
    assert re.search(r"\x1b\[[0-9;]*32[0-9;]*mPASS", preflight)
    assert re.search(r"\x1b\[[0-9;]*33[0-9;]*mWARN", preflight)
