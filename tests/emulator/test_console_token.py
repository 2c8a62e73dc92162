"""POST /v1/instances/{id}/console_access_token through VpcV1, and the token's life: single use,
one per instance, 3 minutes, refused for a stopped instance. Helpers here serve the serial and
VNC tests too."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import InstanceConsoleAccessToken
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from iamcheck.emulator.seed import demo_seed, validate_seed
from tests.conftest import Emulator

ONCALL, ANALYST, PAYMENTS = 1, 2, 3  # api_keys of the demo seed
PAY_API = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a301"  # us-south, running
PAY_BATCH_CA = "0d17_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a303"  # ca-tor, running
PAY_STAGING = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a304"  # us-south, stopped
VAULT_TDX = "0d27_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a306"  # ca-tor, TDX
ZOS = "0737_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a307"  # us-south, z/OS
SUSPENDED = "IBMid-6650001014"  # on-call member, Administrator + Console Administrator on `is`


def vpc(emu: Emulator, key: int = ONCALL, region: str | None = "us-south") -> VpcV1:
    client = emu.client(VpcV1, emu.backend.seed["api_keys"][key]["apikey"])
    client.set_service_url(f"{emu.url}/v1" if region is None else f"{emu.url}/vpc/{region}/v1")
    return client


def token(emu: Emulator, instance_id: str = PAY_API, console_type: str = "serial",
          force: bool | None = None, key: int = ONCALL, region: str = "us-south") -> dict[str, Any]:
    response = vpc(emu, key, region).create_instance_console_access_token(
        instance_id, console_type, force=force)
    assert response.get_status_code() == 200
    result: dict[str, Any] = response.get_result()
    return result


def refusal(call: Any) -> tuple[int, dict[str, Any]]:
    """(status, errors[0]) of a VPC call that must fail, checking VPC's error envelope."""
    with pytest.raises(ApiException) as info:
        call()
    body: dict[str, Any] = info.value.http_response.json()
    assert set(body) == {"errors", "trace", "status_code"}
    assert body["status_code"] == info.value.status_code
    assert {"code", "message", "more_info"} <= set(body["errors"][0])
    return info.value.status_code, body["errors"][0]


def control(emu: Emulator, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(f"{emu.url}/_emulator/{path}", json=body or {}, timeout=10)


def socket_url(result: dict[str, Any]) -> str:
    """The href as iamcheck's client uses it: version and generation appended."""
    return f"{result['href']}&version=2026-10-06&generation=2"


async def open_socket(url: str, **kwargs: Any) -> ClientConnection:
    return await connect(url, max_size=None, open_timeout=5, **kwargs)


async def closed_with(ws: ClientConnection, timeout: float = 5) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the connection dropped without a close frame"
        return closed.rcvd.code, closed.rcvd.reason


def handshake_refusal(url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, errors[0]) of a WebSocket handshake the emulator refuses."""
    async def attempt() -> tuple[int, dict[str, Any]]:
        with pytest.raises(InvalidStatus) as info:
            await open_socket(url)
        response = info.value.response
        return response.status_code, json.loads(response.body)["errors"][0]
    return asyncio.run(attempt())


# ---- the token


def test_token_has_ibms_shape_and_points_at_the_console(demo: Emulator) -> None:
    result = token(demo)
    model = InstanceConsoleAccessToken.from_dict(result)
    assert model.console_type == "serial" and model.force is False
    assert (model.expires_at - model.created_at).total_seconds() == 180
    assert abs(model.created_at.timestamp() - time.time()) < 5
    href = urlparse(result["href"])
    assert f"{href.scheme}://{href.netloc}" == demo.url.replace("http://", "ws://")
    assert href.path == f"/vpc/us-south/v1/instances/{PAY_API}/console"
    assert parse_qs(href.query) == {"access_token": [result["access_token"]]}
    assert len(result["access_token"]) >= 32 and "/" not in result["access_token"]


def test_token_for_another_region_and_the_default_url(demo: Emulator) -> None:
    seed = copy.deepcopy(demo_seed())
    seed["cbr_rules"] = []  # the demo walls pay-batch-ca off with CBR; routing is tested here
    demo.load(seed)
    regional = token(demo, PAY_BATCH_CA, "vnc", force=True, region="ca-tor")
    assert regional["force"] is True and regional["console_type"] == "vnc"
    assert f"/vpc/ca-tor/v1/instances/{PAY_BATCH_CA}/console?" in regional["href"]
    default = vpc(demo, region=None).create_instance_console_access_token(PAY_API, "vnc")
    assert "/vpc/us-south/v1/instances/" in default.get_result()["href"]
    status, error = refusal(lambda: vpc(demo, region="us-south")
                            .create_instance_console_access_token(PAY_BATCH_CA, "serial"))
    assert (status, error["code"]) == (404, "not_found")  # it lives in ca-tor


def test_caller_without_both_actions_gets_403(demo: Emulator) -> None:
    status, error = refusal(lambda: vpc(demo, ANALYST).create_instance_console_access_token(
        PAY_API, "serial"))
    assert (status, error["code"]) == (403, "not_authorized")
    # Payments may open payments consoles only (Operator + group Console Administrator).
    assert token(demo, PAY_API, key=PAYMENTS)["access_token"]
    status, _ = refusal(lambda: vpc(demo, PAYMENTS, "ca-tor").create_instance_console_access_token(
        VAULT_TDX, "serial"))
    assert status == 403


def test_suspended_user_is_refused_whatever_the_policies(demo: Emulator) -> None:
    seed = copy.deepcopy(demo_seed())
    seed["api_keys"].append({"apikey": "test-suspended-key-0001", "iam_id": SUSPENDED})
    validate_seed(seed)
    demo.load(seed)
    status, error = refusal(lambda: vpc(demo, len(seed["api_keys"]) - 1)
                            .create_instance_console_access_token(PAY_API, "serial"))
    assert (status, error["code"]) == (403, "not_authorized")
    next(u for u in seed["users"] if u["iam_id"] == SUSPENDED)["state"] = "ACTIVE"
    demo.load(seed)
    assert token(demo, key=len(seed["api_keys"]) - 1)["access_token"]


def test_requests_are_checked_like_vpc_does(demo: Emulator) -> None:
    base = f"{demo.url}/vpc/us-south/v1/instances/{PAY_API}/console_access_token"
    headers = {"Authorization": "Bearer " + demo.authenticator(
        demo.backend.seed["api_keys"][ONCALL]["apikey"]).token_manager.get_token()}
    cases = [
        ("", {"console_type": "serial"}, "missing_version"),
        ("?version=2026-10-06", {"console_type": "serial"}, "missing_generation"),
        ("?version=2026-10-06&generation=2", {"console_type": "rdp"}, "invalid_field"),
        ("?version=2026-10-06&generation=2", {"console_type": "serial", "force": "yes"},
         "invalid_field"),
    ]
    for query, body, code in cases:
        response = requests.post(base + query, json=body, headers=headers, timeout=10)
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == code
    assert requests.post(base + "?version=2026-10-06&generation=2", json={
        "console_type": "serial"}, timeout=10).status_code == 401


def test_vnc_is_refused_on_tdx_and_zos_but_serial_works(demo: Emulator) -> None:
    for instance_id, region in ((VAULT_TDX, "ca-tor"), (ZOS, "us-south")):
        status, error = refusal(lambda i=instance_id, r=region: vpc(demo, region=r)
                                .create_instance_console_access_token(i, "vnc"))
        assert (status, error["code"]) == (400, "console_type_not_supported")
        assert token(demo, instance_id, "serial", region=region)["console_type"] == "serial"


def test_stopped_instance_refuses_tokens_until_started(demo: Emulator) -> None:
    status, error = refusal(lambda: vpc(demo).create_instance_console_access_token(
        PAY_STAGING, "serial"))
    assert (status, error["code"]) == (409, "instance_not_running")
    assert control(demo, f"instances/{PAY_STAGING}/start").json()["status"] == "running"
    assert vpc(demo).get_instance(PAY_STAGING).get_result()["status"] == "running"
    assert token(demo, PAY_STAGING)["access_token"]
    assert control(demo, f"instances/{PAY_API}/stop").json()["status"] == "stopped"
    status, _ = refusal(lambda: vpc(demo).create_instance_console_access_token(PAY_API, "vnc"))
    assert status == 409
    assert control(demo, "instances/0717_nowhere/stop").status_code == 404


# ---- one token per instance, used once, for a limited time


def test_token_is_single_use(demo: Emulator) -> None:
    url = socket_url(token(demo))

    async def use_once() -> None:
        ws = await open_socket(url)
        assert b"login: " in await ws.recv()
        await ws.close()
    asyncio.run(use_once())
    status, error = handshake_refusal(url)
    assert (status, error["code"]) == (401, "console_access_token_invalid")


def test_a_new_token_replaces_the_old_one(demo: Emulator) -> None:
    first = socket_url(token(demo))
    second = socket_url(token(demo, console_type="vnc"))
    assert handshake_refusal(first)[0] == 401

    async def vnc() -> None:
        ws = await open_socket(second)
        assert await ws.recv() == b"RFB 003.008\n"  # the console type is the token's
        await ws.close()
    asyncio.run(vnc())


def test_token_expires(demo: Emulator) -> None:
    assert control(demo, "config", {"console_token_seconds": 0.3}).status_code == 200
    result = token(demo)
    created, expires = (datetime.fromisoformat(result[k]) for k in ("created_at", "expires_at"))
    assert (expires - created).total_seconds() <= 1  # stamps are whole seconds
    time.sleep(1.1)
    status, error = handshake_refusal(socket_url(result))
    assert (status, error["code"]) == (401, "console_access_token_expired")


def test_token_is_for_its_instance_only(demo: Emulator) -> None:
    result = token(demo)
    other = result["href"].replace(PAY_API, PAY_STAGING)
    assert handshake_refusal(other)[0] == 401
    status, error = handshake_refusal(result["href"] + "&version=yesterday&generation=2")
    assert (status, error["code"]) == (400, "invalid_version")
    assert handshake_refusal(result["href"] + "&generation=1")[1]["code"] == "invalid_generation"
    assert handshake_refusal(result["href"].split("?")[0])[0] == 401  # no token at all


def test_config_endpoint_sets_known_keys_only(demo: Emulator) -> None:
    shown = requests.get(f"{demo.url}/_emulator/config", timeout=10).json()
    assert shown["console_idle_seconds"] == 600 and shown["console_session_seconds"] == 3600
    assert shown["console_token_seconds"] == 180
    assert control(demo, "config", {"console_idle_seconds": 5}).json()[
        "console_idle_seconds"] == 5
    for body in ({"console_idle_seconds": 0}, {"console_session_seconds": "long"},
                 {"console_idle_seconds": True}, {"console_colour": 1}):
        assert control(demo, "config", body).status_code == 400
    assert demo.backend.console.idle_seconds == 5
    demo.load(demo_seed())
    assert demo.backend.console.idle_seconds == 600  # limits reset with the account
