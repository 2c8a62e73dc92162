"""The grant and revoke plans, on literal account data: which roles, which body, which tag."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from iamcheck.decide import Verdict
from iamcheck.formats.json_format import compact as compact_json
from iamcheck.grant.log import AuditLog, default_path, read_entries, scrubbed
from iamcheck.grant.plan import (
    ALLOWED,
    CANNOT,
    CREATE,
    GrantScope,
    PlanError,
    Subject,
    SubjectPlan,
    Window,
    choose_roles,
    evaluate,
    grant_roles,
    overall,
    plan_subject,
    subject_account,
    with_policy,
)
from iamcheck.grant.policy import (
    created_by_iamcheck,
    find_equivalent,
    marker,
    policy_json,
    same_grant,
    tag_of,
)
from iamcheck.grant.revoke import plan_revoke, scope_of
from iamcheck.model import AccessGroup, AccountData, Attribute, Policy
from tests.unit.decide_builders import (
    ACCOUNT,
    ADMIN,
    ALICE,
    AT,
    CONSOLE,
    CONSOLE_ACTION,
    CONSOLE_IAM,
    CUSTOM,
    OPERATE,
    OPERATOR,
    OPS,
    REQ,
    ROLES,
    full,
    instance,
    policy,
    public_group,
)

VM1, VM2 = instance("0717_i-1", rg="rg-a"), instance("0717_i-2", rg="rg-a")
ONE = GrantScope("instance", VM1.id, VM1.name, (VM1,))
RG = GrantScope("resource_group", "rg-a", "apps", (VM1, VM2))
GRANT = grant_roles(REQ, ROLES)
ALICE_S = Subject("user", ALICE, "alice@example.com", "ACTIVE")
OPS_S = Subject("access_group", OPS, "ops")


def plan_for(subject: Subject, scope: GrantScope, *policies: Policy,
             groups: tuple[AccessGroup, ...] = (), window: Window | None = None,
             state: str = "ACTIVE") -> tuple[SubjectPlan, AccountData]:
    subject = replace(subject, state=state) if subject.kind == "user" else subject
    data = subject_account(subject, ACCOUNT, AT, groups, policies, ROLES, scope.instances)
    return plan_subject(data, subject, scope, REQ, GRANT, AT, window), data


def test_grant_roles_resolve_by_suffix_and_prefer_the_service_segment() -> None:
    assert [r.crn for r in GRANT] == [OPERATOR, CONSOLE]
    both = (*ROLES, replace(ROLES[7], crn=CONSOLE_IAM))
    assert grant_roles(REQ, reversed(both))[1].crn == CONSOLE  # `is` wins over `iam`
    only_iam = [replace(r, crn=CONSOLE_IAM) if r.crn == CONSOLE else r for r in ROLES]
    assert grant_roles(REQ, only_iam)[1].crn == CONSOLE_IAM  # R4: either segment will do
    with pytest.raises(PlanError, match="serviceRole:VirtualServerConsoleAdmin"):
        grant_roles(REQ, [r for r in ROLES if r.crn != CONSOLE])


def test_a_user_with_nothing_gets_both_roles_on_the_instance() -> None:
    plan, _ = plan_for(ALICE_S, ONE)
    assert plan.status == CREATE and plan.missing == (OPERATE, CONSOLE_ACTION)
    assert plan.policy is not None
    body = plan.policy.body()
    assert body["subject"] == {"attributes": [
        {"key": "iam_id", "operator": "stringEquals", "value": ALICE}]}
    assert body["resource"]["attributes"] == [
        {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
        {"key": "serviceName", "operator": "stringEquals", "value": "is"},
        {"key": "instanceId", "operator": "stringEquals", "value": VM1.id}]
    assert body["control"] == {"grant": {"roles": [{"role_id": OPERATOR}, {"role_id": CONSOLE}]}}
    assert "rule" not in body and "pattern" not in body
    assert body["description"].startswith(plan.policy.marker + " created by iamcheck for "
                                          "alice@example.com: Operator, Console Administrator")
    assert len(body["description"]) <= 300
    assert overall(plan.before) is Verdict.DENY and overall(plan.predicted) is Verdict.ALLOW
    assert plan.policy.cli == (
        "ibmcloud iam user-policy-create alice@example.com --roles "
        f"'Operator,Console Administrator' --service-name is --attributes instanceId={VM1.id}")


def test_one_role_short_gets_only_the_missing_role() -> None:
    plan, _ = plan_for(ALICE_S, ONE, policy("p1", ALICE, OPERATOR))
    assert plan.status == CREATE and plan.missing == (CONSOLE_ACTION,)
    assert plan.policy is not None and [r.crn for r in plan.policy.roles] == [CONSOLE]
    console_only, _ = plan_for(ALICE_S, ONE, policy("p1", ALICE, CONSOLE))
    assert console_only.policy is not None
    assert [r.crn for r in console_only.policy.roles] == [OPERATOR]


def test_access_through_a_group_needs_nothing() -> None:
    plan, _ = plan_for(ALICE_S, ONE, full("g1", OPS), groups=(AccessGroup(OPS, "ops"),))
    assert plan.status == ALLOWED and plan.policy is None and plan.missing == ()
    assert overall(plan.before) is Verdict.ALLOW


def test_an_action_held_on_part_of_the_scope_is_granted_on_all_of_it() -> None:
    # operate on VM1 only, console on the whole resource group
    plan, _ = plan_for(ALICE_S, RG, policy("p1", ALICE, OPERATOR, resource=(
        ("serviceName", "is"), ("instanceId", VM1.id))),
        policy("p2", ALICE, CONSOLE, resource=(("serviceName", "is"), ("resourceGroupId", "rg-a"))))
    assert plan.missing == (OPERATE,)
    assert plan.policy is not None and [r.crn for r in plan.policy.roles] == [OPERATOR]
    assert plan.policy.body()["resource"]["attributes"][-1] == {
        "key": "resourceGroupId", "operator": "stringEquals", "value": "rg-a"}
    assert "--resource-group-id rg-a" in plan.policy.cli
    assert [d.verdict for d in plan.predicted] == [Verdict.ALLOW, Verdict.ALLOW]


def test_an_empty_scope_is_evaluated_for_a_new_instance() -> None:
    empty = GrantScope("resource_group", "rg-a", "apps", ())
    covered, _ = plan_for(ALICE_S, empty, full("p1", ALICE, resource=(
        ("serviceName", "is"), ("resourceGroupId", "rg-a"))))
    assert covered.status == ALLOWED
    # access to today's instances one by one does not cover tomorrow's
    by_instance, _ = plan_for(ALICE_S, empty, full("p1", ALICE, resource=(
        ("serviceName", "is"), ("instanceId", VM1.id))))
    assert by_instance.status == CREATE and by_instance.missing == (OPERATE, CONSOLE_ACTION)


def test_a_group_is_planned_on_its_own_policies_only() -> None:
    member_policy = full("p1", "AccessGroupId-other")
    public = full("pub", public_group().id)
    plan, data = plan_for(OPS_S, ONE, policy("g1", OPS, CONSOLE), member_policy, public)
    assert plan.status == CREATE and plan.missing == (OPERATE,)
    assert plan.policy is not None
    assert plan.policy.body()["subject"]["attributes"][0]["key"] == "access_group_id"
    assert plan.policy.cli.startswith(
        "ibmcloud iam access-group-policy-create ops --roles Operator --service-name is")
    assert [u.iam_id for u in data.users] == [OPS_S.evaluated_as]
    assert data.memberships[0].group_id == OPS  # the stand-in is in no other group


def test_a_user_who_cannot_sign_in_is_not_helped_by_a_grant() -> None:
    plan, _ = plan_for(ALICE_S, ONE, full("p1", ALICE), state="SUSPENDED")
    assert plan.status == CANNOT and plan.policy is None and "(V4)" in plan.reason
    pending, _ = plan_for(ALICE_S, ONE, state="PENDING")  # the policy still makes sense
    assert pending.status == CREATE and overall(pending.predicted) is Verdict.DENY


def test_a_window_adds_the_once_rule_and_keeps_the_tag() -> None:
    window = Window(AT, AT + timedelta(hours=8))
    timed, data = plan_for(ALICE_S, ONE, window=window)
    plain, _ = plan_for(ALICE_S, ONE)
    assert timed.policy is not None and plain.policy is not None
    body = timed.policy.body()
    assert body["pattern"] == "time-based-conditions:once"
    assert body["rule"] == {"operator": "and", "conditions": [
        {"key": "{{environment.attributes.current_date_time}}",
         "operator": "dateTimeGreaterThanOrEquals", "value": "2026-03-04T12:00:00+00:00"},
        {"key": "{{environment.attributes.current_date_time}}",
         "operator": "dateTimeLessThanOrEquals", "value": "2026-03-04T20:00:00+00:00"}]}
    assert timed.policy.marker == plain.policy.marker
    assert timed.policy.cli.endswith("--file policy.json")
    later = with_policy(data, timed.policy.policy)
    after = evaluate(later, REQ, ALICE_S, ONE.instances, window.end + timedelta(minutes=1))
    assert overall(timed.predicted) is Verdict.ALLOW and overall(after) is Verdict.DENY


def test_choose_roles_takes_each_role_only_if_it_adds_a_missing_action() -> None:
    by_crn = {r.crn: r for r in ROLES}
    both = replace(by_crn[CUSTOM], actions=frozenset({OPERATE, CONSOLE_ACTION}))
    assert choose_roles((OPERATE, CONSOLE_ACTION), [both, by_crn[OPERATOR]]) == ((both,), ())
    assert choose_roles((OPERATE,), [by_crn[CONSOLE]]) == ((), (OPERATE,))
    assert choose_roles((OPERATE,), [by_crn[ADMIN], by_crn[OPERATOR]])[0] == (by_crn[ADMIN],)


def _created(plan_policy: Policy, pid: str = "new-1") -> Policy:
    return replace(plan_policy, id=pid)


def test_the_tag_is_checked_against_the_policy_itself() -> None:
    plan, _ = plan_for(ALICE_S, ONE, policy("p1", ALICE, OPERATOR))
    assert plan.policy is not None
    mine = _created(plan.policy.policy)
    assert created_by_iamcheck(mine) and tag_of(mine.description) == plan.policy.marker
    copied = replace(mine, role_ids=(OPERATOR, CONSOLE))  # edited since, or a copied tag
    assert not created_by_iamcheck(copied)
    assert not created_by_iamcheck(replace(mine, description="ops: console for alice"))
    assert marker(Attribute("iam_id", "stringEquals", ALICE), mine.resource, [CONSOLE_IAM]) \
        == plan.policy.marker  # R4: the service segment does not change the tag


def test_find_equivalent_sees_duplicates_and_concurrent_grants() -> None:
    window = Window(AT, AT + timedelta(hours=1))
    plan, _ = plan_for(ALICE_S, ONE, window=window)
    assert plan.policy is not None
    wanted = plan.policy.policy
    same = _created(replace(wanted, description="made by hand"))
    assert find_equivalent([same], wanted, AT) == same
    # a concurrent grant a minute earlier wrote another window: same tag, and it holds now
    earlier, _ = plan_for(ALICE_S, ONE, window=Window(AT - timedelta(minutes=1),
                                                      AT + timedelta(hours=1)))
    assert earlier.policy is not None
    other_window = _created(earlier.policy.policy)
    assert not same_grant(other_window, wanted)
    assert find_equivalent([other_window], wanted, AT) == other_window
    assert find_equivalent([other_window], wanted, AT + timedelta(hours=2)) is None
    assert find_equivalent([replace(same, state="deleted")], wanted, AT) is None
    someone_else = _created(replace(wanted, subject=(Attribute("iam_id", "stringEquals",
                                                               "IBMid-other"),)))
    assert find_equivalent([someone_else], wanted, AT) is None


def test_revoke_removes_only_what_iamcheck_created_on_that_scope() -> None:
    plan, _ = plan_for(ALICE_S, ONE)
    assert plan.policy is not None
    mine = _created(plan.policy.policy, "mine")
    foreign = policy("foreign", ALICE, OPERATOR, CONSOLE, resource=(
        ("serviceName", "is"), ("instanceId", VM1.id)))
    elsewhere = policy("elsewhere", ALICE, OPERATOR, resource=(("serviceName", "is"),))
    template = replace(foreign, id="tmpl", template_managed=True)
    result = plan_revoke(ALICE_S, [mine, foreign, elsewhere, template], ONE, REQ)
    assert [r.policy.id for r in result.remove] == ["mine"]
    assert [(k.policy.id, k.why.split(":")[0]) for k in result.kept] == [
        ("foreign", "not created by iamcheck"), ("tmpl", "managed by an enterprise template")]
    assert result.remove[0].cli == "ibmcloud iam user-policy-delete alice@example.com mine -f"
    named = plan_revoke(ALICE_S, [mine, foreign, elsewhere], ONE, REQ, named={"elsewhere"})
    assert sorted(r.policy.id for r in named.remove) == ["elsewhere", "mine"]
    only_named = plan_revoke(ALICE_S, [mine, foreign], None, REQ, named={"foreign"})
    assert [r.policy.id for r in only_named.remove] == ["foreign"] and not only_named.kept


def test_scope_of_reads_only_the_shapes_grant_writes() -> None:
    assert scope_of(policy("a", ALICE, OPERATOR), REQ) == ("account", "")
    assert scope_of(policy("b", ALICE, OPERATOR, resource=(
        ("serviceName", "is"), ("resourceGroupId", "rg-a"))), REQ) == ("resource_group", "rg-a")
    assert scope_of(policy("c", ALICE, OPERATOR, resource=(
        ("serviceName", "is"), ("region", "us-south"))), REQ) is None
    assert scope_of(policy("d", ALICE, OPERATOR, resource=(
        ("serviceName", "is"), Attribute("instanceId", "stringMatch", "0717_*"))), REQ) is None


def test_policy_json_round_trips_through_the_reader() -> None:
    from iamcheck.ibm.iam_policy import policy_from_json

    plan, _ = plan_for(ALICE_S, ONE, window=Window(AT, AT + timedelta(hours=1)))
    assert plan.policy is not None
    body = plan.policy.body()
    back = policy_from_json({**body, "id": "", "state": "active"})
    assert back == plan.policy.policy
    assert json.loads(compact_json(body)) == body
    assert policy_json(back) == body


def test_audit_log_lines_are_json_and_never_hold_credentials(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "deep" / "audit.jsonl")
    log.prepare()
    log.append({"event": "create", "body": {"description": "x"},
                "headers": {"Authorization": "Bearer abc"}, "apikey": "k"})
    log.append({"event": "create", "outcome": "created"})
    entries = read_entries(log.path)
    assert [e["event"] for e in entries] == ["create", "create"]
    assert "apikey" not in entries[0] and entries[0]["headers"] == {}
    assert all(e["at"].endswith("+00:00") for e in entries)
    assert (log.path.stat().st_mode & 0o077) == 0
    assert scrubbed([{"api_key": 1, "keep": 2}]) == [{"keep": 2}]


def test_default_log_path_follows_xdg(tmp_path: Path) -> None:
    assert default_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "iamcheck/audit.jsonl"
    assert default_path({"XDG_STATE_HOME": "relative"}) == (
        Path.home() / ".local/state/iamcheck/audit.jsonl")
    assert default_path({}) == Path.home() / ".local/state/iamcheck/audit.jsonl"


def test_racing_grants_agree_on_which_twin_stays() -> None:
    """Two runs across a minute boundary wrote windows a minute apart; a third asked for good.
    Each run's re-check after its create keeps the twin that covers the other, so whichever
    looks (or both) one policy is left."""
    from iamcheck.grant.policy import covering_twin, redundant_twins

    def made(pid: str, window: Window | None) -> Policy:
        plan, _ = plan_for(ALICE_S, ONE, window=window)
        assert plan.policy is not None
        return _created(plan.policy.policy, pid)

    early = made("a-early", Window(AT - timedelta(minutes=1), AT + timedelta(hours=8)))
    late = made("b-late", Window(AT, AT + timedelta(hours=8, minutes=1)))
    now = AT + timedelta(seconds=5)
    both = [early, late]
    assert covering_twin(early, both, now) == late  # the earlier run deletes its own
    assert redundant_twins(early, both, now) == []
    assert covering_twin(late, both, now) is None  # the later run keeps its own...
    assert redundant_twins(late, both, now) == [early]  # ...and deletes the earlier's
    same = made("c-same", Window(AT, AT + timedelta(hours=8, minutes=1)))
    assert covering_twin(same, [late, same], now) == late  # mutual: the smaller id stays
    assert covering_twin(late, [late, same], now) is None
    forever = made("d-forever", None)
    assert covering_twin(late, [late, forever], now) == forever
    assert redundant_twins(forever, [late, forever], now) == [late]
    other = _created(replace(late, description="by hand", rule=None, pattern=None), "e")
    assert covering_twin(late, [late, other], now) is None  # not iamcheck's: never touched
