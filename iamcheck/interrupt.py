"""Ctrl-C ends any command within a second: the signal sets one flag that every IBM call in
flight watches (iamcheck.ibm.session), so worker threads stop too, not only the main one."""

from __future__ import annotations

import signal
import threading
from types import FrameType

CANCELLED = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    CANCELLED.set()
    raise KeyboardInterrupt


def install_interrupt() -> None:
    """SIGINT sets CANCELLED, then interrupts the main thread as Python's own handler does."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
