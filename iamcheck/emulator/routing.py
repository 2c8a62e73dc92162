"""The route table entry every service module declares (moto's urls.py, as data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    api: str  # the IBM API it belongs to, as IBM names it
    method: str
    path: str  # Starlette path template, e.g. /v2/policies/{policy_id}
    handler: Handler
    summary: str
    auth: bool = True  # needs a bearer token the emulator issued
    ibm: bool = True  # an emulated IBM endpoint: counted, delayed, subject to faults

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"
