"""The emulator's own control API, for tests and benchmarks: reset, load a seed, count requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.seed import SeedError, validate_seed
from iamcheck.emulator.services._http import backend_of, json_body, ok

API = "Emulator control"


async def reset(request: Request) -> Response:
    backend_of(request).reset()
    return Response(status_code=204)


async def load_seed(request: Request) -> Response:
    seed = await json_body(request)
    try:
        validate_seed(seed)
    except SeedError as err:
        raise bad_request(str(err), code="invalid_seed") from None
    backend_of(request).load(seed)
    return Response(status_code=204)


async def request_counts(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        counts = dict(backend.requests)
    return ok({"total": sum(counts.values()), "by_route": counts})


async def clear_counts(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        backend.requests.clear()
    return Response(status_code=204)


ENDPOINTS = [
    Endpoint(
        API,
        "POST",
        "/_emulator/reset",
        reset,
        "Reset the account to its seed",
        auth=False,
        ibm=False,
    ),
    Endpoint(API, "POST", "/_emulator/seed", load_seed, "Load another seed", auth=False, ibm=False),
    Endpoint(
        API,
        "GET",
        "/_emulator/requests",
        request_counts,
        "Requests received, by route",
        auth=False,
        ibm=False,
    ),
    Endpoint(
        API,
        "DELETE",
        "/_emulator/requests",
        clear_counts,
        "Clear the request counts",
        auth=False,
        ibm=False,
    ),
]
