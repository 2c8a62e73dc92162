"""IAM Policy Management /v2/roles: IBM's roles and the account's custom roles, through the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import (
    Control,
    CustomRole,
    Grant,
    RoleCollection,
    Roles,
    V2PolicyResource,
    V2PolicyResourceAttribute,
    V2PolicySubject,
    V2PolicySubjectAttribute,
)

from iamcheck.emulator import validate_seed
from iamcheck.emulator.backend.roles import MAX_CUSTOM_ROLES, RoleStore
from tests.conftest import Emulator, mini_seed

ACCOUNT = mini_seed()["account_id"]
CONSOLE = "is.instance.instance.console"
OPERATE = "is.instance.instance.operate"
CONSOLE_CRN = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"


def account(custom_roles: int = 1) -> dict[str, Any]:
    seed = mini_seed()
    seed["custom_roles"] = [
        {"name": "ConsoleOperator", "display_name": "Console operator", "service_name": "is",
         "description": "Operate and open the console of instances",
         "actions": [OPERATE, CONSOLE]},
        *({"name": f"Filler{i}", "display_name": f"Filler {i}", "service_name": "is",
           "actions": ["is.instance.instance.read", f"is.instance.instance.filler{i}"]}
          for i in range(custom_roles - 1)),
    ]
    return seed


@pytest.fixture
def iam(emulator: Emulator) -> IamPolicyManagementV1:
    emulator.load(account())
    client: IamPolicyManagementV1 = emulator.client(IamPolicyManagementV1)
    return client


def test_inline_seeds_are_valid() -> None:
    validate_seed(account())
    validate_seed(account(MAX_CUSTOM_ROLES))


def test_is_roles_carry_ibm_actions(iam: IamPolicyManagementV1) -> None:
    result = iam.list_roles(service_name="is", account_id=ACCOUNT).get_result()
    roles = RoleCollection.from_dict(result)
    system = {r.display_name: set(r.actions) for r in roles.system_roles}
    assert set(system) == {"Viewer", "Operator", "Editor", "Administrator"}
    assert {"is.instance.instance.list", "is.instance.instance.read"} <= system["Viewer"]
    assert OPERATE not in system["Viewer"]
    assert all(OPERATE in system[r] for r in ("Operator", "Editor", "Administrator"))
    assert not any(CONSOLE in actions for actions in system.values())
    service = {r.display_name: r for r in roles.service_roles}
    console = service["Console Administrator"]
    assert console.crn == CONSOLE_CRN and console.actions == [CONSOLE]
    assert {"IP Spoofing Operator", "Bare Metal Console Admin", "VPN Client"} <= set(service)
    assert all(CONSOLE not in r.actions for n, r in service.items() if n != "Console Administrator")
    assert [r.name for r in roles.custom_roles] == ["ConsoleOperator"]
    assert "name" not in result["system_roles"][0]  # IBM's roles carry display_name and crn


def test_without_service_name_system_roles_carry_no_service_actions(
        iam: IamPolicyManagementV1) -> None:
    roles = RoleCollection.from_dict(iam.list_roles(account_id=ACCOUNT).get_result())
    assert {r.crn for r in roles.system_roles} == {
        f"crn:v1:bluemix:public:iam::::role:{n}"
        for n in ("Viewer", "Operator", "Editor", "Administrator")}
    assert all(r.actions == [] for r in roles.system_roles) and roles.service_roles == []
    assert [r.account_id for r in roles.custom_roles] == [ACCOUNT]
    other = iam.list_roles(account_id="0" * 32, service_name="is").get_result()
    assert other["custom_roles"] == []
    groups = iam.list_roles(service_group_id="IAM", account_id=ACCOUNT).get_result()
    assert groups["custom_roles"] == []
    assert "crn:v1:bluemix:public:iam-identity::::serviceRole:ServiceIdCreator" in {
        r["crn"] for r in groups["service_roles"]}
    assert not any(r["crn"].startswith("crn:v1:bluemix:public:is:")
                   for r in groups["service_roles"])


def test_custom_role_lifecycle(iam: IamPolicyManagementV1) -> None:
    created = iam.create_role(display_name="Console only", actions=[CONSOLE], name="ConsoleOnly",
                              account_id=ACCOUNT, service_name="is", description="Just consoles")
    assert created.get_status_code() == 201
    role = CustomRole.from_dict(created.get_result())
    assert role.crn == ("crn:v1:ibmcloud:public:iam-access-management::"
                        f"a/{ACCOUNT}::customRole:ConsoleOnly")
    assert role.href.endswith(f"/v2/roles/{role.id}") and role.created_by_id == "IBMid-100000AAAA"
    read = iam.get_role(role_id=role.id)
    etag = read.get_headers()["ETag"]
    assert CustomRole.from_dict(read.get_result()).actions == [CONSOLE]
    replaced = iam.replace_role(role_id=role.id, if_match=etag, display_name="Console and more",
                                actions=[CONSOLE, "is.instance.instance.read"])
    assert CustomRole.from_dict(replaced.get_result()).display_name == "Console and more"
    assert replaced.get_headers()["ETag"] != etag
    with pytest.raises(ApiException) as info:
        iam.replace_role(role_id=role.id, if_match=etag, display_name="Stale", actions=[CONSOLE])
    assert info.value.status_code == 412
    listed = iam.list_roles(account_id=ACCOUNT, service_name="is").get_result()["custom_roles"]
    assert role.id in {r["id"] for r in listed}
    assert iam.delete_role(role_id=role.id).get_status_code() == 204
    with pytest.raises(ApiException) as info:
        iam.get_role(role_id=role.id)
    assert info.value.status_code == 404
    assert info.value.http_response.json()["errors"][0]["code"] == "role_not_found"


@pytest.mark.parametrize(("name", "actions"), [
    ("ConsoleOperator", [CONSOLE]),  # name taken
    ("SameActions", [CONSOLE, OPERATE]),  # IBM refuses two roles with the same actions
])
def test_duplicate_custom_roles_are_409s(iam: IamPolicyManagementV1, name: str,
                                         actions: list[str]) -> None:
    with pytest.raises(ApiException) as info:
        iam.create_role(display_name="Dup", actions=actions, name=name, account_id=ACCOUNT,
                        service_name="is")
    assert info.value.status_code == 409
    assert info.value.http_response.json()["errors"][0]["code"] == "role_conflict_error"


@pytest.mark.parametrize("change", [
    {"name": "lowercase"},
    {"account_id": "0" * 32},
    {"actions": ["iam-groups.groups.read"]},  # no action of the role's own service
    {"display_name": "x" * 51},
])
def test_invalid_custom_roles_are_400s(iam: IamPolicyManagementV1, change: dict[str, Any]) -> None:
    body = {"display_name": "Fine", "actions": [CONSOLE], "name": "Fine",
            "account_id": ACCOUNT, "service_name": "is", **change}
    with pytest.raises(ApiException) as info:
        iam.create_role(**body)
    assert info.value.status_code == 400


def test_custom_role_quota(emulator: Emulator) -> None:
    emulator.load(account(MAX_CUSTOM_ROLES))
    iam = emulator.client(IamPolicyManagementV1)
    with pytest.raises(ApiException) as info:
        iam.create_role(display_name="One more", actions=[CONSOLE], name="OneMore",
                        account_id=ACCOUNT, service_name="is")
    assert info.value.status_code == 422


def _policy(role_crn: str, service: str) -> dict[str, Any]:
    return {
        "type": "access",
        "subject": V2PolicySubject(attributes=[V2PolicySubjectAttribute(
            key="iam_id", operator="stringEquals", value="IBMid-100000AAAA")]),
        "resource": V2PolicyResource(attributes=[
            V2PolicyResourceAttribute(key="accountId", operator="stringEquals", value=ACCOUNT),
            V2PolicyResourceAttribute(key="serviceName", operator="stringEquals", value=service),
        ]),
        "control": Control(grant=Grant(roles=[Roles(role_id=role_crn)])),
    }


def test_policies_accept_custom_roles_of_their_service_only(iam: IamPolicyManagementV1) -> None:
    crn = iam.list_roles(account_id=ACCOUNT, service_name="is").get_result()["custom_roles"][0]
    assert iam.create_v2_policy(**_policy(crn["crn"], "is")).get_status_code() == 201
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**_policy(crn["crn"], "cloud-object-storage"))
    assert info.value.status_code == 400
    with pytest.raises(ApiException) as info:  # a VPC service role outside VPC
        iam.create_v2_policy(**_policy(CONSOLE_CRN, "cloud-object-storage"))
    assert info.value.status_code == 400


def test_actions_of_resolves_roles_to_actions() -> None:
    roles = RoleStore(account())
    iam_variant = CONSOLE_CRN.replace(":is::::", ":iam::::")
    assert roles.actions_of(CONSOLE_CRN, "is") == {CONSOLE}
    assert roles.actions_of(iam_variant, "is") == {CONSOLE}  # decision R4
    assert roles.canonical(iam_variant) == CONSOLE_CRN
    assert OPERATE in roles.actions_of("crn:v1:bluemix:public:iam::::role:Operator", "is")
    assert OPERATE in roles.actions_of("crn:v1:bluemix:public:iam::::role:Editor", "is.instance")
    assert roles.actions_of("crn:v1:bluemix:public:iam::::role:Operator", "kms") == frozenset()
    assert roles.actions_of("crn:v1:bluemix:public:iam::::role:Viewer", "is") >= {
        "is.instance.instance.read"}
    custom = (f"crn:v1:ibmcloud:public:iam-access-management::a/{ACCOUNT}"
              "::customRole:ConsoleOperator")
    assert roles.actions_of(custom, "is") == {OPERATE, CONSOLE}
    assert roles.actions_of(custom, "kms") == frozenset()
    assert roles.actions_of("crn:v1:bluemix:public:iam::::serviceRole:Reader", "is") == frozenset()
