"""R2: where /v2/roles lists the VPC roles (seed `vpc_roles_listed_under`), and the policy's
enriched roles (`format=display`) that carry the actions in either layout."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_platform_services import IamPolicyManagementV1

from tests.conftest import Emulator
from tests.emulator.rev2_seed import ACCOUNT, rev2_seed

OPERATE = "is.instance.instance.operate"
CONSOLE = "is.instance.instance.console"


def listing(emu: Emulator, service: str) -> dict[str, set[str]]:
    """role name -> actions, as /v2/roles lists them for `service`."""
    roles = emu.client(IamPolicyManagementV1).list_roles(
        account_id=ACCOUNT, service_name=service).get_result()
    return {r["display_name"]: set(r["actions"])
            for r in roles["system_roles"] + roles["service_roles"]}


def load(emu: Emulator, layout: str | None) -> None:
    seed = rev2_seed()
    if layout is not None:
        seed["vpc_roles_listed_under"] = layout
    emu.load(seed)


@pytest.mark.parametrize(("layout", "listed", "empty"), [
    (None, "is", "is.instance"), ("is", "is", "is.instance"), ("is.instance", "is.instance", "is"),
])
def test_vpc_roles_listed_under_one_service_name(emulator: Emulator, layout: str | None,
                                                 listed: str, empty: str) -> None:
    load(emulator, layout)
    full = listing(emulator, listed)
    assert OPERATE in full["Operator"] and full["Console Administrator"] == {CONSOLE}
    bare = listing(emulator, empty)
    assert "Console Administrator" not in bare
    assert not any(OPERATE in actions or CONSOLE in actions for actions in bare.values())


def enriched(policy: dict[str, Any]) -> dict[str, set[str]]:
    return {r["display_name"]: {a["id"] for a in r["actions"]}
            for r in policy["control"]["grant"]["roles"]}


@pytest.mark.parametrize("layout", ["is", "is.instance"])
def test_format_display_lists_each_roles_actions(emulator: Emulator, layout: str) -> None:
    load(emulator, layout)
    client = emulator.client(IamPolicyManagementV1)
    listed = client.list_v2_policies(account_id=ACCOUNT, format="display").get_result()
    one = next(p for p in listed["policies"] if p["id"] == "p-profile")
    roles = enriched(one)
    assert OPERATE in roles["Operator"] and roles["Console Administrator"] == {CONSOLE}
    assert all({"role_id", "display_name", "actions"} <= set(r)
               for r in one["control"]["grant"]["roles"])
    single = client.get_v2_policy(id="p-profile", format="display").get_result()
    assert enriched(single) == roles
    plain = client.get_v2_policy(id="p-profile").get_result()
    assert all("actions" not in r for r in plain["control"]["grant"]["roles"])
