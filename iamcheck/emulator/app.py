"""The ASGI app: every service's route table behind one wrapper that counts, delays,
injects faults and authenticates, in that order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.error_shapes import framework_error, reshape, shape_of_api
from iamcheck.emulator.errors import IbmError, bad_request
from iamcheck.emulator.faults import answer_early, malform
from iamcheck.emulator.routing import Endpoint, Handler
from iamcheck.emulator.services import ENDPOINTS, WEBSOCKETS
from iamcheck.emulator.services._http import backend_of
from iamcheck.emulator.services.control import API as CONTROL_API
from iamcheck.emulator.services.control import guard


class InFlight:
    """IBM requests being answered now, and the most at once since the counts were cleared
    (the control API shows it: a client's concurrency, as the server sees it)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0


def _wrap(endpoint: Endpoint) -> Handler:
    answer = _answer(endpoint)
    if not endpoint.ibm:
        return answer

    async def counted(request: Request) -> Response:
        flight: InFlight = request.app.state.in_flight  # handlers share the event loop: no lock
        flight.now += 1
        flight.peak = max(flight.peak, flight.now)
        try:
            return await answer(request)
        finally:
            flight.now -= 1

    return counted


def _answer(endpoint: Endpoint) -> Handler:
    shape = shape_of_api(endpoint.api)

    async def handle(request: Request) -> Response:
        backend = backend_of(request)
        fault, latency = None, 0.0
        if endpoint.ibm:
            with backend.lock:
                backend.requests[endpoint.name] += 1
                fault = backend.faults.decide(request.method, str(request.url), endpoint.name)
                latency = backend.faults.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        try:
            early = (await answer_early(fault, backend.faults, request)
                     if fault is not None else None)
            if early is not None:
                return early
            if endpoint.api == CONTROL_API:
                guard(request)
            if endpoint.auth:
                caller = backend.signer.verify(request.headers.get("authorization"))
                if caller.account_id != backend.account_id:  # a token of a seed loaded before
                    raise IbmError(401, "invalid_token", "The token was issued for another "
                                   "account than the one served now.")
                request.state.caller = caller
            response = await endpoint.handler(request)
            if fault is None:
                return response
            return malform(fault, response, str(request.url), backend.faults.trickle_s)
        except IbmError as err:
            return reshape(backend.guesses.answer(err), shape).response()
        except (json.JSONDecodeError, RecursionError):  # nested too deep to decode
            return reshape(bad_request("The request body is not valid JSON."), shape).response()
        except ClientDisconnect:  # the client gave up (its timeout): nobody reads an answer
            return Response(status_code=499)

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
        # Starlette lets HEAD through wherever GET is served: answer it as the GET
        return await methods.get(request.method, methods.get("GET", _no_method))(request)

    return dispatch


async def _no_method(request: Request) -> Response:
    raise HTTPException(405)


def create_app(backend: Backend) -> Starlette:
    app = Starlette(routes=[*routes(ENDPOINTS), *WEBSOCKETS],
                    exception_handlers={HTTPException: framework_error})
    app.router.redirect_slashes = False  # IBM answers /v2/groups/ with an error, not a 307
    app.state.backend = backend
    app.state.in_flight = InFlight()
    return app
