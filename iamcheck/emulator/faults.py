"""Added latency and injected failures: drawn at a rate, reproducibly per request under a
fault seed, or scripted for the next answers of one route (through the control API).

A fault kind is one of:
- an HTTP failure: "429" (with Retry-After), "500", "502", "503", "504";
- a broken connection: "reset" (the request is carried out, then its answer stops half-way
  and the connection closes: the client cannot know whether it was),
  "timeout" (the answer comes `hang_s` seconds late, past a client's read timeout);
- "404": the route answers Not Found (a wrong URL, or what was listed deleted meanwhile);
- a malformed 2xx answer: "truncated" (half the JSON), "empty" (no body), "not_json" (an HTML
  page), "not_object" (a JSON array), "missing:FIELD" (FIELD removed wherever it appears),
  "wrong_type:FIELD" (FIELD given a value of another JSON type);
- broken paging: "repeat" (every item of the page's list comes twice), "loop" (on a page after
  the first, a `next` link points back to the page itself, so a naive client never ends);
- "trickle": the answer's body comes one byte every `trickle_s` seconds (a read timeout that
  restarts on every byte never fires);
- "echo": a 400 whose message echoes the request's credentials (its Authorization header and
  form body, so the API key on the token route), as a careless server might;
- "ok": no fault (in a script, to let some answers through: ["ok", "ok", "503"]).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from iamcheck.emulator.errors import IbmError

HTTP_FAULTS = {
    "429": (429, "too_many_requests", "Rate limit exceeded"),
    "500": (500, "internal_error", "Internal error"),
    "502": (502, "bad_gateway", "Bad gateway"),
    "503": (503, "service_unavailable", "Service unavailable"),
    "504": (504, "gateway_timeout", "Gateway timeout"),
    "404": (404, "not_found", "Not found"),
}
CONNECTION_FAULTS = ("reset", "timeout", "trickle")
MALFORMED = ("truncated", "empty", "not_json", "not_object", "repeat", "loop")
ECHO = "echo"
PAGE_PARAMS = ("start", "_start", "offset")
NO_FAULT = "ok"
FIELD_FAULTS = ("missing", "wrong_type")
DEFAULT_KINDS = ("429", "500", "503")
ANY_ROUTE = "*"
MAX_SCRIPTED = 10_000


def check_kind(kind: str) -> str:
    """`kind` if it names a fault, else ValueError."""
    name, _, target = kind.partition(":")
    if kind in HTTP_FAULTS or kind in CONNECTION_FAULTS or kind in MALFORMED \
            or kind in (NO_FAULT, ECHO):
        return kind
    if name in FIELD_FAULTS and target:
        return kind
    raise ValueError(
        f"unknown fault '{kind}'; known: {', '.join([*HTTP_FAULTS, *CONNECTION_FAULTS])}, "
        f"{', '.join(MALFORMED)}, missing:FIELD, wrong_type:FIELD, {ECHO}, {NO_FAULT}"
    )


@dataclass
class FaultPlan:
    latency_ms: float = 0.0
    rate: float = 0.0  # probability that a request draws a fault from `kinds`
    seed: int = 0
    retry_after: int = 1  # seconds, sent with every injected 429 (0 is allowed, for tests)
    kinds: tuple[str, ...] = DEFAULT_KINDS
    hang_s: float = 5.0  # how late a "timeout" answer comes
    trickle_s: float = 1.0  # the pause between two bytes of a "trickle" answer
    _seen: Counter[str] = field(default_factory=Counter, repr=False)
    _next: dict[str, deque[str]] = field(default_factory=dict, repr=False)

    def decide(self, method: str, url: str, route: str = "") -> str | None:
        """The fault kind for this request, or None.

        A scripted fault for the route (or for any route) comes first. Otherwise the draw
        depends on the seed, the request and how many times that same request was seen, not
        on arrival order, so concurrent clients get the same faults run after run.
        """
        for key in (route, ANY_ROUTE):
            queue = self._next.get(key)
            if queue:
                kind = queue.popleft()
                return None if kind == NO_FAULT else kind
        if self.rate <= 0 or not self.kinds:
            return None
        key = f"{method} {url}"
        self._seen[key] += 1
        digest = hashlib.sha256(f"{self.seed}|{key}|{self._seen[key]}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.rate:
            return None
        kind = self.kinds[int.from_bytes(digest[8:10], "big") % len(self.kinds)]
        return None if kind == NO_FAULT else kind

    def script(self, route: str, kinds: list[str]) -> None:
        """Serve the next answers of `route` ("GET /v2/policies", or "*") with these faults."""
        for kind in kinds:
            check_kind(kind)
        queue = self._next.setdefault(route, deque())
        if len(queue) + len(kinds) > MAX_SCRIPTED:
            raise ValueError(f"at most {MAX_SCRIPTED} scripted faults per route")
        queue.extend(kinds)

    def configure(self, settings: dict[str, Any]) -> None:
        """Set rate, seed, kinds, retry_after, latency_ms, hang_s (validated first, then all).
        The draws start over, so the same settings give the same faults again."""
        checked = {key: _check_setting(key, value) for key, value in settings.items()}
        for key, value in checked.items():
            setattr(self, key, value)
        self._seen.clear()

    def clear(self) -> None:
        """No latency, no faults, nothing scripted; the default kinds."""
        self.latency_ms, self.rate, self.retry_after = 0.0, 0.0, 1
        self.kinds, self.hang_s, self.trickle_s = DEFAULT_KINDS, 5.0, 1.0
        self._seen.clear()
        self._next.clear()

    def view(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "rate": self.rate,
            "seed": self.seed,
            "retry_after": self.retry_after,
            "kinds": list(self.kinds),
            "hang_s": self.hang_s,
            "trickle_s": self.trickle_s,
            "next": {route: list(q) for route, q in self._next.items() if q},
        }


def _number(key: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"'{key}' must be a number from {lo:g} to {hi:g}")
    return float(value)


def _check_setting(key: str, value: Any) -> Any:
    if key == "rate":
        return _number(key, value, 0, 1)
    if key == "latency_ms":
        return _number(key, value, 0, 600_000)
    if key in ("hang_s", "trickle_s"):
        return _number(key, value, 0, 600)
    if key in ("seed", "retry_after"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"'{key}' must be a whole number, 0 or more")
        return value
    if key == "kinds":
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise ValueError("'kinds' must be a list of fault names")
        return tuple(check_kind(k) for k in value)
    raise ValueError(
        f"unknown setting '{key}'; known: rate, seed, kinds, retry_after, latency_ms, hang_s, "
        "trickle_s"
    )


async def answer_early(kind: str, plan: FaultPlan, request: Request | None = None
                       ) -> Response | None:
    """The answer that replaces the handler's for an HTTP fault; None when the handler should
    still answer (late, for a timeout; or changed afterwards, by `malform`)."""
    if kind == ECHO:
        said = ""
        if request is not None:
            body = (await request.body()).decode("utf-8", "replace")[:2000]
            said = f"{request.headers.get('authorization', '')} {body}"
        return IbmError(400, "bad_request", f"Could not process the request: {said}").response()
    if kind in HTTP_FAULTS:
        status, code, message = HTTP_FAULTS[kind]
        headers = {"Retry-After": str(plan.retry_after)} if status == 429 else None
        error = IbmError(status, code, f"{message} (injected by the emulator).", headers=headers)
        return error.response()
    if kind == "timeout":
        await asyncio.sleep(plan.hang_s)
    return None


def malform(kind: str, response: Response, url: str = "", trickle_s: float = 1.0) -> Response:
    """`response` cut short (reset), trickled, or made malformed by `kind`; other kinds, and
    non-2xx answers to a malformation, pass unchanged. `url` is the request's (for "loop")."""
    if kind == "reset":
        return _CutAnswer()
    if kind == "trickle" and 200 <= response.status_code < 300:
        return _Trickle(bytes(response.body), response.status_code, trickle_s)
    if not 200 <= response.status_code < 300 or kind in HTTP_FAULTS or kind in CONNECTION_FAULTS:
        return response
    body = bytes(response.body)
    media = "application/json"
    if kind == "truncated":
        body = body[: len(body) // 2]
    elif kind == "empty":
        body = b""
    elif kind == "not_json":
        body, media = b"<html><body>502 Bad Gateway</body></html>", "text/html"
    elif kind == "not_object":
        body = b'["unexpected"]'
    elif kind in ("repeat", "loop"):
        try:
            doc = json.loads(body)
        except ValueError:
            return response
        if not isinstance(doc, dict):
            return response
        body = json.dumps(_repeated(doc) if kind == "repeat" else _looped(doc, url)).encode()
    else:
        name, _, target = kind.partition(":")
        try:
            doc = json.loads(body)
        except ValueError:
            return response
        body = json.dumps(_reshape(doc, target, name == "missing")).encode()
    dropped = ("content-length", "content-type")
    keep = {k: v for k, v in response.headers.items() if k not in dropped}
    return Response(body, status_code=response.status_code, headers=keep, media_type=media)


def _repeated(doc: dict[str, Any]) -> dict[str, Any]:
    """Every list of objects at the top of the answer (its items) with each item twice."""
    return {k: [x for item in v for x in (item, item)]
            if isinstance(v, list) and v and all(isinstance(i, dict) for i in v) else v
            for k, v in doc.items()}


def _looped(doc: dict[str, Any], url: str) -> dict[str, Any]:
    """The answer with a `next` link pointing back to the request itself, also on a last page;
    a first page (no paging parameter in `url`) cannot point back to itself: unchanged."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    here = next((p for p in PAGE_PARAMS if p in query), None)
    if here is None:
        return doc
    out = dict(doc)
    if here == "_start":  # User Management: a relative next_url
        out["next_url"] = f"{parts.path}?{parts.query}"
    else:  # IAM Policy (next.start), VPC (next.href's start), Access Groups (next.href's offset)
        out["next"] = {"href": url, **({"start": query[here]} if here == "start" else {})}
    return out


def _wrong(value: Any) -> Any:
    if isinstance(value, str):
        return 12345
    if isinstance(value, bool | int | float) or value is None:
        return "12345"
    if isinstance(value, list):
        return {"unexpected": True}
    return "unexpected"


def _reshape(doc: Any, target: str, remove: bool) -> Any:
    """`doc` with every `target` key removed (or its value of the wrong type), at any depth."""
    if isinstance(doc, list):
        return [_reshape(item, target, remove) for item in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key != target:
            out[key] = _reshape(value, target, remove)
        elif not remove:
            out[key] = _wrong(value)
    return out


# uvicorn logs an answer left unfinished as an application error; for an injected reset
# that is the point, so that one message is dropped (only while a reset is being served).
_CUTTING: contextvars.ContextVar[bool] = contextvars.ContextVar("cutting", default=False)
UNFINISHED = "ASGI callable returned without completing response."


class _QuietReset(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUTTING.get() and record.getMessage() == UNFINISHED)


logging.getLogger("uvicorn.error").addFilter(_QuietReset())


class _CutAnswer(Response):
    """Headers that promise a body, a few bytes of it, then the server closes the connection:
    what a client sees when a connection is reset mid-answer."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _CUTTING.set(True)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"trace": "', "more_body": True})


class _Trickle(Response):
    """The whole answer, one byte at a time with a pause between: a slow-drip server."""

    def __init__(self, body: bytes, status: int, pause_s: float) -> None:
        super().__init__(status_code=status)
        self._bytes, self._pause = body, pause_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(self._bytes)).encode())]
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": headers})
        for i in range(len(self._bytes)):
            await send({"type": "http.response.body", "body": self._bytes[i:i + 1],
                        "more_body": True})
            await asyncio.sleep(self._pause)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
