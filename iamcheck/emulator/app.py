"""The ASGI app: every service's route table behind one wrapper that counts, delays,
injects faults and authenticates, in that order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.errors import IbmError, bad_request
from iamcheck.emulator.routing import Endpoint, Handler
from iamcheck.emulator.services import ENDPOINTS, WEBSOCKETS
from iamcheck.emulator.services._http import backend_of


def _wrap(endpoint: Endpoint) -> Handler:
    async def handle(request: Request) -> Response:
        backend = backend_of(request)
        fault, latency = None, 0.0
        if endpoint.ibm:
            with backend.lock:
                backend.requests[endpoint.name] += 1
                fault = backend.faults.decide(request.method, str(request.url))
                latency = backend.faults.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        try:
            if fault is not None:
                raise fault
            if endpoint.auth:
                request.state.caller = backend.signer.verify(request.headers.get("authorization"))
            return await endpoint.handler(request)
        except IbmError as err:
            return err.response()
        except json.JSONDecodeError:
            return bad_request("The request body is not valid JSON.").response()

    return handle


def routes(endpoints: Iterable[Endpoint]) -> list[BaseRoute]:
    table: list[BaseRoute] = []
    by_path: dict[str, dict[str, Handler]] = {}
    for ep in endpoints:
        by_path.setdefault(ep.path, {})[ep.method] = _wrap(ep)
    for path, methods in by_path.items():
        table.append(Route(path, _dispatch(methods), methods=list(methods)))
    return table


def _dispatch(methods: dict[str, Handler]) -> Handler:
    async def dispatch(request: Request) -> Response:
        return await methods[request.method](request)

    return dispatch


def create_app(backend: Backend) -> Starlette:
    app = Starlette(routes=[*routes(ENDPOINTS), *WEBSOCKETS])
    app.state.backend = backend
    return app
