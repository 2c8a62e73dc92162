"""The emulator as IBM's official SDK clients see it: every emulated IBM endpoint, paged at
1, 2 and 100, its errors (401, 403, 404, 405, 409, 412, 429) and the query parameters iamcheck
or IBM's tests use; every answer read with the SDK's own model and compared with the fields of
IBM's example bodies (the SDKs' unit tests; the field lists below are written here from them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import BearerTokenAuthenticator
from ibm_platform_services import (
    GlobalSearchV2,
    GlobalTaggingV1,
    IamAccessGroupsV2,
    IamIdentityV1,
    IamPolicyManagementV1,
    ResourceManagerV2,
    UserManagementV1,
)
from ibm_platform_services.global_search_v2 import ScanResult
from ibm_platform_services.global_tagging_v1 import TagList
from ibm_platform_services.iam_access_groups_v2 import (
    AccessGroupMembersPager,
    AccessGroupsPager,
    AccountSettings,
    Group,
    GroupMembersList,
    GroupsList,
    Rule,
    RulesList,
)
from ibm_platform_services.iam_identity_v1 import ApiKey
from ibm_platform_services.iam_policy_management_v1 import (
    CustomRole,
    PoliciesPager,
    Policy,
    PolicyCollection,
    RoleCollection,
    V2PoliciesPager,
    V2Policy,
    V2PolicyCollection,
)
from ibm_platform_services.resource_manager_v2 import ResourceGroup, ResourceGroupList
from ibm_platform_services.user_management_v1 import UserList, UserProfile, UsersPager
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import Image, Instance, InstanceCollection, InstancesPager, Region, Volume

from iamcheck.emulator import demo_seed
from tests.conftest import Emulator

SEED = demo_seed()
ACCOUNT = SEED["account_id"]
OWNER_KEY, ONCALL_KEY, ANALYST_KEY = (SEED["api_keys"][i]["apikey"] for i in (0, 1, 2))
PAGE_SIZES = (1, 2, 100)
VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"
INSTANCE = SEED["instances"][0]
REGION = INSTANCE["region"]

# The fields of IBM's example bodies (SDK unit tests) for each answer. An emulator answer must
# hold no field outside these, and every field of `required`.
IBM_FIELDS: dict[str, frozenset[str]] = {
    "v2_policy": frozenset({
        "type", "description", "subject", "resource", "pattern", "rule", "id", "href",
        "control", "created_at", "created_by_id", "last_modified_at", "last_modified_by_id",
        "state", "last_permit_at", "last_permit_frequency", "template"}),
    "v1_policy": frozenset({
        "id", "type", "description", "subjects", "roles", "resources", "href", "created_at",
        "created_by_id", "last_modified_at", "last_modified_by_id", "state", "template"}),
    "policy_collection": frozenset({"limit", "first", "next", "previous", "policies"}),
    "roles": frozenset({"custom_roles", "service_roles", "system_roles"}),
    "catalog_role": frozenset({"display_name", "description", "actions", "crn"}),
    "custom_role": frozenset({
        "id", "display_name", "description", "actions", "crn", "name", "account_id",
        "service_name", "created_at", "created_by_id", "last_modified_at",
        "last_modified_by_id", "href"}),
    "group": frozenset({
        "id", "name", "description", "account_id", "created_at", "created_by_id",
        "last_modified_at", "last_modified_by_id", "href", "is_federated", "crn"}),
    "groups_list": frozenset({
        "limit", "offset", "total_count", "first", "previous", "next", "last", "groups"}),
    "members_list": frozenset({
        "limit", "offset", "total_count", "first", "previous", "next", "last", "members"}),
    "member": frozenset({
        "iam_id", "type", "membership_type", "name", "email", "description", "href",
        "created_at", "created_by_id"}),
    "rule": frozenset({
        "id", "name", "expiration", "realm_name", "access_group_id", "account_id",
        "conditions", "created_at", "created_by_id", "last_modified_at",
        "last_modified_by_id"}),
    "settings": frozenset({
        "account_id", "last_modified_at", "last_modified_by_id", "public_access_enabled"}),
    "user_list": frozenset({"total_results", "limit", "first_url", "next_url", "resources"}),
    "search": frozenset({"search_cursor", "limit", "items"}),
    "tags": frozenset({"total_count", "offset", "limit", "items"}),
}
REQUIRED: dict[str, frozenset[str]] = {
    "v2_policy": frozenset({"type", "subject", "resource", "id", "href", "control",
                            "created_at", "created_by_id", "last_modified_at",
                            "last_modified_by_id", "state"}),
    "catalog_role": frozenset({"display_name", "description", "actions", "crn"}),
    "search": frozenset({"search_cursor", "limit", "items"}),
    "settings": IBM_FIELDS["settings"],
}


def shaped(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    extra = set(body) - IBM_FIELDS[kind]
    assert not extra, f"{kind}: fields IBM's examples do not have: {sorted(extra)}"
    missing = REQUIRED.get(kind, frozenset()) - set(body)
    assert not missing, f"{kind}: fields IBM's examples have and the answer lacks: {missing}"
    return body


def platform_error(call: Callable[[], Any], status: int) -> dict[str, Any]:
    with pytest.raises(ApiException) as info:
        call()
    assert info.value.status_code == status
    body: dict[str, Any] = info.value.http_response.json()
    assert body["status_code"] == status and body["trace"]
    assert {"code", "message"} <= set(body["errors"][0])
    return body


def vpc_error(call: Callable[[], Any], status: int) -> dict[str, Any]:
    body = platform_error(call, status)
    assert {"code", "message", "more_info"} <= set(body["errors"][0])
    return body


@pytest.fixture
def account(demo: Emulator) -> Emulator:
    return demo


def vpc(emu: Emulator, key: str = OWNER_KEY) -> VpcV1:
    client: VpcV1 = emu.client(VpcV1, key)
    client.set_service_url(f"{emu.url}/vpc/{REGION}/v1")
    return client


# ---- IAM Policy Management


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_policies_page_the_same_at_every_size(account: Emulator, size: int) -> None:
    iam = account.client(IamPolicyManagementV1)
    whole = iam.list_v2_policies(account_id=ACCOUNT).get_result()
    V2PolicyCollection.from_dict(shaped("policy_collection", whole))
    for item in whole["policies"]:
        V2Policy.from_dict(shaped("v2_policy", item))
    first = iam.list_v2_policies(account_id=ACCOUNT, limit=size).get_result()
    assert len(first["policies"]) == min(size, len(whole["policies"]))
    assert first["limit"] == size and "first" in first
    paged = V2PoliciesPager(client=iam, account_id=ACCOUNT, limit=size).get_all()
    assert [p["id"] for p in paged] == [p["id"] for p in whole["policies"]]
    v1 = PoliciesPager(client=iam, account_id=ACCOUNT, limit=size).get_all()
    assert [p["id"] for p in v1] == [p["id"] for p in whole["policies"]]
    for item in v1:
        Policy.from_dict(shaped("v1_policy", item))
    PolicyCollection.from_dict(iam.list_policies(account_id=ACCOUNT, limit=size).get_result())


def test_policy_query_parameters(account: Emulator) -> None:
    iam = account.client(IamPolicyManagementV1)
    whole = iam.list_v2_policies(account_id=ACCOUNT).get_result()["policies"]

    def ids(**query: Any) -> list[str]:
        return [p["id"] for p in iam.list_v2_policies(account_id=ACCOUNT, **query)
                .get_result()["policies"]]

    def value(policy: dict[str, Any], section: str, key: str) -> Any:
        return next((a["value"] for a in policy[section]["attributes"] if a["key"] == key), None)

    user = next(value(p, "subject", "iam_id") for p in whole if value(p, "subject", "iam_id"))
    group = next(value(p, "subject", "access_group_id") for p in whole
                 if value(p, "subject", "access_group_id"))
    assert ids(iam_id=user) == [p["id"] for p in whole if value(p, "subject", "iam_id") == user]
    assert ids(access_group_id=group) == [
        p["id"] for p in whole if value(p, "subject", "access_group_id") == group]
    assert ids(service_name="is") == [
        p["id"] for p in whole if value(p, "resource", "serviceName") == "is"]
    assert ids(type="access") == [p["id"] for p in whole]
    assert ids(sort="-id") == sorted((p["id"] for p in whole), reverse=True)
    deleted = iam.list_v2_policies(account_id=ACCOUNT, state="deleted").get_result()["policies"]
    assert len(deleted) == sum(p.get("state") == "deleted" for p in SEED["policies"])
    assert all(p["state"] == "deleted" for p in deleted) and not {p["id"] for p in deleted} & {
        p["id"] for p in whole}
    display = iam.list_v2_policies(account_id=ACCOUNT, format="display").get_result()
    roles = display["policies"][0]["control"]["grant"]["roles"]
    assert {"role_id", "display_name", "actions"} <= set(roles[0])
    platform_error(lambda: iam.list_v2_policies(account_id=ACCOUNT, sort="nope"), 400)


def test_policy_lifecycle_and_its_errors(account: Emulator) -> None:
    iam = account.client(IamPolicyManagementV1)
    body = {"type": "access",
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                        "value": SEED["users"][5]["iam_id"]}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
                {"key": "serviceName", "operator": "stringEquals", "value": "cloudantnosqldb"}]},
            "control": {"grant": {"roles": [{"role_id": VIEWER}]}}}
    made = iam.create_v2_policy(**body)
    assert made.get_status_code() == 201
    policy = V2Policy.from_dict(shaped("v2_policy", made.get_result()))
    read = iam.get_v2_policy(id=policy.id)
    etag = read.get_headers()["ETag"]
    assert V2Policy.from_dict(shaped("v2_policy", read.get_result())).id == policy.id
    conflict = platform_error(lambda: iam.create_v2_policy(**body), 409)
    assert conflict["errors"][0]["code"] == "policy_conflict_error"
    assert conflict["errors"][0]["details"]["conflicts_with"]["policy"]["href"]
    platform_error(lambda: iam.replace_v2_policy(id=policy.id, if_match="1-stale", **body), 412)
    replaced = iam.replace_v2_policy(id=policy.id, if_match=etag, **body)
    assert replaced.get_headers()["ETag"] != etag
    placeholder = Policy.from_dict(shaped("v1_policy", iam.get_policy(
        policy_id=policy.id).get_result()))
    assert placeholder.href.endswith(f"/v2/policies/{policy.id}")
    platform_error(lambda: iam.get_v2_policy(id="no-such-policy"), 404)
    platform_error(lambda: account.client(IamPolicyManagementV1, ANALYST_KEY).create_v2_policy(
        **{**body, "description": "by someone without rights"}), 403)
    patch = iam.prepare_request(method="PATCH", url="/v2/policies")
    platform_error(lambda: iam.send(patch), 405)
    assert iam.delete_v2_policy(id=policy.id).get_status_code() == 204


def test_roles_and_custom_roles(account: Emulator) -> None:
    iam = account.client(IamPolicyManagementV1)
    for query in ({"service_name": "is"}, {"service_group_id": "IAM"}, {}):
        roles = iam.list_roles(account_id=ACCOUNT, **query).get_result()
        RoleCollection.from_dict(shaped("roles", roles))
        for role in roles["system_roles"] + roles["service_roles"]:
            shaped("catalog_role", role)
        for custom in roles["custom_roles"]:
            CustomRole.from_dict(shaped("custom_role", custom))
    iam_roles = iam.list_roles(account_id=ACCOUNT, service_group_id="IAM").get_result()
    assert any(r["crn"].endswith("serviceRole:ServiceIdCreator")
               for r in iam_roles["service_roles"])
    custom = iam.list_roles(account_id=ACCOUNT, service_name="is").get_result()["custom_roles"]
    got = iam.get_role(role_id=custom[0]["id"])
    CustomRole.from_dict(shaped("custom_role", got.get_result()))
    platform_error(lambda: iam.get_role(role_id="no-such-role"), 404)


# ---- IAM Access Groups


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_groups_and_members_page_the_same_at_every_size(account: Emulator, size: int) -> None:
    groups = account.client(IamAccessGroupsV2)
    whole = groups.list_access_groups(account_id=ACCOUNT, limit=100).get_result()
    GroupsList.from_dict(shaped("groups_list", whole))
    paged = AccessGroupsPager(client=groups, account_id=ACCOUNT, limit=size).get_all()
    assert [g["id"] for g in paged] == [g["id"] for g in whole["groups"]]
    for item in paged:
        Group.from_dict(shaped("group", item))
    gid = next(g["id"] for g in whole["groups"] if g["id"] != "AccessGroupId-PublicAccess")
    members = groups.list_access_group_members(access_group_id=gid, limit=100).get_result()
    GroupMembersList.from_dict(shaped("members_list", members))
    paged_members = AccessGroupMembersPager(client=groups, access_group_id=gid,
                                            limit=size).get_all()
    assert [m["iam_id"] for m in paged_members] == [m["iam_id"] for m in members["members"]]
    for member in paged_members:
        shaped("member", member)


def test_group_query_parameters_and_errors(account: Emulator) -> None:
    groups = account.client(IamAccessGroupsV2)
    hidden = groups.list_access_groups(account_id=ACCOUNT, hide_public_access=True).get_result()
    assert "AccessGroupId-PublicAccess" not in {g["id"] for g in hidden["groups"]}
    flagged = groups.list_access_groups(account_id=ACCOUNT, show_federated=True,
                                        show_crn=True).get_result()["groups"]
    assert all("is_federated" in g and "crn" in g for g in flagged)
    member = SEED["access_groups"][1]["members"][0]["iam_id"]
    mine = groups.list_access_groups(account_id=ACCOUNT, iam_id=member).get_result()["groups"]
    assert SEED["access_groups"][1]["id"] in {g["id"] for g in mine}
    gid = SEED["access_groups"][1]["id"]
    verbose = groups.list_access_group_members(access_group_id=gid, verbose=True,
                                               membership_type="static").get_result()
    assert all("email" in m or m["type"] != "user" for m in verbose["members"])
    ruled = next(g for g in SEED["access_groups"] if g.get("rules"))
    rules = groups.list_access_group_rules(access_group_id=ruled["id"]).get_result()
    RulesList.from_dict(rules)
    rule = groups.get_access_group_rule(access_group_id=ruled["id"],
                                        rule_id=rules["rules"][0]["id"])
    Rule.from_dict(shaped("rule", rule.get_result()))
    settings = groups.get_account_settings(account_id=ACCOUNT).get_result()
    AccountSettings.from_dict(shaped("settings", settings))
    platform_error(lambda: groups.get_access_group(access_group_id="AccessGroupId-nope"), 404)
    platform_error(lambda: account.client(IamAccessGroupsV2, ANALYST_KEY).create_access_group(
        account_id=ACCOUNT, name="not allowed"), 403)
    made = groups.create_access_group(account_id=ACCOUNT, name="selftest")
    etag = made.get_headers()["ETag"]
    platform_error(lambda: groups.create_access_group(account_id=ACCOUNT, name="selftest"), 409)
    platform_error(lambda: groups.update_access_group(
        access_group_id=made.get_result()["id"], if_match="stale", name="renamed"), 412)
    assert groups.update_access_group(access_group_id=made.get_result()["id"], if_match=etag,
                                      name="renamed").get_status_code() == 200


# ---- User Management, Resource Manager, IAM Identity


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_users_page_the_same_at_every_size(account: Emulator, size: int) -> None:
    users = account.client(UserManagementV1)
    whole = users.list_users(account_id=ACCOUNT, limit=100).get_result()
    UserList.from_dict(shaped("user_list", whole))
    paged = UsersPager(client=users, account_id=ACCOUNT, limit=size).get_all()
    assert [u["iam_id"] for u in paged] == [u["iam_id"] for u in whole["resources"]]
    one = users.get_user_profile(account_id=ACCOUNT, iam_id=paged[0]["iam_id"]).get_result()
    UserProfile.from_dict(one)
    platform_error(lambda: users.get_user_profile(account_id=ACCOUNT, iam_id="IBMid-nobody"), 404)


def test_resource_groups_and_api_key_details(account: Emulator) -> None:
    rm = account.client(ResourceManagerV2)
    listed = rm.list_resource_groups(account_id=ACCOUNT).get_result()
    ResourceGroupList.from_dict(listed)
    for group in listed["resources"]:
        ResourceGroup.from_dict(rm.get_resource_group(id=group["id"]).get_result())
    by_name = rm.list_resource_groups(account_id=ACCOUNT, name="payments").get_result()
    assert [g["name"] for g in by_name["resources"]] == ["payments"]
    platform_error(lambda: rm.get_resource_group(id="nope"), 404)
    details = account.client(IamIdentityV1).get_api_keys_details(iam_api_key=OWNER_KEY)
    ApiKey.from_dict(details.get_result())


# ---- Global Search and Global Tagging


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_search_cursor_pages_until_an_empty_page(account: Emulator, size: int) -> None:
    search = account.client(GlobalSearchV2)
    found, cursor = [], None
    for _ in range(50):
        page = search.search(query="family:is AND type:instance", fields=["crn", "access_tags"],
                             search_cursor=cursor, limit=size).get_result()
        ScanResult.from_dict(shaped("search", page))
        if not page["items"]:
            break
        found += [i["crn"] for i in page["items"]]
        cursor = page["search_cursor"]
    assert len(found) == len(set(found)) == len(SEED["instances"])
    free = search.search(query=INSTANCE["name"][:4] + "*", fields=["name"]).get_result()
    assert free["items"]


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_tags_page_by_offset(account: Emulator, size: int) -> None:
    tagging = account.client(GlobalTaggingV1)
    whole = tagging.list_tags(tag_type="access", limit=1000).get_result()
    TagList.from_dict(shaped("tags", whole))
    names, offset = [], 0
    while True:
        page = tagging.list_tags(tag_type="access", offset=offset, limit=size).get_result()
        names += [t["name"] for t in page["items"]]
        offset += size
        if offset >= page["total_count"]:
            break
    assert names == [t["name"] for t in whole["items"]]
    crn = next(i["crn"] for i in account.client(GlobalSearchV2).search(
        query=f"name:{INSTANCE['name']}", fields=["crn"]).get_result()["items"])
    attached = tagging.list_tags(attached_to=crn, tag_type="access").get_result()["items"]
    assert sorted(t["name"] for t in attached) == sorted(INSTANCE["access_tags"])


# ---- VPC


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_instances_page_the_same_at_every_size(account: Emulator, size: int) -> None:
    client = vpc(account)
    whole = client.list_instances(limit=100).get_result()
    InstanceCollection.from_dict(whole)
    paged = InstancesPager(client=client, limit=size).get_all()
    assert [i["id"] for i in paged] == [i["id"] for i in whole["instances"]]
    rg = INSTANCE["resource_group"]
    mine = client.list_instances(resource_group_id=rg).get_result()["instances"]
    assert mine and all(i["resource_group"]["id"] == rg for i in mine)
    assert [i["name"] for i in client.list_instances(name=INSTANCE["name"])
            .get_result()["instances"]] == [INSTANCE["name"]]


def test_instance_image_volume_region_and_console_token(account: Emulator) -> None:
    client = vpc(account)
    instance = Instance.from_dict(client.get_instance(INSTANCE["id"]).get_result())
    Image.from_dict(client.get_image(instance.image.id).get_result())
    Volume.from_dict(client.get_volume(instance.boot_volume_attachment.volume.id).get_result())
    Region.from_dict(client.get_region(REGION).get_result())
    vpc_error(lambda: client.get_instance("0717_no-such-instance"), 404)
    analyst = vpc(account, ANALYST_KEY)
    refused = vpc_error(lambda: analyst.create_instance_console_access_token(
        INSTANCE["id"], console_type="serial"), 403)
    assert refused["errors"][0]["code"] == "not_authorized"
    token = vpc(account, ONCALL_KEY).create_instance_console_access_token(
        INSTANCE["id"], console_type="vnc")
    assert token.get_status_code() == 200
    assert {"access_token", "console_type", "created_at", "expires_at", "force",
            "href"} <= set(token.get_result())


# ---- 401 and 429 everywhere


CLIENTS: list[tuple[type[Any], Callable[[Any], Any]]] = [
    (IamPolicyManagementV1, lambda c: c.list_v2_policies(account_id=ACCOUNT)),
    (IamAccessGroupsV2, lambda c: c.list_access_groups(account_id=ACCOUNT)),
    (UserManagementV1, lambda c: c.list_users(account_id=ACCOUNT)),
    (ResourceManagerV2, lambda c: c.list_resource_groups(account_id=ACCOUNT)),
    (GlobalSearchV2, lambda c: c.search(query="*")),
    (GlobalTaggingV1, lambda c: c.list_tags()),
]


@pytest.mark.parametrize(("cls", "call"), CLIENTS)
def test_401_with_a_token_the_emulator_did_not_issue(account: Emulator, cls: type[Any],
                                                     call: Callable[[Any], Any]) -> None:
    client = cls(authenticator=BearerTokenAuthenticator("not.a.token"))
    client.set_service_url(account.url)
    platform_error(lambda: call(client), 401)


def test_401_and_429_on_vpc(account: Emulator) -> None:
    client = VpcV1(authenticator=BearerTokenAuthenticator("not.a.token"))
    client.set_service_url(f"{account.url}/vpc/{REGION}/v1")
    vpc_error(lambda: client.list_instances(), 401)
    script = {"next": {"GET /vpc/{region}/v1/instances": ["429"]}}
    requests.post(f"{account.url}/_emulator/faults", json=script, timeout=10).raise_for_status()
    answer = requests.get(f"{account.url}/vpc/{REGION}/v1/instances?version=2025-01-01"
                          "&generation=2", timeout=10)
    assert answer.status_code == 429


@pytest.mark.parametrize(("cls", "call"), CLIENTS)
def test_429_with_retry_after(account: Emulator, cls: type[Any],
                              call: Callable[[Any], Any]) -> None:
    client = account.client(cls)
    call(client)  # the token first: the fault is for the IBM call itself
    script = {"next": {"*": ["429"]}}
    requests.post(f"{account.url}/_emulator/faults", json=script, timeout=10).raise_for_status()
    with pytest.raises(ApiException) as info:
        call(client)
    assert info.value.status_code == 429 and info.value.http_response.headers.get("retry-after")
