"""P1-P3: which policies count, and who a subject is through groups."""

from __future__ import annotations

from iamcheck.decide import NearMissKind, UncertainKind, Verdict, decide
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, Attribute, Membership, Policy, ServiceId
from tests.unit.decide_builders import (
    ALICE,
    AT,
    BOB,
    CONSOLE,
    CONSOLE_ACTION,
    FED_REALM,
    OPERATE,
    OPERATOR,
    OPS,
    REQ,
    ROBOT,
    account,
    fed_rule,
    full,
    group,
    instance,
    one_user,
    policy,
    public_group,
    user,
    verdict_of,
)


def test_p1_a_v1_placeholder_for_a_v2_policy_grants_nothing() -> None:
    # /v1 lists a placeholder for each v2 policy; only the v2 object counts.
    placeholder = Policy("p1", "access", "active",
                         (Attribute("iam_id", "stringEquals", "unsupported version"),),
                         (Attribute("serviceName", "stringEquals", "is"),),
                         ("crn:v1:bluemix:public:iam::::role:UnsupportedVersion",))
    assert verdict_of(one_user(placeholder)) is Verdict.DENY


def test_p1_authorization_policies_are_not_access() -> None:
    s2s = full("p1", ALICE)
    s2s = Policy(s2s.id, "authorization", "active", s2s.subject, s2s.resource, s2s.role_ids)
    assert verdict_of(one_user(s2s)) is Verdict.DENY


def test_p2_deleted_policy_does_not_grant_and_is_a_near_miss() -> None:
    d = decide(one_user(full("p1", ALICE, state="deleted")), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    miss = d.near_misses[0]
    assert (miss.kind, miss.policy_id, miss.rule) == (NearMissKind.DELETED, "p1", "P2")
    assert miss.actions == REQ.actions


def test_p3_static_member_of_a_group_holds_its_policies() -> None:
    acct = account(users=[user()], groups=[group()], memberships=[Membership(OPS, ALICE)],
                   policies=[full("p1", OPS)], instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert d.grants[0].via.group_name == "ops"
    assert verdict_of(acct, BOB) is Verdict.DENY  # not a member


def test_p3_dynamic_membership_reported_as_current_is_certain() -> None:
    acct = account(users=[user(realm=FED_REALM)], groups=[group(rules=[fed_rule()])],
                   memberships=[Membership(OPS, ALICE, how="dynamic")],
                   policies=[full("p1", OPS)], instances=[instance()])
    assert verdict_of(acct) is Verdict.ALLOW


def test_p3_group_a_dynamic_rule_could_admit_the_user_is_uncertain() -> None:
    acct = account(users=[user(realm=FED_REALM)], groups=[group(rules=[fed_rule()])],
                   policies=[full("p1", OPS)], instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    path = d.uncertain[0]
    assert (path.kind, path.rule, path.policy_id) == (UncertainKind.DYNAMIC_GROUP, "P3", "p1")
    assert "operators from the IdP" in path.detail
    assert [r.rule for r in d.reasons][:2] == ["V2", "P3"]


def test_p3_a_rule_may_admit_an_ibmid_user_too() -> None:
    # rev 2: User Management's realm (IBMid/SL) says nothing about the IdP a user signs in with
    acct = account(users=[user(realm="IBMid")], groups=[group(rules=[fed_rule()])],
                   policies=[full("p1", OPS)], instances=[instance()])
    assert verdict_of(acct) is Verdict.UNKNOWN


def test_p3_public_access_on_vpc_is_uncertain_for_everyone() -> None:
    # rev 2: IBM documents public access for Cloud Object Storage only
    acct = account(users=[user(), user(BOB)], service_ids=[ServiceId(ROBOT, "robot")],
                   groups=[public_group()], policies=[full("p1", PUBLIC_ACCESS_GROUP_ID)],
                   instances=[instance()])
    for subject in (ALICE, BOB, ROBOT, "IBMid-not-in-the-account"):
        d = decide(acct, REQ, subject, instance(), AT)
        assert d.verdict is Verdict.UNKNOWN
        assert [(p.kind, p.rule) for p in d.uncertain] == [(UncertainKind.PUBLIC_ACCESS, "P3")]
        assert any(r.rule == "P3" and "everyone" in r.text for r in d.reasons)


def test_p3_service_ids_are_subjects_and_group_members_too() -> None:
    acct = account(service_ids=[ServiceId(ROBOT, "robot")], groups=[group()],
                   memberships=[Membership(OPS, ROBOT)],
                   policies=[policy("p1", ROBOT, OPERATOR), policy("p2", OPS, CONSOLE)],
                   instances=[instance()])
    assert verdict_of(acct, ROBOT) is Verdict.ALLOW


def test_p3_an_uncertain_group_cannot_cover_what_nothing_else_supplies() -> None:
    # The dynamic group could give console; nothing at all gives operate: deny, not unknown.
    acct = account(users=[user(realm=FED_REALM)], groups=[group(rules=[fed_rule()])],
                   policies=[policy("p1", OPS, CONSOLE)], instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert set(d.missing) == {OPERATE, CONSOLE_ACTION}
    assert any(n.kind is NearMissKind.UNCERTAIN_PATH for n in d.near_misses)
