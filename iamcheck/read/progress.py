"""The progress bar while an account is read: on stderr, only when stderr is a terminal, drawn
by Rich (which Typer already depends on). It counts the reads done out of those started, and
Rich estimates the time left from the rate so far."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from iamcheck.ibm.session import IbmSession


class Progress:
    """`track` each read as it starts, `step` names the phase, `done` clears the bar."""

    def __init__(self, session: IbmSession, enabled: bool | None = None) -> None:
        self._session = session
        self._enabled = _stderr_is_terminal() if enabled is None else enabled
        self._label = "the account"
        self._lock = threading.Lock()
        self._bar: RichProgress | None = None
        self._task: Any = None
        self._total = 0

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("reads"), TimeRemainingColumn(), TextColumn("{task.fields[requests]}"),
            console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task(self._label, total=0, requests="")
        self._bar.start()

    def track(self, future: Future[Any]) -> Future[Any]:
        """Count `future` as one read to do; done when it completes (or fails)."""
        if self._enabled:
            with self._lock:
                if self._bar is None:
                    self._start()
                self._total += 1
                if self._bar is not None:
                    self._bar.update(self._task, total=self._total)
            future.add_done_callback(self._advance)
        return future

    def _advance(self, _: Future[Any]) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1,
                             requests=f"({self._session.requests} requests)")

    def step(self, label: str) -> None:
        self._label = label
        if self._enabled and self._bar is not None:
            self._bar.update(self._task, description=label)

    def done(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
