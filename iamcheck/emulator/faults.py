"""Added latency and injected failures, reproducible per request under a fault seed."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from iamcheck.emulator.errors import IbmError


@dataclass
class FaultPlan:
    latency_ms: float = 0.0
    rate: float = 0.0  # probability that a request fails with 429, 500 or 503
    seed: int = 0
    retry_after: int = 1  # seconds, sent with every injected 429

    def __post_init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def decide(self, method: str, url: str) -> IbmError | None:
        """A fault for this request, or None.

        The draw depends on the seed, the request and how many times that same request was
        seen, not on arrival order, so concurrent clients get the same faults run after run.
        """
        if self.rate <= 0:
            return None
        key = f"{method} {url}"
        self._seen[key] += 1
        digest = hashlib.sha256(f"{self.seed}|{key}|{self._seen[key]}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.rate:
            return None
        kind = int.from_bytes(digest[8:10], "big") % 3
        if kind == 0:
            return IbmError(
                429,
                "too_many_requests",
                "Rate limit exceeded (injected by the emulator).",
                headers={"Retry-After": str(self.retry_after)},
            )
        if kind == 1:
            return IbmError(500, "internal_error", "Internal error (injected by the emulator).")
        return IbmError(
            503, "service_unavailable", "Service unavailable (injected by the emulator)."
        )
