"""Fidelity round 2: IBM's error shapes on every route (the framework's too), the control API's
secret, tokens bound to their account, and the guess settings."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamAccessGroupsV2, IamIdentityV1, IamPolicyManagementV1
from ibm_platform_services.iam_identity_v1 import ApiKey
from ibm_platform_services.resource_manager_v2 import ResourceGroup, ResourceManagerV2
from ibm_vpc import VpcV1

from iamcheck.emulator import Backend, demo_seed
from iamcheck.emulator.server import EmulatorServer
from tests.conftest import MINI_KEY, Emulator, mini_seed
from tests.emulator.test_console_token import (
    PAY_STAGING,
    closed_with,
    control,
    open_socket,
    socket_url,
)
from tests.emulator.test_console_token import token as console_token

ACCOUNT = mini_seed()["account_id"]
VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"


def token(emu: Emulator, apikey: str | None = None) -> str:
    return str(emu.authenticator(apikey).token_manager.get_token())


def get(emu: Emulator, path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token(emu)}"}
    return requests.request(method, emu.url + path, headers=headers, timeout=10,
                            allow_redirects=False, **kwargs)


def platform_error(answer: requests.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert body["status_code"] == status and body["trace"]
    assert body["errors"][0]["code"] and body["errors"][0]["message"]
    return body


def vpc_error(answer: requests.Response, status: int) -> dict[str, Any]:
    body = platform_error(answer, status)
    assert body["errors"][0]["more_info"].startswith("https://")
    return body


@pytest.mark.parametrize("path", ["/v2/nothing", "/v2/groups/", "/v2/policies/",
                                  "/v1/nothing/at/all", "/"])
def test_unknown_paths_and_trailing_slashes_are_ibm_404s_without_redirect(
        emulator: Emulator, path: str) -> None:
    platform_error(get(emulator, path), 404)


def test_vpc_paths_answer_in_vpcs_shape(emulator: Emulator) -> None:
    body = vpc_error(get(emulator, "/v1/instances/x/nothing?version=2025-01-01&generation=2"), 404)
    assert body["errors"][0]["code"] == "not_found"
    vpc_error(get(emulator, "/vpc/us-south/v1/instances/", params={"version": "2025-01-01"}), 404)
    body = vpc_error(requests.get(f"{emulator.url}/v1/instances?version=2025-01-01&generation=2",
                                  timeout=10), 401)  # the token check answers in VPC's shape too
    assert "more_info" in body["errors"][0]
    vpc_error(get(emulator, "/v1/instances", "DELETE"), 405)


def test_wrong_methods_are_ibm_405s(emulator: Emulator) -> None:
    answer = get(emulator, "/v2/policies", "PATCH")
    platform_error(answer, 405)
    assert "GET" in answer.headers["allow"]


def test_head_is_answered_as_the_get(emulator: Emulator) -> None:
    answer = get(emulator, "/v2/groups", "HEAD", params={"account_id": ACCOUNT})
    assert answer.status_code == 200 and answer.content == b""


def test_the_token_service_answers_in_its_own_shape(emulator: Emulator) -> None:
    answer = requests.get(f"{emulator.url}/identity/token", timeout=10)
    assert answer.status_code == 405
    assert {"errorCode", "errorMessage", "context"} <= set(answer.json())
    answer = requests.get(f"{emulator.url}/identity/nothing", timeout=10)
    assert answer.status_code == 404 and "errorCode" in answer.json()


def test_groups_settings_patch_is_routed_to_the_settings(emulator: Emulator) -> None:
    groups = emulator.client(IamAccessGroupsV2)
    off = groups.update_account_settings(account_id=ACCOUNT, public_access_enabled=False)
    assert off.get_status_code() == 200 and off.get_result()["public_access_enabled"] is False
    read = groups.get_account_settings(account_id=ACCOUNT).get_result()
    assert read["public_access_enabled"] is False and read["account_id"] == ACCOUNT


def test_get_resource_group_by_id(emulator: Emulator) -> None:
    rm = emulator.client(ResourceManagerV2)
    rg = mini_seed()["resource_groups"][0]["id"]
    group = ResourceGroup.from_dict(rm.get_resource_group(id=rg).get_result())
    assert group.id == rg and group.name == "default"
    with pytest.raises(ApiException) as info:
        rm.get_resource_group(id="rg-nope")
    assert info.value.status_code == 404


def test_api_key_details_fit_the_sdk_model_and_hide_the_key(emulator: Emulator) -> None:
    answer = emulator.client(IamIdentityV1).get_api_keys_details(iam_api_key=MINI_KEY)
    key = ApiKey.from_dict(answer.get_result())
    assert key.iam_id == "IBMid-100000AAAA" and key.account_id == ACCOUNT
    assert MINI_KEY not in answer.get_result().values()


def v2_body(**extra: Any) -> dict[str, Any]:
    return {"type": "access",
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                        "value": "IBMid-100000AAAA"}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"}]},
            "control": {"grant": {"roles": [{"role_id": VIEWER}]}}, **extra}


def test_a_duplicate_names_the_whole_conflicting_policy(emulator: Emulator) -> None:
    iam = emulator.client(IamPolicyManagementV1)
    first = iam.create_v2_policy(**v2_body()).get_result()
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**v2_body())
    error = info.value.http_response.json()["errors"][0]
    assert info.value.status_code == 409 and error["code"] == "policy_conflict_error"
    conflict = error["details"]["conflicts_with"]
    assert conflict["policy"]["id"] == first["id"] and conflict["etag"]
    assert conflict["policy"]["href"] == first["href"]


def test_the_plain_weekly_pattern_is_accepted(emulator: Emulator) -> None:
    rule = {"operator": "and", "conditions": [
        {"key": "{{environment.attributes.day_of_week}}", "operator": "dayOfWeekAnyOf",
         "value": ["1+00:00", "2+00:00"]},
        {"key": "{{environment.attributes.current_time}}", "operator": "timeGreaterThanOrEquals",
         "value": "09:00:00+00:00"}]}
    made = emulator.client(IamPolicyManagementV1).create_v2_policy(
        **v2_body(rule=rule, pattern="time-based-conditions:weekly"))
    assert made.get_status_code() == 201


def test_a_token_of_a_seed_loaded_before_reads_nothing(emulator: Emulator) -> None:
    iam = emulator.client(IamPolicyManagementV1)
    assert iam.list_v2_policies(account_id=ACCOUNT).get_status_code() == 200
    other = copy.deepcopy(mini_seed())
    other["account_id"] = "f" * 32
    emulator.load(other)
    with pytest.raises(ApiException) as info:  # the client still holds its cached token
        iam.list_v2_policies(account_id=other["account_id"])
    assert info.value.status_code == 401
    fresh = emulator.client(IamPolicyManagementV1)
    assert fresh.list_v2_policies(account_id=other["account_id"]).get_status_code() == 200


# ---- the control API


def test_control_api_needs_the_secret_when_loopback_is_not_trusted() -> None:
    backend = Backend(mini_seed(), control_secret="s3cret-for-this-run",
                      control_from_loopback=False)
    with EmulatorServer(backend) as server:
        refused = requests.post(f"{server.url}/_emulator/reset", timeout=10)
        assert platform_error(refused, 403)["errors"][0]["message"].count("X-Emulator-Secret")
        wrong = requests.post(f"{server.url}/_emulator/reset", timeout=10,
                              headers={"X-Emulator-Secret": "guess"})
        assert wrong.status_code == 403
        right = requests.post(f"{server.url}/_emulator/reset", timeout=10,
                              headers={"X-Emulator-Secret": "s3cret-for-this-run"})
        assert right.status_code == 204


def test_control_api_from_loopback_when_allowed(emulator: Emulator) -> None:
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).status_code == 200


# ---- guesses


def test_stale_etag_answers_412_or_409_as_set(emulator: Emulator) -> None:
    iam = emulator.client(IamPolicyManagementV1)
    made = iam.create_v2_policy(**v2_body())
    pid = made.get_result()["id"]
    statuses = []
    for choice in (412, 409):
        answer = requests.post(f"{emulator.url}/_emulator/config", timeout=10,
                               json={"stale_etag_status": choice})
        assert answer.json()["stale_etag_status"] == choice
        with pytest.raises(ApiException) as info:
            iam.replace_v2_policy(id=pid, if_match="1-stale", **v2_body())
        statuses.append(info.value.status_code)
    assert statuses == [412, 409]
    bad = requests.post(f"{emulator.url}/_emulator/config", json={"stale_etag_status": 418},
                        timeout=10)
    assert bad.status_code == 400


def test_console_refusal_at_token_or_at_connection(demo: Emulator) -> None:
    seed = demo_seed()
    stopped = seed["instances"][0]
    requests.post(f"{demo.url}/_emulator/instances/{stopped['id']}/stop", timeout=10)
    vpc = demo.client(VpcV1, seed["api_keys"][1]["apikey"])  # on-call: every console
    vpc.set_service_url(f"{demo.url}/vpc/{stopped['region']}/v1")
    with pytest.raises(ApiException) as info:
        vpc.create_instance_console_access_token(stopped["id"], console_type="serial")
    assert info.value.status_code == 409
    requests.post(f"{demo.url}/_emulator/config", json={"console_refusal": "connection"},
                  timeout=10).raise_for_status()
    made = vpc.create_instance_console_access_token(stopped["id"], console_type="serial")
    assert made.get_status_code() == 200 and "access_token=" in made.get_result()["href"]


def test_guesses_come_from_the_seed_too(emulator: Emulator) -> None:
    seed = {**mini_seed(), "guesses": {"stale_etag_status": 409, "console_refusal": "connection"}}
    emulator.load(seed)
    view = requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()
    assert (view["stale_etag_status"], view["console_refusal"]) == (409, "connection")
    emulator.load(mini_seed())
    assert requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()[
        "stale_etag_status"] == 412


def test_with_connection_refusals_the_socket_is_what_refuses(demo: Emulator) -> None:
    control(demo, "config", {"console_refusal": "connection"}).raise_for_status()

    async def sessions() -> None:
        first = await open_socket(socket_url(console_token(demo)))
        await first.recv()
        busy = await open_socket(socket_url(console_token(demo)))  # no force: a token all the same
        assert (await closed_with(busy))[0] == 4009
        await first.close()
        assert control(demo, f"instances/{PAY_STAGING}/stop").status_code == 200
        stopped = await open_socket(socket_url(console_token(demo, PAY_STAGING)))
        assert (await closed_with(stopped))[0] == 4004

    asyncio.run(sessions())
