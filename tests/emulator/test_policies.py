"""IAM Policy Management /v1 and /v2 policies, through IBM's own SDK over real HTTP."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import NoAuthAuthenticator
from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import (
    Control,
    ControlResponseControl,
    ControlResponseControlWithEnrichedRoles,
    Grant,
    NestedConditionRuleAttribute,
    PoliciesPager,
    Policy,
    PolicyCollection,
    PolicyResource,
    PolicyRole,
    PolicySubject,
    ResourceAttribute,
    Roles,
    SubjectAttribute,
    V2PoliciesPager,
    V2Policy,
    V2PolicyCollection,
    V2PolicyResource,
    V2PolicyResourceAttribute,
    V2PolicyRuleRuleWithNestedConditions,
    V2PolicySubject,
    V2PolicySubjectAttribute,
)

from iamcheck.emulator import validate_seed
from iamcheck.emulator.backend.policies import MAX_POLICIES
from tests.conftest import Emulator, mini_seed

ACCOUNT = mini_seed()["account_id"]
ADMIN = "IBMid-100000AAAA"
USER = "IBMid-200000BBBB"
GROUP = "AccessGroupId-0000-ops"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"
CONSOLE_IS = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
CONSOLE_IAM = "crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin"


def seed_policy(subject: tuple[str, str], roles: list[str], *, instance: str | None = None,
                **extra: Any) -> dict[str, Any]:
    """A policy as GET /v2/policies returns it (the emulator fills in id, dates, state)."""
    attrs = [{"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
             {"key": "serviceName", "operator": "stringEquals", "value": "is"}]
    if instance:
        attrs.append({"key": "instanceId", "operator": "stringEquals", "value": instance})
    return {
        "type": "access",
        "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                    "value": subject[1]}]},
        "resource": {"attributes": attrs},
        "control": {"grant": {"roles": [{"role_id": r} for r in roles]}},
        **extra,
    }


WEEKDAYS_RULE = {
    "operator": "and",
    "conditions": [
        {"key": "{{environment.attributes.day_of_week}}", "operator": "dayOfWeekAnyOf",
         "value": ["1+00:00", "2+00:00", "3+00:00", "4+00:00", "5+00:00"]},
        {"key": "{{environment.attributes.current_time}}", "operator": "timeGreaterThanOrEquals",
         "value": "09:00:00+00:00"},
        {"key": "{{environment.attributes.current_time}}", "operator": "timeLessThanOrEquals",
         "value": "17:00:00+00:00"},
    ],
}


def account(policy_count: int = 27) -> dict[str, Any]:
    seed = mini_seed()
    seed["users"].append({"iam_id": USER, "email": "bea@example.com", "state": "ACTIVE"})
    seed["policies"] = [
        {**seed_policy(("iam_id", USER), [VIEWER], instance=f"0717_inst-{i:04d}"),
         "id": f"pol-{i:04d}"}
        for i in range(policy_count)
    ]
    return seed


@pytest.fixture
def iam(emulator: Emulator) -> IamPolicyManagementV1:
    emulator.load(account())
    client: IamPolicyManagementV1 = emulator.client(IamPolicyManagementV1)
    return client


def v2_model(subject_value: str, roles: list[str], instance: str = "0717_new") -> dict[str, Any]:
    return {
        "type": "access",
        "subject": V2PolicySubject(attributes=[V2PolicySubjectAttribute(
            key="iam_id", operator="stringEquals", value=subject_value)]),
        "resource": V2PolicyResource(attributes=[
            V2PolicyResourceAttribute(key="accountId", operator="stringEquals", value=ACCOUNT),
            V2PolicyResourceAttribute(key="serviceName", operator="stringEquals", value="is"),
            V2PolicyResourceAttribute(key="instanceId", operator="stringEquals", value=instance),
        ]),
        "control": Control(grant=Grant(roles=[Roles(role_id=r) for r in roles])),
    }


def v1_model(subject_value: str, roles: list[str], account_id: str = ACCOUNT) -> dict[str, Any]:
    return {
        "type": "access",
        "subjects": [PolicySubject(attributes=[SubjectAttribute(name="iam_id",
                                                                value=subject_value)])],
        "roles": [PolicyRole(role_id=r) for r in roles],
        "resources": [PolicyResource(attributes=[
            ResourceAttribute(name="accountId", value=account_id, operator="stringEquals"),
            ResourceAttribute(name="serviceName", value="is", operator="stringEquals"),
        ])],
    }


def drain(pager: Any, max_pages: int = 60) -> list[dict[str, Any]]:
    """All items of a pager; a server that never ends its pages fails instead of hanging."""
    items: list[dict[str, Any]] = []
    for _ in range(max_pages):
        if not pager.has_next():
            return items
        items += pager.get_next()
    raise AssertionError(f"still more pages after {max_pages}")


def error_of(info: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = info.value.http_response.json()
    assert body["status_code"] == info.value.status_code and body["trace"]
    first: dict[str, Any] = body["errors"][0]
    return first


def test_inline_seed_is_valid() -> None:
    validate_seed(account())


# ---- listing and paging


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 100])
def test_v2_pager_and_start_following_lose_and_repeat_nothing(
        iam: IamPolicyManagementV1, emulator: Emulator, page_size: int) -> None:
    expected = {f"pol-{i:04d}" for i in range(27)}
    pager = V2PoliciesPager(client=iam, account_id=ACCOUNT, limit=page_size)
    pages = 0
    seen: list[str] = []
    while pager.has_next():
        seen += [p["id"] for p in pager.get_next()]
        pages += 1
        assert pages <= 27, "the pages never end"
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert pages == math.ceil(27 / page_size)

    manual: list[str] = []
    start = None
    for _ in range(28):
        result = iam.list_v2_policies(account_id=ACCOUNT, limit=page_size, start=start).get_result()
        page = V2PolicyCollection.from_dict(result)
        assert page.limit == page_size and page.first.href.startswith(emulator.url)
        assert "start=" not in page.first.href
        manual += [p.id for p in page.policies]
        if page.next is None:
            break
        assert f"start={page.next.start}" in page.next.href
        start = page.next.start
    assert manual == seen


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 100])
def test_v1_pager_lists_the_same_policies(iam: IamPolicyManagementV1, page_size: int) -> None:
    listed = drain(PoliciesPager(client=iam, account_id=ACCOUNT, limit=page_size))
    PolicyCollection.from_dict({"policies": listed})
    ids = [p["id"] for p in listed]
    assert len(ids) == len(set(ids)) == 27


def test_paging_is_stable_while_policies_are_created(iam: IamPolicyManagementV1) -> None:
    pager = V2PoliciesPager(client=iam, account_id=ACCOUNT, limit=4, sort="-created_at")
    seen = [p["id"] for p in pager.get_next()]
    iam.create_v2_policy(**v2_model(USER, [OPERATOR]))  # newest: sorts before every page
    seen += [p["id"] for p in drain(pager)]
    assert sorted(seen) == sorted(f"pol-{i:04d}" for i in range(27))


def test_without_limit_everything_comes_in_one_page(iam: IamPolicyManagementV1) -> None:
    result = iam.list_v2_policies(account_id=ACCOUNT).get_result()
    assert len(result["policies"]) == 27 and "next" not in result


def test_sort_by_id_descending(iam: IamPolicyManagementV1) -> None:
    listed = drain(V2PoliciesPager(client=iam, account_id=ACCOUNT, limit=5, sort="-id"))
    ids = [p["id"] for p in listed]
    assert ids == sorted(ids, reverse=True) and len(ids) == 27


def test_iam_id_filters_on_the_subject_only(iam: IamPolicyManagementV1) -> None:
    iam.create_v2_policy(**{**v2_model(USER, [OPERATOR]), "subject": V2PolicySubject(
        attributes=[V2PolicySubjectAttribute(key="access_group_id", operator="stringEquals",
                                             value=GROUP)])})
    mine = iam.list_v2_policies(account_id=ACCOUNT, iam_id=USER).get_result()["policies"]
    assert len(mine) == 27
    groups = iam.list_v2_policies(account_id=ACCOUNT, access_group_id=GROUP).get_result()
    assert [p["subject"]["attributes"][0]["value"] for p in groups["policies"]] == [GROUP]
    assert iam.list_v2_policies(account_id=ACCOUNT, iam_id=ADMIN).get_result()["policies"] == []
    assert len(iam.list_v2_policies(account_id=ACCOUNT, service_name="is", type="access")
               .get_result()["policies"]) == 28
    assert iam.list_v2_policies(account_id=ACCOUNT, service_type="service",
                                ).get_result()["policies"] == []


def test_missing_account_id_is_a_400(iam: IamPolicyManagementV1) -> None:
    request = iam.prepare_request(method="GET", url="/v2/policies", params={"iam_id": USER})
    with pytest.raises(ApiException) as info:
        iam.send(request)
    assert info.value.status_code == 400
    assert error_of(info)["code"] == "missing_required_query_parameter"


def test_every_call_needs_a_token(emulator: Emulator) -> None:
    anonymous = IamPolicyManagementV1(authenticator=NoAuthAuthenticator())
    anonymous.set_service_url(emulator.url)
    with pytest.raises(ApiException) as info:
        anonymous.list_v2_policies(account_id=ACCOUNT)
    assert info.value.status_code == 401
    with pytest.raises(ApiException) as info:
        anonymous.list_roles(service_name="is")
    assert info.value.status_code == 401


# ---- create, read, replace


def test_create_v2_and_read_it_back_with_an_etag(iam: IamPolicyManagementV1) -> None:
    created = iam.create_v2_policy(**v2_model(USER, [OPERATOR, CONSOLE_IS]))
    assert created.get_status_code() == 201
    policy = V2Policy.from_dict(created.get_result())
    assert policy.state == "active" and policy.created_by_id == ADMIN
    assert policy.href.endswith(f"/v2/policies/{policy.id}")
    roles = ControlResponseControl.from_dict(policy.control).grant.roles
    assert [r.role_id for r in roles] == [OPERATOR, CONSOLE_IS]
    read = iam.get_v2_policy(id=policy.id)
    assert read.get_headers()["ETag"] and V2Policy.from_dict(read.get_result()).id == policy.id
    v1 = Policy.from_dict(iam.get_policy(policy_id=policy.id).get_result())
    # IBM: /v1 answers a placeholder for every policy created through /v2 (P1, revision 2)
    assert v1.subjects[0].attributes[0].value == "unsupported version"
    assert [r.role_id for r in v1.roles] == ["crn:v1:bluemix:public:iam::::role:UnsupportedVersion"]
    assert v1.href.endswith(f"/v2/policies/{policy.id}")


def test_a_v1_policy_reads_through_v2(iam: IamPolicyManagementV1) -> None:
    created = iam.create_policy(**v1_model(USER, [CONSOLE_IAM]))
    assert created.get_status_code() == 201
    policy = Policy.from_dict(created.get_result())
    assert policy.href.endswith(f"/v1/policies/{policy.id}")
    v2 = iam.get_v2_policy(id=policy.id).get_result()
    assert v2["subject"]["attributes"] == [
        {"key": "iam_id", "operator": "stringEquals", "value": USER}]
    assert v2["control"]["grant"]["roles"] == [{"role_id": CONSOLE_IAM}]


def test_display_format_lists_role_actions(iam: IamPolicyManagementV1) -> None:
    created = iam.create_v2_policy(**v2_model(USER, [OPERATOR, CONSOLE_IS])).get_result()
    shown = iam.get_v2_policy(id=created["id"], format="display").get_result()
    roles = ControlResponseControlWithEnrichedRoles.from_dict(shown["control"]).grant.roles
    actions = {r.role_id: {a.id for a in r.actions} for r in roles}
    assert "is.instance.instance.operate" in actions[OPERATOR]
    assert actions[CONSOLE_IS] == {"is.instance.instance.console"}


def test_exact_duplicate_is_a_409_naming_the_original(iam: IamPolicyManagementV1) -> None:
    first = iam.create_v2_policy(**v2_model(USER, [OPERATOR])).get_result()
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**v2_model(USER, [OPERATOR]))
    assert info.value.status_code == 409
    error = error_of(info)
    assert error["code"] == "policy_conflict_error"
    assert error["details"]["conflicts_with"]["policy"]["id"] == first["id"]
    with pytest.raises(ApiException) as info:  # the seeded v2 policy, created again through v1
        body = v1_model(USER, [VIEWER])
        body["resources"][0].attributes.append(ResourceAttribute(
            name="instanceId", value="0717_inst-0003", operator="stringEquals"))
        iam.create_policy(**body)
    assert info.value.status_code == 409
    iam.create_v2_policy(**v2_model(USER, [OPERATOR], instance="0717_other"))  # not a duplicate


def test_replace_needs_the_current_etag(iam: IamPolicyManagementV1) -> None:
    etag = iam.get_v2_policy(id="pol-0001").get_headers()["ETag"]
    replaced = iam.replace_v2_policy(id="pol-0001", if_match=etag,
                                     **v2_model(USER, [OPERATOR], instance="0717_inst-0001"))
    new_etag = replaced.get_headers()["ETag"]
    assert new_etag != etag
    assert replaced.get_result()["control"]["grant"]["roles"] == [{"role_id": OPERATOR}]
    assert replaced.get_result()["created_at"] != replaced.get_result()["last_modified_at"]
    with pytest.raises(ApiException) as info:
        iam.replace_v2_policy(id="pol-0001", if_match=etag, **v2_model(USER, [VIEWER]))
    assert info.value.status_code == 412
    v1_etag = iam.get_policy(policy_id="pol-0001").get_headers()["ETag"]
    assert v1_etag == new_etag
    iam.replace_policy(policy_id="pol-0001", if_match=v1_etag, **v1_model(USER, [VIEWER]))
    request = iam.prepare_request(method="PUT", url="/v2/policies/pol-0001",
                                  data=iam.get_v2_policy(id="pol-0001").get_result())
    with pytest.raises(ApiException) as info:
        iam.send(request)
    assert info.value.status_code == 400


# ---- delete, list deleted, restore


def test_delete_then_restore(iam: IamPolicyManagementV1) -> None:
    assert iam.delete_v2_policy(id="pol-0002").get_status_code() == 204
    active = drain(V2PoliciesPager(client=iam, account_id=ACCOUNT, limit=10))
    assert "pol-0002" not in {p["id"] for p in active}
    deleted = iam.list_v2_policies(account_id=ACCOUNT, state="deleted").get_result()["policies"]
    assert [(p["id"], p["state"]) for p in deleted] == [("pol-0002", "deleted")]
    v1_deleted = iam.list_policies(account_id=ACCOUNT, state="deleted").get_result()
    assert [p.id for p in PolicyCollection.from_dict(v1_deleted).policies] == ["pol-0002"]
    read = iam.get_policy(policy_id="pol-0002")
    assert read.get_result()["state"] == "deleted"
    with pytest.raises(ApiException) as info:
        iam.delete_policy(policy_id="pol-0002")
    assert info.value.status_code == 404
    with pytest.raises(ApiException) as info:
        iam.update_policy_state(policy_id="pol-0002", if_match="1-stale", state="active")
    assert info.value.status_code == 412
    restored = iam.update_policy_state(policy_id="pol-0002",
                                       if_match=read.get_headers()["ETag"], state="active")
    assert Policy.from_dict(restored.get_result()).state == "active"
    assert iam.list_v2_policies(account_id=ACCOUNT, state="deleted").get_result()["policies"] == []


def test_restoring_into_a_duplicate_is_a_409(iam: IamPolicyManagementV1) -> None:
    iam.delete_policy(policy_id="pol-0004")
    etag = iam.get_policy(policy_id="pol-0004").get_headers()["ETag"]
    iam.create_v2_policy(**v2_model(USER, [VIEWER], instance="0717_inst-0004"))
    with pytest.raises(ApiException) as info:
        iam.update_policy_state(policy_id="pol-0004", if_match=etag, state="active")
    assert info.value.status_code == 409


# ---- /v1 views of policies v1 cannot express


def test_rule_policy_is_an_unsupported_version_placeholder_on_v1(
        iam: IamPolicyManagementV1) -> None:
    rule = V2PolicyRuleRuleWithNestedConditions(operator="and", conditions=[
        NestedConditionRuleAttribute.from_dict(c) for c in WEEKDAYS_RULE["conditions"]])
    created = iam.create_v2_policy(**v2_model(USER, [OPERATOR]), rule=rule,
                                   pattern="time-based-conditions:weekly:custom-hours")
    policy_id = created.get_result()["id"]
    listed = PolicyCollection.from_dict(iam.list_policies(account_id=ACCOUNT).get_result())
    placeholder = next(p for p in listed.policies if p.id == policy_id)
    assert placeholder.subjects[0].attributes[0].value == "unsupported version"
    assert placeholder.roles[0].role_id == "crn:v1:bluemix:public:iam::::role:UnsupportedVersion"
    assert placeholder.href.endswith(f"/v2/policies/{policy_id}")
    assert placeholder.resources[0].attributes[0].value == ACCOUNT
    others = [p for p in listed.policies if p.id != policy_id]
    # the seed's policies are v2 too: every one is a placeholder on /v1 (P1, revision 2)
    assert len(others) == 27 and all(p.href.endswith(f"/v2/policies/{p.id}") for p in others)
    assert {p.subjects[0].attributes[0].value for p in others} == {"unsupported version"}
    written = Policy.from_dict(iam.create_policy(**v1_model(USER, [VIEWER])).get_result())
    assert written.href.endswith(f"/v1/policies/{written.id}")  # written through /v1: in full
    assert written.subjects[0].attributes[0].value == USER
    single = Policy.from_dict(iam.get_policy(policy_id=policy_id).get_result())
    assert single.roles[0].display_name == "Unsupported Version"
    assert iam.get_v2_policy(id=policy_id).get_result()["rule"] == WEEKDAYS_RULE


# ---- errors


def test_unknown_policy_is_a_404_in_ibm_shape(iam: IamPolicyManagementV1) -> None:
    for call in (lambda: iam.get_v2_policy(id="nope"), lambda: iam.get_policy(policy_id="nope"),
                 lambda: iam.delete_v2_policy(id="nope")):
        with pytest.raises(ApiException) as info:
            call()
        assert info.value.status_code == 404
        error = error_of(info)
        assert error["code"] == "policy_not_found" and "nope" in error["message"]


@pytest.mark.parametrize(("change", "needle"), [
    ({"account_id": "0" * 32}, "accountId"),
    ({"roles": ["crn:v1:bluemix:public:iam::::role:Superuser"]}, "role_id"),
    ({"roles": ["crn:v1:bluemix:public:cloudant::::serviceRole:Manager2"]}, "role_id"),
    ({"pattern": "time-based-conditions:sometimes"}, "pattern"),
    ({"rule": {"key": "{{environment.attributes.current_time}}", "operator": "timeAround",
               "value": "09:00:00+00:00"}}, "rule"),
    ({"subject_key": "email"}, "subject"),
])
def test_invalid_bodies_are_400s(iam: IamPolicyManagementV1, change: dict[str, Any],
                                 needle: str) -> None:
    body = v2_model(USER, change.get("roles", [OPERATOR]))
    if "account_id" in change:
        body["resource"].attributes[0].value = change["account_id"]
    if "subject_key" in change:
        body["subject"].attributes[0].key = change["subject_key"]
    if "rule" in change:
        body.update(rule=change["rule"], pattern="time-based-conditions:weekly:custom-hours")
    if "pattern" in change:
        body.update(rule=WEEKDAYS_RULE, pattern=change["pattern"])
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**body)
    assert info.value.status_code == 400
    assert needle in error_of(info)["message"]


def test_v1_create_checks_the_account_too(iam: IamPolicyManagementV1) -> None:
    with pytest.raises(ApiException) as info:
        iam.create_policy(**v1_model(USER, [VIEWER], account_id="f" * 32))
    assert info.value.status_code == 400 and error_of(info)["code"] == "invalid_body"


def test_console_admin_is_accepted_with_either_segment(iam: IamPolicyManagementV1) -> None:
    for n, role in enumerate((CONSOLE_IS, CONSOLE_IAM)):
        assert iam.create_v2_policy(**v2_model(USER, [role], instance=f"i-{n}")
                                    ).get_status_code() == 201


def test_account_policy_quota(emulator: Emulator) -> None:
    seed = account(0)
    seed["policies"] = [seed_policy(("iam_id", USER), [VIEWER], instance=f"i-{i}")
                        for i in range(MAX_POLICIES)]
    emulator.load(seed)
    iam = emulator.client(IamPolicyManagementV1)
    with pytest.raises(ApiException) as info:
        iam.create_v2_policy(**v2_model(USER, [OPERATOR]))
    assert info.value.status_code == 422
    assert "Exceeded maximum policies quota" in error_of(info)["message"]


# ---- concurrency


def _create_all(emulator: Emulator, models: list[dict[str, Any]]) -> list[int]:
    statuses: list[int] = []
    clients = [emulator.client(IamPolicyManagementV1) for _ in models]
    for client in clients:
        client.authenticator.token_manager.get_token()
    barrier = threading.Barrier(len(models))

    def create(client: IamPolicyManagementV1, model: dict[str, Any]) -> None:
        barrier.wait()
        try:
            statuses.append(client.create_v2_policy(**model).get_status_code())
        except ApiException as err:
            statuses.append(err.status_code)

    threads = [threading.Thread(target=create, args=pair) for pair in zip(clients, models,
                                                                           strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_creates_lose_and_double_nothing(iam: IamPolicyManagementV1,
                                                     emulator: Emulator) -> None:
    distinct = [v2_model(ADMIN, [OPERATOR], instance=f"c-{i}") for i in range(12)]
    assert _create_all(emulator, distinct) == [201] * 12
    same = [v2_model(ADMIN, [CONSOLE_IS]) for _ in range(8)]
    assert sorted(_create_all(emulator, same)) == [201] + [409] * 7
    mine = iam.list_v2_policies(account_id=ACCOUNT, iam_id=ADMIN).get_result()["policies"]
    assert len(mine) == 13 and len({p["id"] for p in mine}) == 13


# ---- the pure query later issues use


def test_policies_for_subject(iam: IamPolicyManagementV1, emulator: Emulator) -> None:
    iam.delete_v2_policy(id="pol-0000")
    iam.create_v2_policy(**{**v2_model(USER, [OPERATOR]), "subject": V2PolicySubject(
        attributes=[V2PolicySubjectAttribute(key="access_group_id", operator="stringEquals",
                                             value=GROUP)])})
    store = emulator.backend.policies
    mine = store.policies_for_subject(iam_id=USER)
    assert len(mine) == 26 and all(p["state"] == "active" for p in mine)
    assert "pol-0000" not in {p["id"] for p in mine}
    assert [p["subject"]["attributes"][0]["value"]
            for p in store.policies_for_subject(access_group_id=GROUP)] == [GROUP]
    assert len(store.policies_for_subject(iam_id=USER, access_group_id=GROUP)) == 27
