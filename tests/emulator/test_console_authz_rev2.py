"""The emulator's console authorization under revision 2 of the rules (V4 states, dynamic rules
joined at login by claims, no Public Access for VPC, trusted profiles, propagation delay), seen
through VpcV1's console token; and the claim operators themselves."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamAccessGroupsV2, IamPolicyManagementV1
from ibm_vpc import VpcV1

from iamcheck.emulator.backend.claims import condition_holds, rule_matches
from tests.conftest import MINI_KEY, Emulator
from tests.emulator.rev2_seed import (
    ACCOUNT,
    DISABLED,
    FED_DEV,
    FED_SRE,
    FRESH,
    IDP,
    INSTANCE,
    PENDING,
    PUBLIC,
    SUSPENDED,
    console_policy,
    key_of,
    rev2_seed,
)


@pytest.fixture
def emu(emulator: Emulator) -> Any:
    emulator.load(rev2_seed())
    yield emulator
    emulator.backend.settings.propagation_delay = 0.0


def status(emu: Emulator, iam_id: str) -> int:
    client = emu.client(VpcV1, key_of(iam_id))
    client.set_service_url(f"{emu.url}/vpc/us-south/v1")
    try:
        return int(client.create_instance_console_access_token(INSTANCE, "vnc").get_status_code())
    except ApiException as err:
        return int(err.status_code)


def test_disabled_classic_infrastructure_is_decided_by_policies(emu: Emulator) -> None:
    assert status(emu, DISABLED) == 200


@pytest.mark.parametrize("iam_id", [PENDING, SUSPENDED])
def test_states_that_cannot_sign_in_are_refused(emu: Emulator, iam_id: str) -> None:
    assert status(emu, iam_id) == 403


def test_a_state_the_emulator_does_not_know_is_refused(emu: Emulator) -> None:
    seed = rev2_seed()  # loaded without the schema, as a future IBM state would arrive
    next(u for u in seed["users"] if u["iam_id"] == DISABLED)["state"] = "ARCHIVED"
    emu.backend.load(seed)
    assert status(emu, DISABLED) == 403


def test_dynamic_rule_joined_at_login_by_claims(emu: Emulator) -> None:
    assert status(emu, FED_SRE) == 200  # groups claim contains "sre"
    assert status(emu, FED_DEV) == 403  # signed in, but the rule does not match


def test_membership_lists_report_the_login(emu: Emulator) -> None:
    groups = emu.client(IamAccessGroupsV2)
    listed = groups.list_access_groups(account_id=ACCOUNT, iam_id=FED_SRE,
                                       membership_type="dynamic",
                                       hide_public_access=True).get_result()["groups"]
    assert [g["id"] for g in listed] == ["AccessGroupId-sre-dynamic"]
    assert groups.list_access_groups(account_id=ACCOUNT, iam_id=FED_DEV,
                                     membership_type="all", hide_public_access=True,
                                     ).get_result()["groups"] == []


def test_public_access_is_not_honoured_for_vpc(emu: Emulator) -> None:
    assert status(emu, PUBLIC) == 403


def test_propagation_delay_holds_back_a_new_policy_for_vpc_only(emu: Emulator) -> None:
    response = requests.post(f"{emu.url}/_emulator/config", json={"propagation_delay": 1.5},
                             timeout=5)
    assert response.status_code == 200 and response.json()["propagation_delay"] == 1.5
    body = console_policy(("iam_id", FRESH), "ignored")
    del body["id"]
    policies = emu.client(IamPolicyManagementV1, MINI_KEY)
    made = policies.create_v2_policy(control=body["control"], type="access",
                                     subject=body["subject"], resource=body["resource"],
                                     ).get_result()
    assert policies.get_v2_policy(id=made["id"]).get_result()["id"] == made["id"]
    assert status(emu, FRESH) == 403  # IAM shows it; VPC has not seen it yet
    time.sleep(1.6)
    assert status(emu, FRESH) == 200


def test_propagation_delay_is_validated(emu: Emulator) -> None:
    for bad in (-1, "soon", True, 10_000):
        response = requests.post(f"{emu.url}/_emulator/config",
                                 json={"propagation_delay": bad}, timeout=5)
        assert response.status_code == 400, bad


# ---- the claim operators


@pytest.mark.parametrize(("operator", "value", "claim", "expected"), [
    ("EQUALS", "sre", "sre", True),
    ("EQUALS", "sre", "SRE", False),
    ("EQUALS", "sre", ["dev", "sre"], True),
    ("EQUALS_IGNORE_CASE", "sre", "SRE", True),
    ("NOT_EQUALS", "sre", "dev", True),
    ("NOT_EQUALS", "sre", ["dev", "sre"], False),
    ("NOT_EQUALS", "sre", None, True),
    ("NOT_EQUALS_IGNORE_CASE", "sre", "SRE", False),
    ("CONTAINS", "\"sre\"", ["dev", "sre"], True),
    ("CONTAINS", "sre", "sre", True),
    ("CONTAINS", "sre", ["dev", "sre-old"], False),
    ("IN", "[\"sre\", \"ops\"]", "ops", True),
    ("IN", "sre,ops", ["web", "ops"], True),
    ("IN", "sre,ops", "web", False),
    ("EQUALS", "sre", None, False),
    ("LIKE", "sre", "sre", False),
])
def test_claim_operators(operator: str, value: str, claim: Any, expected: bool) -> None:
    claims = {} if claim is None else {"team": claim}
    assert condition_holds({"claim": "team", "operator": operator, "value": value},
                           claims) is expected


def test_a_rule_needs_its_realm_and_every_condition() -> None:
    rule = {"realm_name": IDP, "conditions": [
        {"claim": "a", "operator": "EQUALS", "value": "1"},
        {"claim": "b", "operator": "EQUALS", "value": "2"}]}
    assert rule_matches(rule, {"realm": IDP, "claims": {"a": "1", "b": "2"}})
    assert not rule_matches(rule, {"realm": IDP, "claims": {"a": "1"}})
    assert not rule_matches(rule, {"realm": "https://other.example", "claims": {"a": "1",
                                                                                "b": "2"}})
    assert not rule_matches(rule, None)
