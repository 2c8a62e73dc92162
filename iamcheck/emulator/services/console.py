"""VPC instance consoles: POST .../console_access_token, and the console WebSocket it points at.

The token's `href` is ws://<emulator>/vpc/<region>/v1/instances/<id>/console?access_token=<token>:
it carries the token, not `version`/`generation` (the WebSocket accepts them when a client
appends them, as IBM's examples do). Which session the socket opens (serial or VNC) is the
token's. Refusals: a bad token fails the handshake with HTTP 401 in VPC's error shape; a busy
console or a stopped instance is accepted and closed at once with a 4xxx code and a reason.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.backend.authz import CONSOLE_ACTIONS, may_open_console
from iamcheck.emulator.backend.cbr_enforcement import enforce_cbr
from iamcheck.emulator.backend.console import (
    CONSOLE_TYPES,
    ConsoleRefused,
    ConsoleSession,
    ConsoleStore,
)
from iamcheck.emulator.backend.vpc import DEFAULT_REGION, VpcError, looks_like_zos
from iamcheck.emulator.errors import IbmError
from iamcheck.emulator.rfb import RfbError, RfbServer
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.serial import SerialConsole, SerialShell
from iamcheck.emulator.services._http import backend_of, caller_of, json_body, ok
from iamcheck.emulator.services.vpc import vpc_context

API = "VPC"
PROTOCOL_ERROR = 1002


def _field_error(name: str, message: str) -> VpcError:
    return VpcError(400, "invalid_field", message, {"name": name, "type": "field"})


def _token_request(body: dict[str, Any]) -> tuple[str, bool]:
    console_type, force = body.get("console_type"), body.get("force", False)
    if console_type not in CONSOLE_TYPES:
        raise _field_error("console_type", "console_type must be one of: serial, vnc.")
    if not isinstance(force, bool):
        raise _field_error("force", "force must be a boolean.")
    return console_type, force


def _check_vnc_supported(instance: dict[str, Any]) -> None:
    """IBM: no VNC console on TDX confidential computing or z/OS instances (serial only)."""
    system = instance["operating_system"]
    if instance["confidential_compute_mode"] == "tdx" or looks_like_zos(
            system["name"], system["family"], system["display_name"], instance["image"]["name"]):
        raise VpcError(400, "console_type_not_supported", "The VNC console is not supported on "
                       "TDX confidential computing or z/OS instances; use the serial console.")


async def create_token(request: Request) -> Response:
    store, region, base, _ = vpc_context(request)
    console_type, force = _token_request(await json_body(request))
    instance = store.instance(region, request.path_params["id"])
    backend, caller = backend_of(request), caller_of(request)
    if caller.account_id != backend.account_id or not may_open_console(
            backend, caller.iam_id, instance):
        raise VpcError(403, "not_authorized", "You are not authorized to access the console of "
                       f"this instance: it needs {' and '.join(CONSOLE_ACTIONS)}.")
    enforce_cbr(backend, instance, request.client.host if request.client else None)
    if console_type == "vnc":
        _check_vnc_supported(instance)
    token = backend.console.issue(instance, console_type, force)
    socket_base = re.sub(r"^http", "ws", base)
    href = (f"{socket_base}/vpc/{region}/v1/instances/{instance['id']}/console"
            f"?access_token={token.value}")
    return ok(token.json(href))  # IBM answers 200 (its unit test and Go examples)


# ---- the WebSocket


def _check_socket_query(websocket: WebSocket) -> None:
    version, generation = (websocket.query_params.get(k) for k in ("version", "generation"))
    if version is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        raise VpcError(400, "invalid_version", "The `version` value must be a date in format "
                       "YYYY-MM-DD.", {"name": "version", "type": "parameter", "value": version})
    if generation is not None and generation != "2":
        raise VpcError(400, "invalid_generation", "The `generation` value must be `2`.",
                       {"name": "generation", "type": "parameter", "value": generation})


async def _console(websocket: WebSocket) -> None:
    backend: Backend = websocket.app.state.backend
    store = backend.console
    region = websocket.path_params.get("region", DEFAULT_REGION)
    try:
        _check_socket_query(websocket)
        token = store.redeem(websocket.query_params.get("access_token"), region,
                             websocket.path_params["id"])
    except IbmError as err:
        await websocket.send_denial_response(err.response())
        return
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol="binary" if "binary" in offered else None)
    try:
        session = store.open(token, asyncio.get_running_loop())
    except ConsoleRefused as refused:
        await websocket.close(refused.code, refused.reason)
        return
    name = session.instance["name"]
    shell = SerialShell(name, architecture=session.instance["vcpu"]["architecture"])
    protocol = SerialConsole(shell) if token.console_type == "serial" else RfbServer(name, shell)
    try:
        await _serve(websocket, store, session, protocol)
    except (WebSocketDisconnect, OSError):
        pass  # the client went away
    finally:
        store.close(session)


async def _serve(websocket: WebSocket, store: ConsoleStore, session: ConsoleSession,
                 protocol: SerialConsole | RfbServer) -> None:
    """Pump bytes between the client and the console until either side or a limit ends it."""
    await websocket.send_bytes(protocol.start())
    receiving: asyncio.Future[Any] | None = None
    try:
        while True:
            left, code, reason = store.time_left(session)
            if left <= 0:
                await websocket.close(code, reason)
                return
            receiving = receiving or asyncio.ensure_future(websocket.receive())
            await asyncio.wait({receiving, session.closing}, timeout=left,
                               return_when=asyncio.FIRST_COMPLETED)
            if session.closing.done():
                await websocket.close(*session.closing.result())
                return
            if not receiving.done():
                continue
            message, receiving = receiving.result(), None
            if message["type"] == "websocket.disconnect":
                return
            session.touch()
            data = message.get("bytes") or (message.get("text") or "").encode()
            try:
                reply = protocol.receive(data)
            except RfbError as err:
                if err.reply:
                    await websocket.send_bytes(err.reply)
                await websocket.close(PROTOCOL_ERROR, str(err)[:120])
                return
            if reply:
                await websocket.send_bytes(reply)
    finally:
        if receiving is not None:
            receiving.cancel()


SOCKET_SUMMARY = (
    "Console WebSocket, `?access_token=` from the token's href (`version`, `generation` "
    "optional). Serial: binary frames, any user with password `demo`, one session (a force "
    "token takes over: close 4001). VNC: RFB 3.8, security None, 640x400, background #0B3D91, "
    "two sessions. Bad token: HTTP 401; busy: close 4009; idle / total limit: close 4002 / "
    "4003; instance stopped: close 4004"
)


async def console_socket(websocket: WebSocket) -> None:
    await _console(websocket)


async def regional_console_socket(websocket: WebSocket) -> None:
    await _console(websocket)


# The route table's documentation (EMULATED_ENDPOINTS.md) reads these first lines.
console_socket.__doc__ = f"{SOCKET_SUMMARY} (us-south, the SDK's default URL)."
regional_console_socket.__doc__ = f"{SOCKET_SUMMARY} (regional)."


def _endpoints(prefix: str, where: str) -> list[Endpoint]:
    return [Endpoint(
        API, "POST", f"{prefix}/v1/instances/{{id}}/console_access_token", create_token,
        f"Create a single-use console access token ({where}): 200 with `href` = the console "
        "WebSocket URL carrying `access_token`, valid 3 minutes, one per instance (a new one "
        "replaces it). 403 `not_authorized` unless the caller holds is.instance.instance.operate "
        "and is.instance.instance.console on the instance; 400 `console_type_not_supported` for "
        "VNC on TDX or z/OS. A guess (IBM documents no code): with `console_refusal` = `token` "
        "(default) 409 `instance_not_running`, and 409 `console_in_use` for serial without force "
        "while a session is open; with `connection` the token is issued and the socket closes "
        "4004 / 4009")]


ENDPOINTS = [
    *_endpoints("", "us-south, the SDK's default URL"),
    *_endpoints("/vpc/{region}", "regional"),
]

WEBSOCKETS: list[BaseRoute] = [
    WebSocketRoute("/v1/instances/{id}/console", console_socket),
    WebSocketRoute("/vpc/{region}/v1/instances/{id}/console", regional_console_socket),
]
