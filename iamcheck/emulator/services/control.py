"""The emulator's own control API, for tests and benchmarks: reset, load a seed, count requests."""

from __future__ import annotations

import ipaddress
import secrets

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.compute import RUNTIME_KEYS, check_runtime
from iamcheck.emulator.backend.console import SETTINGS as CONSOLE_SETTINGS
from iamcheck.emulator.backend.console import check_seconds
from iamcheck.emulator.backend.guesses import CHOICES as GUESSES
from iamcheck.emulator.backend.guesses import check as check_guess
from iamcheck.emulator.errors import IbmError, bad_request, not_found
from iamcheck.emulator.faults import ANY_ROUTE, check_kind
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.seed import SeedError, validate_seed
from iamcheck.emulator.services._http import backend_of, json_body, ok

API = "Emulator control"
SECRET_HEADER = "X-Emulator-Secret"


def _loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def guard(request: Request) -> None:
    """The control API changes the whole account: it answers a request carrying the run's
    secret (`serve` prints it), or one from loopback when the emulator allows that."""
    backend = backend_of(request)
    given = request.headers.get(SECRET_HEADER)
    secret = backend.control_secret
    if secret is not None and given is not None and secrets.compare_digest(given, secret):
        return
    if backend.control_from_loopback and _loopback(request.client.host if request.client else ""):
        return
    raise IbmError(403, "forbidden", f"The emulator's control API needs the {SECRET_HEADER} "
                   "header that `iamcheck emulator serve` printed.")


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
    return ok({"total": sum(counts.values()), "by_route": counts,
               "max_in_flight": request.app.state.in_flight.peak})


# Control-API key -> PolicyHooks field (test hooks of the policy store).
HOOKS = {
    "policy_read_after_create_404s": "read_after_create_404s",
    "policy_create_failures": "create_failures",
    "policy_create_drops": "create_drops",
}
MAX_HOOK = 1000


def _hooks_view(request: Request) -> Response:
    backend = backend_of(request)
    hooks, console = backend.policies.hooks, backend.console
    return ok({**{key: getattr(hooks, field) for key, field in HOOKS.items()},
               **{key: getattr(console, field) for key, field in CONSOLE_SETTINGS.items()},
               **{key: getattr(backend.settings, key) for key in RUNTIME_KEYS},
               **backend.guesses.view()})


async def get_config(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        return _hooks_view(request)


async def set_config(request: Request) -> Response:
    body = await json_body(request)
    known = [*HOOKS, *CONSOLE_SETTINGS, *RUNTIME_KEYS, *GUESSES]
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise bad_request(f"Unknown setting '{unknown[0]}'; known: {', '.join(known)}.")
    seconds: dict[str, float] = {}
    runtime: dict[str, object] = {}
    guesses = {key: body.pop(key) for key in list(body) if key in GUESSES}
    backend = backend_of(request)
    try:
        for key, value in guesses.items():
            check_guess(key, value)
    except ValueError as err:
        raise bad_request(str(err)) from None
    for key, value in body.items():
        if key in RUNTIME_KEYS:
            try:
                runtime[key] = check_runtime(key, value)
            except ValueError as err:
                raise bad_request(str(err)) from None
        elif key in CONSOLE_SETTINGS:
            try:
                seconds[key] = check_seconds(key, value)
            except ValueError as err:
                raise bad_request(str(err)) from None
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HOOK:
            raise bad_request(f"'{key}' must be an integer from 0 to {MAX_HOOK}.")
    with backend.lock:
        backend.guesses.update(guesses)
        backend.console.refuse_at = backend.guesses.console_refusal
        for key, value in body.items():
            if key in runtime:
                setattr(backend.settings, key, runtime[key])
            elif key in seconds:
                setattr(backend.console, CONSOLE_SETTINGS[key], seconds[key])
            else:
                setattr(backend.policies.hooks, HOOKS[key], value)
        return _hooks_view(request)


async def set_instance_status(request: Request) -> Response:
    """Start or stop an instance (stopping closes its consoles, as powering off does)."""
    backend = backend_of(request)
    iid = request.path_params["id"]
    status = "stopped" if request.url.path.endswith("/stop") else "running"
    with backend.lock:
        instance = next((r for r in backend.vpc.instances() if r["id"] == iid), None)
        if instance is None:
            raise not_found("Instance", iid)
        backend.console.set_status(instance, status)
    return ok({"id": iid, "status": status})


async def get_faults(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        return ok(backend.faults.view())


async def set_faults(request: Request) -> Response:
    """Body: any of rate, seed, kinds, retry_after, latency_ms, hang_s, and `next`: route ->
    faults for its next answers ({"GET /v2/policies": ["truncated", "429"]}; "*": any route)."""
    from iamcheck.emulator.services import ENDPOINTS as ALL  # this module is one of them

    body = await json_body(request)
    script = body.pop("next", {})
    routes = {ep.name for ep in ALL if ep.ibm} | {ANY_ROUTE}
    if not isinstance(script, dict) or not all(
        isinstance(kinds, list) and all(isinstance(k, str) for k in kinds)
        for kinds in script.values()
    ):
        raise bad_request("'next' must map a route to a list of fault names.")
    backend = backend_of(request)
    try:
        for route, kinds in script.items():
            if route not in routes:
                raise ValueError(f"no route '{route}' (e.g. 'GET /v2/policies', or '*')")
            for kind in kinds:
                check_kind(kind)
        with backend.lock:
            backend.faults.configure(body)
            for route, kinds in script.items():
                backend.faults.script(route, kinds)
            return ok(backend.faults.view())
    except ValueError as err:
        raise bad_request(str(err), code="invalid_fault") from None


async def clear_faults(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        backend.faults.clear()
    return Response(status_code=204)


async def clear_counts(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        backend.requests.clear()
    request.app.state.in_flight.peak = request.app.state.in_flight.now
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
        "GET",
        "/_emulator/config",
        get_config,
        "Show the test hooks and console limits (they reset with the account)",
        auth=False,
        ibm=False,
    ),
    Endpoint(
        API,
        "POST",
        "/_emulator/config",
        set_config,
        "Set test hooks: policy_read_after_create_404s (GETs of a new policy answer 404), "
        "policy_create_failures (next creates are done, then answered 500), "
        "policy_create_drops (next creates are done, then the answer is cut); console limits in "
        "seconds: console_token_seconds (180), console_idle_seconds (600), "
        "console_session_seconds (3600); kept across resets: propagation_delay (seconds before "
        "a new policy counts for VPC's console authorization), metadata_instance (the instance "
        "id the metadata service answers for); guesses (EMULATED_ENDPOINTS.md): stale_etag_status "
        "(412 or 409), console_refusal (token or connection)",
        auth=False,
        ibm=False,
    ),
    Endpoint(API, "POST", "/_emulator/instances/{id}/stop", set_instance_status,
             "Stop an instance: status `stopped`, its console token dropped and open console "
             "sessions closed (4004)", auth=False, ibm=False),
    Endpoint(API, "POST", "/_emulator/instances/{id}/start", set_instance_status,
             "Start an instance: status `running`", auth=False, ibm=False),
    Endpoint(
        API,
        "DELETE",
        "/_emulator/requests",
        clear_counts,
        "Clear the request counts",
        auth=False,
        ibm=False,
    ),
    Endpoint(API, "GET", "/_emulator/faults", get_faults, "Show latency and injected faults",
             auth=False, ibm=False),
    Endpoint(API, "POST", "/_emulator/faults", set_faults,
             "Set latency and fault injection (rate, seed, kinds, retry_after, hang_s) and script "
             "the next answers of a route: HTTP 429/500/502/503/504, reset, timeout, or a "
             "malformed answer (truncated, empty, not_json, not_object, missing:FIELD, "
             "wrong_type:FIELD)", auth=False, ibm=False),
    Endpoint(API, "DELETE", "/_emulator/faults", clear_faults,
             "No latency, no faults, nothing scripted", auth=False, ibm=False),
]
