"""Small request/response helpers shared by the thin handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iamcheck.emulator.backend.profiles import encode_token
from iamcheck.emulator.errors import bad_request

if TYPE_CHECKING:
    from iamcheck.emulator.backend import Backend
    from iamcheck.emulator.tokens import Caller


Handler = Callable[[Request], Awaitable[Response]]  # a route's handler


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def caller_of(request: Request) -> Caller:
    """The authenticated caller (set by the app's wrapper on every endpoint with auth)."""
    caller: Caller = request.state.caller
    return caller


async def json_body(request: Request) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Query parameter '{name}' must be an integer.") from None
    if not lo <= value <= hi:
        raise bad_request(f"Query parameter '{name}' must be between {lo} and {hi}.")
    return value


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def base_url(request: Request) -> str:
    """The emulator's own base URL as the client reached it (no trailing slash)."""
    return str(request.base_url).rstrip("/")


def identity_page(request: Request, path: str, key: str, operation: str,
                  page: tuple[list[dict[str, Any]], int, int | None], size: int
                  ) -> dict[str, Any]:
    """IAM Identity's list answer: context, offset, limit, first, next and previous links."""
    q = request.query_params
    found, offset, after = page
    here = f"{base_url(request)}{path}"
    keep = {k: v for k, v in q.items() if k != "pagetoken"}
    body: dict[str, Any] = {"context": {"url": f"{here}?{urlencode(q)}", "operation": operation},
                            "offset": offset, "limit": size,
                            "first": f"{here}?{urlencode(keep)}", key: found}
    if after is not None:
        body["next"] = f"{here}?{urlencode({**keep, 'pagetoken': encode_token(after)})}"
    if offset:
        back = encode_token(max(0, offset - size))
        body["previous"] = f"{here}?{urlencode({**keep, 'pagetoken': back})}"
    return body
