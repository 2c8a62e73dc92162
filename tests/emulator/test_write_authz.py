"""Write authorization: who may change policies and access groups, through IBM's own SDKs over
real HTTP. A refused write is IBM's 403 and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamAccessGroupsV2, IamPolicyManagementV1

from iamcheck.emulator.seed import validate_seed
from tests.conftest import Emulator

ACCOUNT = "c8d7e6f5a4b3420198b7c6d5e4f3a2b1"
RG1, RG2 = "rg000000000000000000000000000wa1", "rg000000000000000000000000000wa2"
ROLE = "crn:v1:bluemix:public:iam::::role:"
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
OWNER, POLADMIN, ISADMIN, RGADMIN, GROUPEDITOR, ONEGROUP, NOBODY, VIEWER, TIMED, MEMBER = (
    f"IBMid-5000000{n}" for n in ("OWN", "PAD", "ISA", "RGA", "GED", "ONE", "NOB", "VIE", "TIM",
                                  "MEM"))
ADMINS, G1, G2 = (f"AccessGroupId-wr1te000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
PEOPLE = (OWNER, POLADMIN, ISADMIN, RGADMIN, GROUPEDITOR, ONEGROUP, NOBODY, VIEWER, TIMED, MEMBER)
WEEKDAYS = {"operator": "and", "conditions": [
    {"key": "{{environment.attributes.day_of_week}}", "operator": "dayOfWeekAnyOf",
     "value": [1, 2, 3, 4, 5, 6, 7]},
    {"key": "{{environment.attributes.current_time}}", "operator": "timeGreaterThanOrEquals",
     "value": "00:00:00+00:00"},
    {"key": "{{environment.attributes.current_time}}", "operator": "timeLessThanOrEquals",
     "value": "23:59:59+00:00"}]}


def policy(subject: tuple[str, str], resource: dict[str, str], *roles: str,
           **extra: Any) -> dict[str, Any]:
    attrs = [{"key": "accountId", "operator": "stringEquals", "value": ACCOUNT}]
    attrs += [{"key": k, "operator": "stringEquals", "value": v} for k, v in resource.items()]
    return {"type": "access",
            "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                        "value": subject[1]}]},
            "resource": {"attributes": attrs},
            "control": {"grant": {"roles": [{"role_id": r} for r in roles]}}, **extra}


def write_seed() -> dict[str, Any]:
    seed: dict[str, Any] = {
        "account_id": ACCOUNT,
        "api_keys": [{"apikey": f"wr-key-{p[-3:].lower()}-0001", "iam_id": p} for p in PEOPLE],
        "users": [{"iam_id": p, "email": f"{p[-3:].lower()}@example.com", "state": "ACTIVE"}
                  for p in PEOPLE],
        "access_groups": [
            {"id": ADMINS, "name": "policy admins", "members": [{"iam_id": POLADMIN}]},
            {"id": G1, "name": "one", "members": [{"iam_id": MEMBER}]},
            {"id": G2, "name": "two"},
        ],
        "policies": [
            policy(("access_group_id", ADMINS), {"serviceName": "iam-access-management"},
                   ROLE + "Administrator"),
            policy(("iam_id", ISADMIN), {"serviceName": "is"}, ROLE + "Administrator"),
            policy(("iam_id", RGADMIN), {"serviceName": "is", "resourceGroupId": RG1},
                   ROLE + "Administrator"),
            policy(("iam_id", GROUPEDITOR), {"serviceName": "iam-groups"}, ROLE + "Editor"),
            policy(("iam_id", ONEGROUP), {"serviceName": "iam-groups", "resource": G1},
                   ROLE + "Administrator"),
            policy(("iam_id", VIEWER), {"serviceName": "iam-access-management"},
                   ROLE + "Viewer"),
            policy(("iam_id", VIEWER), {"serviceName": "iam-groups"}, ROLE + "Viewer"),
            policy(("iam_id", TIMED), {"serviceName": "iam-access-management"},
                   ROLE + "Administrator", rule=WEEKDAYS,
                   pattern="time-based-conditions:weekly:custom-hours"),
        ],
        "resource_groups": [{"id": RG1, "name": "one", "default": True},
                            {"id": RG2, "name": "two"}],
    }
    validate_seed(seed)
    return seed


SEED = write_seed()
KEYS = {k["iam_id"]: k["apikey"] for k in SEED["api_keys"]}


@pytest.fixture
def account(emulator: Emulator) -> Emulator:
    emulator.load(SEED)
    return emulator


def console_grant(rg: str | None = RG1) -> dict[str, Any]:
    resource = {"serviceName": "is", **({"resourceGroupId": rg} if rg else {})}
    return policy(("iam_id", MEMBER), resource, ROLE + "Operator", CONSOLE)


def create(emu: Emulator, who: str, body: dict[str, Any]) -> int:
    iam = emu.client(IamPolicyManagementV1, KEYS[who])
    try:
        return int(iam.create_v2_policy(**body).get_status_code())
    except ApiException as err:
        return int(err.status_code)


def policy_count(emu: Emulator) -> int:
    return len(emu.backend.policies.policies_for_subject(iam_id=MEMBER))


@pytest.mark.parametrize(("who", "rg", "status"), [
    (OWNER, RG1, 201), (POLADMIN, RG1, 201), (POLADMIN, None, 201),  # through its group
    (ISADMIN, RG1, 201), (ISADMIN, None, 201),  # Administrator on the target service
    (RGADMIN, RG1, 201), (RGADMIN, RG2, 403), (RGADMIN, None, 403),  # its scope only
    (GROUPEDITOR, RG1, 403), (NOBODY, RG1, 403), (VIEWER, RG1, 403),
    (TIMED, RG1, 403),  # a policy with a rule does not count
])
def test_who_may_create_a_policy(account: Emulator, who: str, rg: str | None,
                                 status: int) -> None:
    assert create(account, who, console_grant(rg)) == status
    assert policy_count(account) == (1 if status == 201 else 0)  # a refusal writes nothing


def test_a_refusal_is_ibms_403_naming_the_role(account: Emulator) -> None:
    iam = account.client(IamPolicyManagementV1, KEYS[NOBODY])
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**console_grant())
    body = info.value.http_response.json()
    assert info.value.status_code == 403 and body["status_code"] == 403 and body["trace"]
    assert body["errors"][0]["code"] == "insufficent_permissions"  # sic: IBM's spelling
    assert "Administrator" in body["errors"][0]["message"]
    assert "IAM Access Management" in body["errors"][0]["message"]


def test_replace_and_delete_need_rights_on_the_existing_policy_too(account: Emulator) -> None:
    owner = account.client(IamPolicyManagementV1, KEYS[OWNER])
    made = owner.create_v2_policy(**console_grant(RG2))
    pid, etag = made.get_result()["id"], made.get_headers()["ETag"]
    rg_admin = account.client(IamPolicyManagementV1, KEYS[RGADMIN])
    for call in (lambda: rg_admin.delete_v2_policy(id=pid),
                 lambda: rg_admin.replace_v2_policy(id=pid, if_match=etag, **console_grant(RG1)),
                 lambda: rg_admin.delete_policy(policy_id=pid)):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status_code == 403
    assert owner.get_v2_policy(id=pid).get_result()["state"] == "active"
    is_admin = account.client(IamPolicyManagementV1, KEYS[ISADMIN])
    assert is_admin.delete_v2_policy(id=pid).get_status_code() == 204


def test_group_writes(account: Emulator) -> None:
    def groups(who: str) -> Any:
        return account.client(IamAccessGroupsV2, KEYS[who])

    for who in (NOBODY, VIEWER, POLADMIN, ONEGROUP):
        with pytest.raises(ApiException) as info:
            groups(who).create_access_group(account_id=ACCOUNT, name=f"by-{who}")
        assert info.value.status_code == 403
    assert groups(GROUPEDITOR).create_access_group(
        account_id=ACCOUNT, name="made").get_status_code() == 201
    member = [{"iam_id": NOBODY, "type": "user"}]
    assert groups(ONEGROUP).add_members_to_access_group(
        access_group_id=G1, members=member).get_status_code() == 207
    for who, gid in ((ONEGROUP, G2), (NOBODY, G1), (MEMBER, G1)):
        with pytest.raises(ApiException) as info:
            groups(who).add_members_to_access_group(access_group_id=gid, members=member)
        assert info.value.status_code == 403
    with pytest.raises(ApiException) as info:  # adding oneself changes the group too
        groups(NOBODY).add_member_to_multiple_access_groups(
            account_id=ACCOUNT, iam_id=NOBODY, type="user", groups=[G2])
    assert info.value.status_code == 403
    assert not account.backend.groups.holds(account.backend.groups.get(G2), NOBODY, "all")
    with pytest.raises(ApiException) as info:
        groups(NOBODY).delete_access_group(access_group_id=G1, force=True)
    assert info.value.status_code == 403
    assert groups(GROUPEDITOR).delete_access_group(
        access_group_id=G2, force=True).get_status_code() == 204


def test_unknown_group_is_404_before_403(account: Emulator) -> None:
    with pytest.raises(ApiException) as info:
        account.client(IamAccessGroupsV2, KEYS[NOBODY]).delete_access_group(
            access_group_id="AccessGroupId-nope")
    assert info.value.status_code == 404


def test_custom_roles_need_administrator_on_access_management(account: Emulator) -> None:
    role = {"display_name": "Console only", "actions": ["is.instance.instance.console"],
            "name": "ConsoleOnly", "account_id": ACCOUNT, "service_name": "is"}
    for who in (NOBODY, ISADMIN, VIEWER, GROUPEDITOR):
        with pytest.raises(ApiException) as info:
            account.client(IamPolicyManagementV1, KEYS[who]).create_role(**role)
        assert info.value.status_code == 403
    made = account.client(IamPolicyManagementV1, KEYS[POLADMIN]).create_role(**role)
    assert made.get_status_code() == 201
    with pytest.raises(ApiException) as info:
        account.client(IamPolicyManagementV1, KEYS[NOBODY]).delete_role(
            role_id=made.get_result()["id"])
    assert info.value.status_code == 403
