"""The serial bridge in a real terminal: tmux runs `iamcheck console --demo`, the test reads the
login prompt off the screen, types, sees the console's echo, leaves with `~.`, and finds the
terminal modes as they were."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)

Tmux = Callable[..., str]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    """tmux on a server of its own (its own socket), with one 100x30 pane running sh."""
    socket = tmp_path / "tmux.sock"

    def run(*args: str) -> str:
        done = subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True,
                              text=True, timeout=10, check=True)
        return done.stdout

    run("-f", "/dev/null", "new-session", "-d", "-s", "console", "-x", "100", "-y", "30",
        "-c", str(tmp_path), "env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}",
        "PS1=$ ", "TERM=xterm-256color", "sh")
    yield run
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


def _screen(tmux: Tmux) -> str:
    return tmux("capture-pane", "-p", "-t", "console", "-S", "-100")


def _wait_for(tmux: Tmux, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = _screen(tmux)
        if text in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never showed; the screen:\n{screen}")
        time.sleep(0.1)


def _modes(tty: str) -> str:
    return subprocess.run(["stty", "-F", tty, "-a"], capture_output=True, text=True,
                          timeout=10, check=True).stdout


def test_serial_console_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    tty = tmux("display-message", "-p", "-t", "console", "#{pane_tty}").strip()
    command = (f"stty -g > before; {sys.executable} -m iamcheck console --demo pay-api-01; "
               "echo EXIT=$?; stty -g > after")
    tmux("send-keys", "-t", "console", "-l", command)
    tmux("send-keys", "-t", "console", "Enter")
    _wait_for(tmux, "pay-api-01 login:")
    modes = _modes(tty)
    assert "-icanon" in modes and "-echo " in modes and "-isig" in modes  # raw while connected
    tmux("send-keys", "-t", "console", "-l", "ravi")
    _wait_for(tmux, "pay-api-01 login: ravi")  # the console's echo: the terminal echoes nothing
    tmux("send-keys", "-t", "console", "Enter")
    _wait_for(tmux, "Password:")
    tmux("send-keys", "-t", "console", "-l", "~.")
    screen = _wait_for(tmux, "EXIT=0", timeout=30)
    assert "Disconnected from the serial console of pay-api-01." in screen
    deadline = time.monotonic() + 10
    while not (tmp_path / "after").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    assert " icanon" in _modes(tty)
