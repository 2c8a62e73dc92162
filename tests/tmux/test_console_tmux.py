"""The serial bridge in a real terminal: tmux runs `iamcheck console --demo`, the test reads the
login prompt off the screen, types, sees the console's echo, leaves with `~.`, and finds the
terminal modes as they were."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tmux.conftest import Tmux, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)


def _modes(tty: str) -> str:
    return subprocess.run(["stty", "-F", tty, "-a"], capture_output=True, text=True,
                          timeout=10, check=True).stdout


def test_serial_console_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    tty = tmux("display-message", "-p", "-t", "console", "#{pane_tty}").strip()
    command = (f"stty -g > before; {sys.executable} -m iamcheck console --demo pay-api-01; "
               "echo EXIT=$?; stty -g > after")
    tmux("send-keys", "-t", "console", "-l", command)
    tmux("send-keys", "-t", "console", "Enter")
    wait_for(tmux, "pay-api-01 login:")
    modes = _modes(tty)
    assert "-icanon" in modes and "-echo " in modes and "-isig" in modes  # raw while connected
    tmux("send-keys", "-t", "console", "-l", "ravi")
    wait_for(tmux, "pay-api-01 login: ravi")  # the console's echo: the terminal echoes nothing
    tmux("send-keys", "-t", "console", "Enter")
    wait_for(tmux, "Password:")
    tmux("send-keys", "-t", "console", "-l", "~.")
    screen = wait_for(tmux, "EXIT=0", timeout=30)
    assert "Disconnected from the serial console of pay-api-01." in screen
    deadline = time.monotonic() + 10
    while not (tmp_path / "after").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    assert " icanon" in _modes(tty)
