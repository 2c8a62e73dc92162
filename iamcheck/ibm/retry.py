"""Retries shared by every worker of a run: a 429 slows the whole run down, not one thread,
and nothing retries past the run's deadline."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class Backoff:
    def __init__(
        self,
        deadline_s: float,
        *,
        max_attempts: int = 8,
        base_s: float = 0.25,
        cap_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._deadline = clock() + deadline_s
        self.max_attempts = max_attempts
        self._base = base_s
        self._cap = cap_s
        self._gate = 0.0  # nobody sends before this instant (set by a 429)
        self._lock = threading.Lock()
        self._jitter = random.Random()

    def wait_turn(self) -> None:
        """Block while a rate limit holds the gate closed."""
        while True:
            with self._lock:
                pause = self._gate - self._clock()
            if pause <= 0:
                return
            self._sleep(pause)

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """How long to wait before attempt `attempt + 1`, or None when retries are spent."""
        if attempt + 1 >= self.max_attempts:
            return None
        if retry_after is not None:
            wait = retry_after
        else:  # exponential with full jitter
            wait = self._jitter.uniform(0, min(self._cap, self._base * 2**attempt))
        if self._clock() + wait > self._deadline:
            return None
        return wait

    def hold_everyone(self, seconds: float) -> None:
        with self._lock:
            self._gate = max(self._gate, self._clock() + seconds)

    def out_of_time(self) -> bool:
        return self._clock() > self._deadline


class Slots:
    """At most `n` calls in flight, granted in the order they were asked for.

    threading.Semaphore is not fair: a worker that frees a slot and asks again at once usually
    wins it back, so a thread that starts asking later (a search that waited for the policies)
    can starve behind a busy pool. Here a freed slot goes straight to the longest waiter."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # the slot passes on without being freed
            else:
                self._free += 1


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
