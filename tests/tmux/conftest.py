"""What the tmux tests share: a tmux server of their own, and reading its screen."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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


def screen(tmux: Tmux) -> str:
    return tmux("capture-pane", "-p", "-t", "console", "-S", "-100")


def wait_for(tmux: Tmux, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = screen(tmux)
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never showed; the screen:\n{shown}")
        time.sleep(0.1)


