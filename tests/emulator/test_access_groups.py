"""IAM Access Groups through IBM's own SDK over real HTTP; every answer parsed by SDK models."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from ibm_cloud_sdk_core import ApiException, get_query_param
from ibm_platform_services import IamAccessGroupsV2
from ibm_platform_services.iam_access_groups_v2 import (
    AccessGroupMembersPager,
    AccessGroupsPager,
    AddGroupMembersResponse,
    AddMembershipMultipleGroupsResponse,
    DeleteGroupBulkMembersResponse,
    Group,
    GroupMembersList,
    GroupsList,
    Rule,
    RuleConditions,
    RulesList,
)

from iamcheck.emulator.seed import validate_seed
from tests.conftest import Emulator, mini_seed

PUBLIC = "AccessGroupId-PublicAccess"
ACCOUNT = mini_seed()["account_id"]
USERS = [f"IBMid-2000{i:04d}XY" for i in range(75)]
USER_A, USER_B = USERS[0], USERS[1]  # A: static in group 1, dynamic in group 2; B: in no group
SERVICE = "iam-ServiceId-0000aaaa-1111-2222-3333-444455556666"
PAGE_SIZES = [1, 2, 3, 7, 50, 100]


def gid(i: int) -> str:
    return f"AccessGroupId-{i:08d}-0000-4000-8000-000000000000"


def build_seed(n_groups: int = 34) -> dict[str, Any]:
    seed = mini_seed()
    seed["users"] += [{"iam_id": u, "email": f"user{i}@example.com", "state": "ACTIVE",
                       "firstname": f"Test{i}", "lastname": "Person"} for i, u in enumerate(USERS)]
    seed["service_ids"] = [{"id": "ServiceId-0000aaaa-1111-2222-3333-444455556666",
                            "iam_id": SERVICE, "name": "ci-runner", "description": "CI pipeline"}]
    groups: list[dict[str, Any]] = [{"id": gid(i), "name": f"team-{i:02d}",
                                     "description": f"Team number {i}"} for i in range(n_groups)]
    groups[0]["members"] = [{"iam_id": u, "type": "user"} for u in USERS[10:70]]
    groups[0]["members"].append({"iam_id": SERVICE, "type": "service"})
    groups[0]["dynamic_members"] = [{"iam_id": u} for u in [*USERS[70:75], USERS[10]]]
    condition = {"claim": "dept", "operator": "EQUALS", "value": "\"eng\""}
    groups[0]["rules"] = [{"name": "engineers", "expiration": 12,
                           "realm_name": "https://idp.example.com", "conditions": [condition]}]
    groups[1]["members"] = [{"iam_id": USER_A}]
    groups[2]["dynamic_members"] = [{"iam_id": USER_A}]
    groups[2]["rules"] = [dict(groups[0]["rules"][0], name="contractors")]
    seed["access_groups"] = groups
    return seed


SEED = build_seed()
ALL_GROUPS = {PUBLIC} | {g["id"] for g in SEED["access_groups"]}
G0_ALL = 61 + 5  # static members, plus the dynamic ones that are not also static


@pytest.fixture
def groups(emulator: Emulator) -> IamAccessGroupsV2:
    emulator.load(SEED)
    return emulator.client(IamAccessGroupsV2)


def api_error(call: Callable[[], Any]) -> ApiException:
    with pytest.raises(ApiException) as info:
        call()
    return info.value


def assert_ibm_error(err: ApiException, status: int, code: str) -> None:
    body = err.http_response.json()
    assert err.status_code == status == body["status_code"]
    assert body["trace"] and body["errors"][0]["code"] == code
    assert body["errors"][0]["message"] and body["errors"][0]["more_info"]


def drain(pager: Any, pages: int) -> list[dict[str, Any]]:
    """Everything a pager yields, failing (not hanging) if it needs more than `pages` pages."""
    items: list[dict[str, Any]] = []
    for _ in range(pages):
        items += pager.get_next()
        if not pager.has_next():
            return items
    raise AssertionError(f"the pager was not done after {pages} pages")


def test_seed_is_valid() -> None:
    validate_seed(SEED)
    validate_seed(build_seed(51))


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_group_pager_sees_every_group_once(groups: IamAccessGroupsV2, size: int) -> None:
    pager = AccessGroupsPager(client=groups, account_id=ACCOUNT, limit=size)
    items = drain(pager, len(ALL_GROUPS) // size + 1)
    ids = [Group.from_dict(g).id for g in items]
    assert len(ids) == len(set(ids)) and set(ids) == ALL_GROUPS


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_group_pages_by_hand(groups: IamAccessGroupsV2, size: int) -> None:
    seen: list[str] = []
    offset: int | None = 0
    total = len(ALL_GROUPS)
    for _ in range(total // size + 1):
        page = GroupsList.from_dict(groups.list_access_groups(
            account_id=ACCOUNT, limit=size, offset=offset).get_result())
        assert (page.limit, page.offset, page.total_count) == (size, offset, total)
        assert len(page.groups) == min(size, total - offset)
        assert (page.previous is not None) == (offset > 0)
        assert get_query_param(page.last.href, "offset") == str((total - 1) // size * size)
        assert get_query_param(page.first.href, "account_id") == ACCOUNT
        seen += [g.id for g in page.groups]
        offset = int(get_query_param(page.next.href, "offset")) if page.next else None
        if offset is None:
            break
    else:
        raise AssertionError("paging did not end")
    assert len(seen) == len(set(seen)) == total and set(seen) == ALL_GROUPS


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_member_pages_sdk_and_by_hand(groups: IamAccessGroupsV2, size: int) -> None:
    pager = AccessGroupMembersPager(client=groups, access_group_id=gid(0), membership_type="all",
                                    limit=size)
    ids = [m["iam_id"] for m in drain(pager, G0_ALL // size + 1)]
    assert len(ids) == len(set(ids)) == G0_ALL
    seen: list[str] = []
    offset: int | None = 0
    for _ in range(G0_ALL // size + 1):
        page = GroupMembersList.from_dict(groups.list_access_group_members(
            access_group_id=gid(0), membership_type="all", limit=size, offset=offset).get_result())
        assert page.total_count == G0_ALL and len(page.members) == min(size, G0_ALL - offset)
        seen += [m.iam_id for m in page.members]
        offset = int(get_query_param(page.next.href, "offset")) if page.next else None
        if offset is None:
            break
    else:
        raise AssertionError("paging did not end")
    assert seen == ids


def test_member_list_membership_types_and_verbose(groups: IamAccessGroupsV2) -> None:
    def listing(**kw: Any) -> GroupMembersList:
        result = groups.list_access_group_members(access_group_id=gid(0), limit=100, **kw)
        return GroupMembersList.from_dict(result.get_result())

    assert listing().total_count == listing(membership_type="static").total_count == 61
    dynamic = listing(membership_type="dynamic").members
    assert {m.iam_id for m in dynamic} == {*USERS[70:75], USERS[10]}
    assert {m.membership_type for m in dynamic} == {"dynamic"}
    assert [m.iam_id for m in listing(type="service").members] == [SERVICE]
    verbose = {m.iam_id: m for m in listing(verbose=True).members}
    assert verbose[USERS[10]].email == "user10@example.com"
    assert verbose[USERS[10]].name == "Test10 Person"
    assert (verbose[SERVICE].name, verbose[SERVICE].description) == ("ci-runner", "CI pipeline")
    plain = listing().members[0]
    assert plain.email is None and plain.created_at and plain.created_by_id
    assert plain.href.endswith(f"/v2/groups/{gid(0)}/members/{plain.iam_id}")


def test_groups_of_a_member_by_membership_type(groups: IamAccessGroupsV2) -> None:
    def ids(iam_id: str, **kw: Any) -> set[str]:
        pager = AccessGroupsPager(client=groups, account_id=ACCOUNT, iam_id=iam_id, **kw)
        return {g["id"] for g in drain(pager, 5)}

    assert ids(USER_A) == ids(USER_A, membership_type="static") == {gid(1), PUBLIC}
    assert ids(USER_A, membership_type="dynamic") == {gid(2), PUBLIC}
    assert ids(USER_A, membership_type="all") == {gid(1), gid(2), PUBLIC}
    assert ids(USER_A, membership_type="all", hide_public_access=True) == {gid(1), gid(2)}
    assert ids(USER_B, membership_type="all") == {PUBLIC}
    assert ids("IBMid-NOTINACCOUNT", membership_type="all") == set()


def test_membership_check_static_dynamic_public(groups: IamAccessGroupsV2) -> None:
    def status(group: str, iam_id: str) -> int:
        try:
            return int(groups.is_member_of_access_group(group, iam_id).get_status_code())
        except ApiException as err:
            return int(err.status_code)

    assert status(gid(1), USER_A) == status(gid(2), USER_A) == 204
    assert status(gid(0), SERVICE) == status(PUBLIC, USER_B) == 204
    assert status(gid(1), USER_B) == status(gid(0), USER_A) == 404
    assert status("AccessGroupId-unknown", USER_A) == status(PUBLIC, "IBMid-NOTINACCOUNT") == 404


def test_group_lifecycle_409_412_404(groups: IamAccessGroupsV2) -> None:
    created = groups.create_access_group(account_id=ACCOUNT, name="Console Operators")
    assert created.get_status_code() == 201
    group = Group.from_dict(created.get_result())
    assert group.id.startswith("AccessGroupId-")
    assert uuid.UUID(group.id.removeprefix("AccessGroupId-"))
    assert (group.account_id, group.description) == (ACCOUNT, "")
    assert group.created_by_id == "IBMid-100000AAAA"
    duplicate = api_error(
        lambda: groups.create_access_group(account_id=ACCOUNT, name="CONSOLE operators"))
    assert_ibm_error(duplicate, 409, "group_name_conflict")

    got = groups.get_access_group(group.id)
    etag = got.get_headers()["ETag"]
    updated = groups.update_access_group(group.id, etag, description="Operators of the console")
    assert Group.from_dict(updated.get_result()).description == "Operators of the console"
    assert updated.get_headers()["ETag"] != etag
    stale = api_error(lambda: groups.update_access_group(group.id, etag, name="Renamed"))
    assert_ibm_error(stale, 412, "precondition_failed")
    taken = api_error(lambda: groups.update_access_group(
        group.id, updated.get_headers()["ETag"], name="team-03"))
    assert_ibm_error(taken, 409, "group_name_conflict")

    groups.add_members_to_access_group(group.id, members=[{"iam_id": USER_B, "type": "user"}])
    not_empty = api_error(lambda: groups.delete_access_group(group.id))
    assert_ibm_error(not_empty, 409, "group_not_empty")
    assert groups.delete_access_group(group.id, force=True).get_status_code() == 204
    assert_ibm_error(api_error(lambda: groups.get_access_group(group.id)), 404, "not_found")
    empty = Group.from_dict(groups.create_access_group(account_id=ACCOUNT, name="tmp").get_result())
    assert groups.delete_access_group(empty.id).get_status_code() == 204


def test_public_access_exists_and_is_protected(emulator: Emulator) -> None:
    client = emulator.client(IamAccessGroupsV2)
    listed = GroupsList.from_dict(client.list_access_groups(account_id=ACCOUNT).get_result())
    assert [(g.id, g.name) for g in listed.groups] == [(PUBLIC, "Public Access")]
    hidden = client.list_access_groups(account_id=ACCOUNT, hide_public_access=True).get_result()
    assert hidden["groups"] == [] and hidden["total_count"] == 0
    etag = client.get_access_group(PUBLIC).get_headers()["ETag"]
    refusals = [
        lambda: client.update_access_group(PUBLIC, etag, name="Everyone"),
        lambda: client.delete_access_group(PUBLIC, force=True),
        lambda: client.add_members_to_access_group(PUBLIC, members=[{"iam_id": "IBMid-100000AAAA",
                                                                     "type": "user"}]),
        lambda: client.remove_member_from_access_group(PUBLIC, "IBMid-100000AAAA"),
        lambda: client.add_access_group_rule(PUBLIC, 1, "https://idp.example.com",
                                             [RuleConditions("a", "EQUALS", "\"b\"")]),
    ]
    for refused in refusals:
        assert_ibm_error(api_error(refused), 403, "public_access_group_protected")
    clash = api_error(lambda: client.create_access_group(account_id=ACCOUNT, name="public access"))
    assert_ibm_error(clash, 409, "group_name_conflict")


def test_add_and_remove_members(groups: IamAccessGroupsV2) -> None:
    added = groups.add_members_to_access_group(gid(3), members=[
        {"iam_id": USER_B, "type": "user"}, {"iam_id": SERVICE, "type": "service"},
        {"iam_id": USERS[2], "type": "robot"}])
    assert added.get_status_code() == 207
    items = AddGroupMembersResponse.from_dict(added.get_result()).members
    assert [m.status_code for m in items] == [200, 200, 400]
    assert items[0].created_by_id == "IBMid-100000AAAA" and items[2].errors[0].code
    assert groups.remove_member_from_access_group(gid(3), USER_B).get_status_code() == 204
    gone = api_error(lambda: groups.remove_member_from_access_group(gid(3), USER_B))
    assert_ibm_error(gone, 404, "not_found")
    dynamic = api_error(lambda: groups.remove_member_from_access_group(gid(2), USER_A))
    assert_ibm_error(dynamic, 400, "dynamic_member")

    bulk = groups.remove_members_from_access_group(gid(0), members=[USERS[11], USER_B])
    result = DeleteGroupBulkMembersResponse.from_dict(bulk.get_result())
    assert bulk.get_status_code() == 207 and result.access_group_id == gid(0)
    assert [(m.iam_id, m.status_code) for m in result.members] == [(USERS[11], 204), (USER_B, 404)]
    none = api_error(lambda: groups.remove_members_from_access_group(gid(0), members=[USER_B]))
    assert_ibm_error(none, 404, "not_found")
    assert gid(0) in none.message

    multi = groups.add_member_to_multiple_access_groups(
        ACCOUNT, USER_B, type="user", groups=[gid(4), gid(5), "AccessGroupId-nope", PUBLIC])
    outcome = AddMembershipMultipleGroupsResponse.from_dict(multi.get_result())
    assert multi.get_status_code() == 207 and outcome.iam_id == USER_B
    assert [g.status_code for g in outcome.groups] == [200, 200, 404, 403]
    assert groups.remove_member_from_all_access_groups(ACCOUNT, USER_B).get_status_code() == 204
    left = groups.list_access_groups(account_id=ACCOUNT, iam_id=USER_B, membership_type="all")
    assert [g["id"] for g in left.get_result()["groups"]] == [PUBLIC]
    again = api_error(lambda: groups.remove_member_from_all_access_groups(ACCOUNT, USER_B))
    assert_ibm_error(again, 404, "not_found")
    assert USER_B in again.message


def test_a_member_can_be_in_at_most_50_groups(emulator: Emulator) -> None:
    seed = build_seed(51)
    for group in seed["access_groups"][3:50]:
        group["members"] = [{"iam_id": USER_A}]
    emulator.load(seed)  # USER_A is now in groups 1 and 3..49: 48 of them
    client = emulator.client(IamAccessGroupsV2)
    member = [{"iam_id": USER_A, "type": "user"}]
    for i in (0, 2):
        added = client.add_members_to_access_group(gid(i), members=member)
        assert added.get_result()["members"][0]["status_code"] == 200
    refused = client.add_members_to_access_group(gid(50), members=member)
    item = AddGroupMembersResponse.from_dict(refused.get_result()).members[0]
    assert item.status_code == 400 and item.errors[0].code == "group_limit_exceeded"
    assert api_error(lambda: client.is_member_of_access_group(gid(50), USER_A)).status_code == 404
    multi = client.add_member_to_multiple_access_groups(ACCOUNT, USER_A, type="user",
                                                        groups=[gid(50)])
    assert multi.get_result()["groups"][0]["status_code"] == 400
    client.remove_member_from_access_group(gid(3), USER_A)
    again = client.add_members_to_access_group(gid(50), members=member)
    assert again.get_result()["members"][0]["status_code"] == 200


def test_rules_lifecycle_and_limit(groups: IamAccessGroupsV2) -> None:
    conditions = [RuleConditions("groups", "CONTAINS", "\"admins\"")]
    created = groups.add_access_group_rule(gid(5), 8, "https://idp.example.com", conditions,
                                           name="admins")
    rule = Rule.from_dict(created.get_result())
    assert created.get_status_code() == 201 and rule.id.startswith("ClaimRule-")
    assert (rule.access_group_id, rule.account_id, rule.expiration) == (gid(5), ACCOUNT, 8)
    got = groups.get_access_group_rule(gid(5), rule.id)
    etag = got.get_headers()["ETag"]
    replaced = groups.replace_access_group_rule(gid(5), rule.id, etag, 24, "https://idp.example.com",
                                                conditions, name="admins-2")
    assert Rule.from_dict(replaced.get_result()).name == "admins-2"
    stale = api_error(lambda: groups.replace_access_group_rule(
        gid(5), rule.id, etag, 2, "https://idp.example.com", conditions))
    assert_ibm_error(stale, 412, "precondition_failed")
    bad = api_error(lambda: groups.add_access_group_rule(gid(5), 25, "https://idp.example.com",
                                                         conditions))
    assert_ibm_error(bad, 400, "invalid_expiration")
    federated = groups.get_access_group(gid(5), show_federated=True).get_result()
    assert federated["is_federated"] is True
    for _ in range(4):
        groups.add_access_group_rule(gid(5), 1, "https://idp.example.com", conditions)
    sixth = api_error(lambda: groups.add_access_group_rule(gid(5), 1, "https://idp.example.com",
                                                            conditions))
    assert_ibm_error(sixth, 400, "rule_limit_exceeded")
    assert len(RulesList.from_dict(groups.list_access_group_rules(gid(5)).get_result()).rules) == 5
    assert groups.remove_access_group_rule(gid(5), rule.id).get_status_code() == 204
    assert_ibm_error(api_error(lambda: groups.get_access_group_rule(gid(5), rule.id)), 404,
                     "not_found")
    seeded = RulesList.from_dict(groups.list_access_group_rules(gid(0)).get_result()).rules
    assert [r.name for r in seeded] == ["engineers"] and seeded[0].conditions[0].claim == "dept"


def test_search_sort_and_bad_parameters(groups: IamAccessGroupsV2) -> None:
    found = groups.list_access_groups(account_id=ACCOUNT, search="name:TEAM-0").get_result()
    assert sorted(g["name"] for g in found["groups"]) == [f"team-0{i}" for i in range(10)]
    ordered = groups.list_access_groups(account_id=ACCOUNT, sort="-name", limit=3).get_result()
    assert [g["name"] for g in ordered["groups"]] == ["team-33", "team-32", "team-31"]
    crn = groups.get_access_group(gid(7), show_crn=True).get_result()["crn"]
    assert crn.endswith(f"::access-group:{gid(7)}") and ACCOUNT in crn
    for kwargs in ({"sort": "colour"}, {"membership_type": "static"}, {"limit": 101},
                   {"iam_id": USER_A, "membership_type": "sometimes"}):
        assert api_error(lambda kw=kwargs: groups.list_access_groups(  # type: ignore[misc]
            account_id=ACCOUNT, **kw)).status_code == 400
    foreign = api_error(lambda: groups.list_access_groups(account_id="0" * 32))
    assert_ibm_error(foreign, 403, "forbidden")


def test_access_groups_need_a_token(emulator: Emulator) -> None:
    response = requests.get(f"{emulator.url}/v2/groups", params={"account_id": ACCOUNT}, timeout=5)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "missing_token"
    head = requests.head(f"{emulator.url}/v2/groups/{PUBLIC}/members/IBMid-100000AAAA", timeout=5)
    assert head.status_code == 401
