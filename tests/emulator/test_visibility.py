"""Read authorization: every list answers with what the caller may read, as IBM's do, through
IBM's own SDKs over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import (
    GlobalSearchV2,
    GlobalTaggingV1,
    IamAccessGroupsV2,
    IamPolicyManagementV1,
    ResourceManagerV2,
    UserManagementV1,
)
from ibm_platform_services.account_management_v4 import AccountManagementV4, AccountResponse
from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import InstancesPager

from iamcheck.emulator import demo_seed
from tests.conftest import Emulator
from tests.support.visibility_seed import (
    ACCOUNT,
    AUDITOR,
    INSTANCES,
    KEYS,
    NOBODY,
    ONCALL,
    ONCALL_GROUP,
    OPS_ONE,
    OWNER,
    REGIONS,
    RG_APPS,
    RG_OPS,
    SCOPED,
    SEED,
    TAGGED,
    TEAM,
)

EVERY_INSTANCE = {i["id"] for i in INSTANCES}


@pytest.fixture
def account(emulator: Emulator) -> Emulator:
    emulator.load(SEED)
    return emulator


def users_seen(emu: Emulator, who: str) -> set[str]:
    client = emu.client(UserManagementV1, KEYS[who])
    result = client.list_users(account_id=ACCOUNT).get_result()
    return {u["iam_id"] for u in result["resources"]}


def policies_seen(emu: Emulator, who: str, **query: Any) -> list[dict[str, Any]]:
    client = emu.client(IamPolicyManagementV1, KEYS[who])
    pager = V2PoliciesPager(client=client, account_id=ACCOUNT, limit=2, **query)
    found: list[dict[str, Any]] = pager.get_all()
    return found


def groups_seen(emu: Emulator, who: str, **query: Any) -> set[str]:
    client = emu.client(IamAccessGroupsV2, KEYS[who])
    return {g["name"] for g in client.list_access_groups(account_id=ACCOUNT, **query)
            .get_result()["groups"]}


def instances_seen(emu: Emulator, who: str) -> set[str]:
    seen = set()
    for region in REGIONS:
        vpc = emu.client(VpcV1, KEYS[who])
        vpc.set_service_url(f"{emu.url}/vpc/{region}/v1")
        seen |= {i["id"] for i in InstancesPager(client=vpc, limit=2).get_all()}
    return seen


def searched(emu: Emulator, who: str) -> set[str]:
    client = emu.client(GlobalSearchV2, KEYS[who])
    result = client.search(query="family:is AND type:instance", fields=["crn"],
                           account_id=ACCOUNT, limit=100).get_result()
    return {item["crn"].rsplit(":", 1)[1] for item in result["items"]}


def resource_groups_seen(emu: Emulator, who: str) -> set[str]:
    client = emu.client(ResourceManagerV2, KEYS[who])
    return {g["id"] for g in client.list_resource_groups(account_id=ACCOUNT)
            .get_result()["resources"]}


def refused(call: Any) -> int:
    with pytest.raises(ApiException) as info:
        call()
    return int(info.value.status_code)


@pytest.mark.parametrize("who", [OWNER, AUDITOR])
def test_the_owner_and_a_full_reader_see_everything(account: Emulator, who: str) -> None:
    assert users_seen(account, who) == {u["iam_id"] for u in SEED["users"]}
    assert len(policies_seen(account, who)) == len(SEED["policies"])
    assert groups_seen(account, who) == {"Public Access", "auditors", "team", "on-call"}
    members = account.client(IamAccessGroupsV2, KEYS[who]).list_access_group_members(
        access_group_id=TEAM).get_result()["members"]
    assert {m["iam_id"] for m in members} == {NOBODY, SCOPED}
    assert instances_seen(account, who) == EVERY_INSTANCE == searched(account, who)
    assert resource_groups_seen(account, who) == {RG_APPS, RG_OPS}


def test_without_read_roles_a_user_sees_only_itself(account: Emulator) -> None:
    assert users_seen(account, NOBODY) == {NOBODY}
    # only its group's policy: IBM answers an empty list, not an error, for the rest
    assert [p["subject"]["attributes"][0]["value"] for p in policies_seen(account, NOBODY)] \
        == [TEAM]
    assert policies_seen(account, NOBODY, iam_id=ONCALL) == []
    assert groups_seen(account, NOBODY) == {"Public Access", "team"}
    assert groups_seen(account, NOBODY, iam_id=ONCALL, membership_type="all") == \
        {"Public Access"}
    assert instances_seen(account, NOBODY) == set() == searched(account, NOBODY)
    assert resource_groups_seen(account, NOBODY) == set()


def test_reading_one_thing_the_caller_may_not_see_is_refused(account: Emulator) -> None:
    users = account.client(UserManagementV1, KEYS[NOBODY])
    assert users.get_user_profile(account_id=ACCOUNT, iam_id=NOBODY).get_result()["iam_id"] \
        == NOBODY
    assert refused(lambda: users.get_user_profile(account_id=ACCOUNT, iam_id=OWNER)) == 403
    groups = account.client(IamAccessGroupsV2, KEYS[NOBODY])
    assert groups.get_access_group(access_group_id=TEAM).get_result()["name"] == "team"
    assert refused(lambda: groups.get_access_group(access_group_id=ONCALL_GROUP)) == 403
    # a member sees its group, not who else is in it, nor its rules
    assert refused(lambda: groups.list_access_group_members(access_group_id=TEAM)) == 403
    assert refused(lambda: groups.list_access_group_rules(access_group_id=TEAM)) == 403
    assert groups.is_member_of_access_group(access_group_id=TEAM, iam_id=NOBODY) \
        .get_status_code() == 204
    oncall_policy = policies_seen(account, OWNER, access_group_id=ONCALL_GROUP)[0]["id"]
    iam = account.client(IamPolicyManagementV1, KEYS[NOBODY])
    assert refused(lambda: iam.get_v2_policy(id=oncall_policy)) == 403
    own = policies_seen(account, NOBODY)[0]["id"]
    assert iam.get_v2_policy(id=own).get_result()["id"] == own
    vpc = account.client(VpcV1, KEYS[NOBODY])
    vpc.set_service_url(f"{account.url}/vpc/us-south/v1")
    assert refused(lambda: vpc.get_instance(id=OPS_ONE)) == 403


def test_instances_follow_the_scope_of_the_callers_policies(account: Emulator) -> None:
    expected = {i["id"] for i in INSTANCES if i["resource_group"] == RG_APPS} | {OPS_ONE}
    assert instances_seen(account, SCOPED) == expected == searched(account, SCOPED)
    assert resource_groups_seen(account, SCOPED) == {RG_APPS}
    prod = {i["id"] for i in INSTANCES if "env:prod" in i["access_tags"]}
    assert instances_seen(account, TAGGED) == prod == searched(account, TAGGED)
    # access tags only of what the caller may read
    tagging = account.client(GlobalTaggingV1, KEYS[TAGGED])
    hidden = next(i for i in INSTANCES if i["id"] not in prod)
    crn = f"crn:v1:bluemix:public:is:{hidden['zone']}:a/{ACCOUNT}::instance:{hidden['id']}"
    assert tagging.list_tags(attached_to=crn, tag_type="access").get_result()["items"] == []
    names = {t["name"] for t in tagging.list_tags(tag_type="access").get_result()["items"]}
    assert names == {"env:prod"}


def test_restricted_lists_page_without_losing_or_repeating(account: Emulator) -> None:
    owned = [p for p in SEED["policies"]
             if p["subject"]["attributes"][0]["value"] in (SCOPED, TEAM)]
    pages = policies_seen(account, SCOPED)  # limit 2: two pages
    assert len(pages) == len(owned) == len({p["id"] for p in pages}) == 4
    iam = account.client(IamPolicyManagementV1, KEYS[SCOPED])
    assert refused(lambda: iam.list_v2_policies(account_id=ACCOUNT, limit=2,
                                                start="not-a-token")) == 400


def test_the_account_names_its_owner(account: Emulator) -> None:
    client = account.client(AccountManagementV4, KEYS[NOBODY])
    result = client.get_account(account_id=ACCOUNT).get_result()
    AccountResponse.from_dict(result)
    assert (result["id"], result["owner_iamid"]) == (ACCOUNT, OWNER)
    assert result["owner_userid"] == "own@example.com"
    other = "c0ffee00c0ffee00c0ffee00c0ffee00"
    assert refused(lambda: client.get_account(account_id=other)) == 403


def test_demo_keys_see_what_their_roles_allow(demo: Emulator) -> None:
    seed = demo_seed()
    admin, oncall, analyst = (k["apikey"] for k in seed["api_keys"][:3])
    account = seed["account_id"]
    users = {key: {u["iam_id"] for u in demo.client(UserManagementV1, key).list_users(
        account_id=account).get_result()["resources"]} for key in (admin, oncall)}
    assert users[admin] == {u["iam_id"] for u in seed["users"]}
    assert users[oncall] == {seed["api_keys"][1]["iam_id"]}
    groups = demo.client(ResourceManagerV2, analyst).list_resource_groups(
        account_id=account).get_result()["resources"]
    assert [g["name"] for g in groups] == ["data-analytics"]  # the one it may view
