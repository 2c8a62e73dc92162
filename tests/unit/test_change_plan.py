"""Change review: Terraform plans and v2 policy bodies applied to the demo account, and the
diff they give. Plans are in tests/data/plans/ (`terraform show -json` format, attributes from
the IBM provider's documented schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from iamcheck.audit.run import Selection, run_audit
from iamcheck.change import (
    Cause,
    PlanError,
    apply,
    changes_from_plan,
    changes_from_policy_bodies,
    diff_reports,
)
from iamcheck.change.changes import AddMembers, PutPolicy, RemoveMembers, RemovePolicy, Unmodelled
from iamcheck.change.policy_file import load_policy_bodies
from iamcheck.change.terraform import load_plan
from iamcheck.decide import Verdict, decide_account
from iamcheck.grant.policy import policy_json
from iamcheck.model import AccountData
from iamcheck.requirement import load_requirement
from tests.support.seed_model import account_from_seed

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "tests" / "data" / "plans"
SEED = ROOT / "iamcheck" / "emulator" / "seed" / "demo.json"
AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
REQ = load_requirement()
ONCALL = "AccessGroupId-3f1a7c2e-0b4d-4e8f-9a6b-000000000002"
JUNIPER, INES = "IBMid-6650001003", "IBMid-6650001005"
CI = "iam-ServiceId-7c2a9e41-5d3b-4f60-8a1e-2b9c0d4e6f01"
INES_POLICY = "7b3e0008-2f1a-4c6d-9e8b-5a0c7d2e0008"


@pytest.fixture(scope="module")
def demo() -> AccountData:
    return account_from_seed(json.loads(SEED.read_text(encoding="utf-8")), read_at=AT)


def plan(name: str) -> dict[str, Any]:
    return load_plan((PLANS / name).read_text(encoding="utf-8"))


def test_member_added_and_policy_deleted(demo: AccountData) -> None:
    changes = changes_from_plan(plan("oncall-member-added-console-policy-deleted.json"), demo)
    assert RemovePolicy(INES_POLICY, "ibm_iam_user_policy.ines_console") in changes
    removed = next(c for c in changes if isinstance(c, RemoveMembers))
    added = next(c for c in changes if isinstance(c, AddMembers))
    assert removed.group_id == added.group_id == ONCALL
    after, unmodelled = apply(demo, changes)
    assert unmodelled == ()
    assert (ONCALL, JUNIPER) in {(m.group_id, m.iam_id) for m in after.memberships}
    assert INES_POLICY not in {p.id for p in after.policies}

    diff = diff_reports(run_audit(demo, REQ, Selection(), AT),
                        run_audit(after, REQ, Selection(), AT))
    gained, lost = diff.of_kind("gained"), diff.of_kind("lost")
    assert {t.subject for t in gained} == {JUNIPER}
    assert len(gained) == len(demo.instances)  # on-call opens every instance
    assert all(any(c.kind == "membership_added" and c.id == ONCALL for c in t.causes)
               for t in gained)
    # Ines's policy covered the payments resource group. Since revision 2 (P3), anyone may
    # join a group with a dynamic rule at a federated login: on the instances the
    # contractors-sso or incident-responders policies cover, her loss is only possible.
    maybe_lost = diff.of_kind("maybe_lost")
    payments = {i.id for i in demo.instances
                if i.resource_group_id == "5b0e7a1c3d2f4e6a8b9c0d1e2f3a4b03"}
    result = decide_account(after, REQ, AT)
    reachable = {i.id for i in demo.instances if result.verdict(INES, i.id) is Verdict.UNKNOWN}
    assert all(u.rule == "P3" for i in reachable for u in result.decision(INES, i).uncertain)
    assert {t.subject for t in lost + maybe_lost} == {INES}
    assert {t.instance_id for t in lost} == payments - reachable
    assert {t.instance_id for t in maybe_lost} == payments & reachable != set()
    assert {t.instance_name for t in maybe_lost} == {"pay-staging-01"}  # contractors-sso's
    assert all(any(c.kind == "policy_removed" and c.id == INES_POLICY for c in t.causes)
               for t in lost + maybe_lost)
    assert all(INES_POLICY in {p.policy_id for p in t.paths} for t in lost + maybe_lost)
    body = diff.as_dict()
    assert body["summary"]["gained"] == len(gained) and body["summary"]["lost"] == len(lost)


def test_unknown_at_plan_time_makes_only_that_subject_uncertain(demo: AccountData) -> None:
    changes = changes_from_plan(plan("unknown-at-plan-time.json"), demo)
    assert [type(c) for c in changes] == [Unmodelled]  # the instance itself is not IAM
    assert changes[0].name == "ibm_iam_user_policy.juniper_bastion"
    assert changes[0].reason == "resource_attributes is known only after apply"
    after, unmodelled = apply(demo, changes)
    assert unmodelled == changes
    before = decide_account(demo, REQ, AT)
    result = decide_account(after, REQ, AT)
    for inst in demo.instances:
        assert result.verdict(JUNIPER, inst.id) is Verdict.UNKNOWN  # never a silent deny
        for other in before.subjects:
            if other != JUNIPER:
                assert result.verdict(other, inst.id) is before.verdict(other, inst.id)


def test_an_unsupported_iam_resource_makes_everything_uncertain(demo: AccountData) -> None:
    changes = changes_from_plan(plan("unsupported-resource.json"), demo)
    assert changes == (Unmodelled("ibm_iam_policy_assignment.console_everywhere",
                                  "resource type ibm_iam_policy_assignment is not modelled by "
                                  "iamcheck"),)
    after, unmodelled = apply(demo, changes)
    report_before = run_audit(demo, REQ, Selection(), AT)
    report_after = run_audit(after, REQ, Selection(), AT)
    assert report_after.result.counts()[Verdict.ALLOW] == 0
    diff = diff_reports(report_before, report_after, [u.name for u in unmodelled])
    assert diff.of_kind("gained", "lost") == ()
    assert diff.of_kind("maybe_lost") and diff.of_kind("maybe_gained")
    assert diff.unmodelled == ("ibm_iam_policy_assignment.console_everywhere",)
    assert all(c.kind == "gap" for t in diff.of_kind("maybe_lost") for c in t.causes)


def test_new_group_rule_service_and_profile_policies(demo: AccountData) -> None:
    changes = changes_from_plan(plan("new-group-rule-service-and-profile-policies.json"), demo)
    names = [getattr(c, "source", getattr(c, "name", "")) for c in changes]
    assert "data.ibm_iam_access_group.existing" not in names  # reads change nothing
    # The rule's group exists only after apply; the plan's configuration says which it is.
    from iamcheck.change.changes import PutRule

    rule = next(c for c in changes if isinstance(c, PutRule))
    assert rule.group_id == "planned:ibm_iam_access_group.responders"
    assert rule.rule.realm_name == "https://idp.example.com/saml"
    after, unmodelled = apply(demo, changes)
    assert unmodelled == ()
    group = next(g for g in after.groups if g.id == rule.group_id)
    assert group.name == "incident-responders" and group.rules == (rule.rule,)
    # Without the configuration the reference is unknown: named, not guessed.
    bare = plan("new-group-rule-service-and-profile-policies.json")
    del bare["configuration"]
    unknown = [c for c in changes_from_plan(bare, demo) if isinstance(c, Unmodelled)]
    assert [u.name for u in unknown] == ["ibm_iam_access_group_dynamic_rule.responders"]
    puts = {c.source: c.policy for c in changes if isinstance(c, PutPolicy)}
    ci = puts["ibm_iam_service_policy.ci"]
    assert ci.id == "7b3e0099-2f1a-4c6d-9e8b-5a0c7d2e0099"
    assert ci.subject_value("iam_id") == CI
    assert ci.role_ids == ("crn:v1:bluemix:public:iam::::role:Editor",
                           "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin")
    profile = puts["ibm_iam_trusted_profile_policy.break_glass"]
    assert profile.id == "planned:ibm_iam_trusted_profile_policy.break_glass"
    assert ("instanceId", "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a301") in {
        (a.key, a.value) for a in profile.resource}


def test_plan_roles_and_users_that_do_not_exist_are_unmodelled(demo: AccountData) -> None:
    base = plan("oncall-member-added-console-policy-deleted.json")
    doc = json.loads(json.dumps(base))
    doc["resource_changes"][1]["change"]["actions"] = ["create"]
    doc["resource_changes"][1]["change"]["after"] = dict(
        doc["resource_changes"][1]["change"]["before"], roles=["Console Wizard"])
    doc["resource_changes"][1]["change"]["before"] = None
    doc["resource_changes"][0]["change"]["after"]["ibm_ids"] = ["nobody@example.com"]
    changes = changes_from_plan(doc, demo)
    reasons = {c.name: c.reason for c in changes if isinstance(c, Unmodelled)}
    assert "role 'Console Wizard'" in reasons["ibm_iam_user_policy.ines_console"]
    assert "nobody@example.com" in reasons["ibm_iam_access_group_members.on_call"]
    members = next(c for c in changes if isinstance(c, Unmodelled)
                   and c.name.endswith("on_call"))
    assert members.subjects == frozenset({ONCALL})


@pytest.mark.parametrize("text", ["", "[]", '{"resource_changes": 3}', "[" * 100000])
def test_not_a_plan_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(text)
    assert "\n" not in str(err.value)


def test_with_policy_bodies_are_the_same_changes(demo: AccountData) -> None:
    ines = next(p for p in demo.policies if p.id == INES_POLICY)
    juniper_body = policy_json(ines)
    juniper_body["subject"]["attributes"][0]["value"] = JUNIPER
    text = json.dumps({"policies": [juniper_body, {"subject": {}}]})
    changes = changes_from_policy_bodies(load_policy_bodies(text), "policy.json")
    assert isinstance(changes[0], PutPolicy) and isinstance(changes[1], Unmodelled)
    assert changes[1].name == "policy.json[1]"
    after, unmodelled = apply(demo, changes[:1])
    assert unmodelled == ()
    result = decide_account(after, REQ, AT)
    payments = [i.id for i in demo.instances
                if i.resource_group_id == "5b0e7a1c3d2f4e6a8b9c0d1e2f3a4b03"]
    assert all(result.verdict(JUNIPER, i) is Verdict.ALLOW for i in payments)
    diff = diff_reports(run_audit(demo, REQ, Selection(), AT),
                        run_audit(after, REQ, Selection(), AT))
    assert {(t.subject, t.instance_id) for t in diff.transitions} == {
        (JUNIPER, i) for i in payments if result.verdict(JUNIPER, i) is Verdict.ALLOW
        and decide_account(demo, REQ, AT).verdict(JUNIPER, i) is not Verdict.ALLOW}
    assert all(t.kind == "gained" for t in diff.transitions)
    assert all(t.causes == (Cause("policy_added", "planned:policy.json[0]",
                                  "policy planned:policy.json[0] (Operator, Console "
                                  "Administrator, directly)"),) for t in diff.transitions)


def _rc(kind: str, actions: list[str], before: Any, after: Any,
        unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"address": f"{kind}.x", "mode": "managed", "type": kind, "name": "x",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": unknown or {}}}


def test_replace_update_and_delete_of_groups_members_and_rules(demo: AccountData) -> None:
    from iamcheck.change.changes import PutGroup, PutRule, RemoveGroup, RemoveRule

    before = plan("oncall-member-added-console-policy-deleted.json")["resource_changes"][1][
        "change"]["before"]
    replaced = _rc("ibm_iam_user_policy", ["delete", "create"], before,
                   dict(before, id=None, roles=["Operator"]), {"id": True})
    rule = {"access_group_id": ONCALL, "name": "pager", "expiration": 4,
            "identity_provider": "https://idp.example.com/saml", "rule_id": "ClaimRule-9",
            "id": f"{ONCALL}/ClaimRule-9",
            "conditions": [{"claim": "groups", "operator": "CONTAINS", "value": "pager"}]}
    doc = {"resource_changes": [
        replaced,
        _rc("ibm_iam_access_group_dynamic_rule", ["create"], None, rule),
        _rc("ibm_iam_access_group_dynamic_rule", ["delete"], rule, None),
        _rc("ibm_iam_access_group", ["update"], {"id": ONCALL, "name": "on-call"},
            {"id": ONCALL, "name": "pager", "description": "renamed"}),
        _rc("ibm_iam_access_group", ["delete"], {"id": ONCALL, "name": "pager"}, None),
    ]}
    changes = changes_from_plan(doc, demo)
    assert isinstance(changes[0], RemovePolicy) and changes[0].policy_id == INES_POLICY
    assert isinstance(changes[1], PutPolicy)
    assert changes[1].policy.id == "planned:ibm_iam_user_policy.x"
    assert changes[1].policy.role_ids == ("crn:v1:bluemix:public:iam::::role:Operator",)
    assert changes[1].policy.subject_value("iam_id") == INES  # the email, resolved
    assert isinstance(changes[2], PutRule) and changes[2].rule.id == "ClaimRule-9"
    assert changes[3] == RemoveRule(ONCALL, "ClaimRule-9", "ibm_iam_access_group_dynamic_rule.x")
    assert isinstance(changes[4], PutGroup) and changes[4].group.name == "pager"
    assert changes[5] == RemoveGroup(ONCALL, "ibm_iam_access_group.x")

    after, unmodelled = apply(demo, changes[:5])
    assert unmodelled == ()
    group = next(g for g in after.groups if g.id == ONCALL)
    original = next(g for g in demo.groups if g.id == ONCALL)
    assert group.name == "pager" and group.rules == original.rules  # added, then removed
    gone, _ = apply(demo, changes)
    assert ONCALL not in {g.id for g in gone.groups}
    assert not any(m.group_id == ONCALL for m in gone.memberships)
    assert not any(p.subject_value("access_group_id") == ONCALL for p in gone.policies)
    # With on-call gone, its member keeps no certain access. Since revision 2 (P3) anyone may
    # join a group with a dynamic rule at a federated login: where such a group's policy
    # reaches, the verdict is unknown (never allow), through that policy only; elsewhere deny.
    result = decide_account(gone, REQ, AT)
    dynamic = {p.id for p in gone.policies
               if p.subject_value("access_group_id") in {g.id for g in gone.groups if g.rules}}
    verdicts = {i.name: result.verdict("IBMid-6650001002", i.id) for i in demo.instances}
    assert Verdict.ALLOW not in verdicts.values()
    for inst in demo.instances:
        decision = result.decision("IBMid-6650001002", inst.id)
        if verdicts[inst.name] is Verdict.UNKNOWN:
            assert {u.policy_id for u in decision.uncertain} <= dynamic, inst.name
            assert all(u.rule == "P3" for u in decision.uncertain), inst.name
        else:
            assert verdicts[inst.name] is Verdict.DENY, inst.name
    assert {n for n, v in verdicts.items() if v is Verdict.UNKNOWN} == {
        "pay-staging-01", "data-etl-01", "plat-bastion-01", "plat-vault-tdx"}


def test_attributes_it_does_not_understand_are_named(demo: AccountData) -> None:
    before = plan("oncall-member-added-console-policy-deleted.json")["resource_changes"][1][
        "change"]["before"]
    odd = dict(before, future_attribute="x")
    account_wide = dict(before, account_management=True, resources=[])
    changes = changes_from_plan({"resource_changes": [
        _rc("ibm_iam_user_policy", ["update"], before, odd),
        _rc("ibm_iam_user_policy", ["update"], before, account_wide),
    ]}, demo)
    assert [type(c) for c in changes] == [Unmodelled, Unmodelled]
    assert "future_attribute" in changes[0].reason
    assert "account_management" in changes[1].reason
    assert changes[0].subjects == frozenset({INES})


def test_review_changes_is_the_same_diff(demo: AccountData) -> None:
    from iamcheck.change import review_changes

    changes = changes_from_plan(plan("oncall-member-added-console-policy-deleted.json"), demo)
    diff = review_changes(demo, REQ, changes, AT)
    after, _ = apply(demo, changes)
    assert diff == diff_reports(run_audit(demo, REQ, Selection(), AT),
                                run_audit(after, REQ, Selection(), AT))
    unsupported = changes_from_plan(plan("unsupported-resource.json"), demo)
    assert review_changes(demo, REQ, unsupported, AT).unmodelled == (
        "ibm_iam_policy_assignment.console_everywhere: resource type "
        "ibm_iam_policy_assignment is not modelled by iamcheck",)
