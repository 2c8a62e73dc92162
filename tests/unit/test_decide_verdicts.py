"""V1-V5: allow, unknown, deny with near misses, user state, partial data."""

from __future__ import annotations

import json

import pytest

from iamcheck.decide import NearMissKind, UncertainKind, Verdict, decide
from iamcheck.model import Gap, Membership, ServiceId
from tests.unit.decide_builders import (
    ALICE,
    AT,
    BOB,
    CONSOLE,
    CONSOLE_ACTION,
    FED_REALM,
    OPERATOR,
    OPS,
    REQ,
    ROBOT,
    VIEWER,
    account,
    fed_rule,
    full,
    group,
    instance,
    one_user,
    policy,
    user,
    verdict_of,
)
from tests.unit.test_decide_conditions import once

PAST = once("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z")


def test_v1_allow_needs_every_action_certain() -> None:
    d = decide(one_user(full("p1", ALICE)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW and d.allowed
    assert d.missing == () and d.near_misses == ()
    assert d.reasons[0].rule == "V1"
    assert {g.action for g in d.grants} == set(REQ.actions)


def test_v2_unknown_when_an_uncertain_path_covers_every_missing_action() -> None:
    acct = account(users=[user(realm=FED_REALM)], groups=[group(rules=[fed_rule()])],
                   policies=[policy("own", ALICE, OPERATOR), policy("dyn", OPS, CONSOLE)],
                   instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert d.missing == (CONSOLE_ACTION,)
    assert d.uncertain[0].actions == (CONSOLE_ACTION,)


def test_v3_deny_lists_missing_actions_and_ranks_near_misses() -> None:
    acct = one_user(
        policy("lacks", ALICE, VIEWER, resource=[("serviceName", "is")]),
        policy("deleted", ALICE, CONSOLE, state="deleted"),
        policy("expired", ALICE, CONSOLE, rule=PAST),
        policy("vpc", ALICE, CONSOLE, resource=[("serviceName", "is"), ("vpcId", "vpc-1")]),
        policy("scope", ALICE, OPERATOR, CONSOLE,
               resource=[("serviceName", "is"), ("resourceGroupId", "rg-z")]),
        policy("far", ALICE, CONSOLE, state="deleted",
               resource=[("serviceName", "is"), ("region", "eu-de")]),
    )
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert d.missing == REQ.actions
    kinds = [(n.kind, n.policy_id) for n in d.near_misses]
    # issue 12: the same instance before other scopes (expired, deleted before wrong scope)
    assert kinds == [(NearMissKind.EXPIRED, "expired"), (NearMissKind.DELETED, "deleted"),
                     (NearMissKind.WRONG_SCOPE, "scope"), (NearMissKind.VPC_SCOPE, "vpc"),
                     (NearMissKind.ROLE_LACKS_ACTION, "lacks"),
                     (NearMissKind.WRONG_SCOPE, "far")]  # two defects: the farthest
    far = d.near_misses[-1]
    assert far.defects == 2 and "eu-de" in far.detail and "deleted" in far.detail
    # the nearest miss per missing action: Operator only from "scope", Console from "expired"
    assert [r.rule for r in d.reasons] == ["V3", "S3", "P4"]


@pytest.mark.parametrize("state", ["SUSPENDED", "PENDING", "VPN_ONLY", "INVALID", "PROCESSING"])
def test_v4_a_user_who_is_not_active_is_denied_whatever_the_policies(state: str) -> None:
    acct = account(users=[user(state=state)], policies=[full("p1", ALICE)],
                   instances=[instance()], gaps=[Gap("groups", "HTTP 500")])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert [r.rule for r in d.reasons] == ["V4"] and state in d.reasons[0].text
    assert d.missing == () and d.near_misses == ()  # the state decides, not the policies
    bare = decide(account(users=[user(state=state)], instances=[instance()]), REQ, ALICE,
                  instance(), AT)
    assert bare.verdict is Verdict.DENY and "would lack" in bare.reasons[0].text


def test_v4_service_ids_have_no_state() -> None:
    acct = account(service_ids=[ServiceId(ROBOT, "robot")], policies=[full("p1", ROBOT)],
                   instances=[instance()])
    assert verdict_of(acct, ROBOT) is Verdict.ALLOW


def test_v5_a_gap_on_the_subject_makes_allow_unknown() -> None:
    gap = Gap("policies of user", "HTTP 403", subjects=frozenset({ALICE}))
    acct = account(users=[user(), user(BOB)], policies=[full("p1", ALICE), full("p2", BOB)],
                   instances=[instance()], gaps=[gap])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert d.uncertain[-1].kind is UncertainKind.GAP
    assert d.reasons[0].rule == "V5" and "HTTP 403" in d.reasons[0].text
    assert verdict_of(acct, BOB) is Verdict.ALLOW  # the gap does not touch Bob


def test_v5_a_gap_on_a_group_of_the_subject_or_on_the_instance() -> None:
    on_group = Gap("policies of group", "timeout", subjects=frozenset({OPS}))
    on_other = Gap("tags", "HTTP 500", instances=frozenset({"0717_other"}))
    on_inst = Gap("tags", "HTTP 500", instances=frozenset({"0717_i-1"}))

    def with_gap(gap: Gap) -> Verdict:
        return verdict_of(account(users=[user()], groups=[group()],
                                  memberships=[Membership(OPS, ALICE)],
                                  policies=[full("p1", ALICE)], instances=[instance()],
                                  gaps=[gap]))

    assert with_gap(on_group) is Verdict.UNKNOWN
    assert with_gap(on_other) is Verdict.ALLOW
    assert with_gap(on_inst) is Verdict.UNKNOWN


def test_v5_a_gap_turns_deny_into_unknown_too() -> None:
    acct = account(users=[user()], instances=[instance()], gaps=[Gap("access groups", "429")])
    assert verdict_of(acct) is Verdict.UNKNOWN


def test_decision_renders_as_json() -> None:
    d = decide(one_user(policy("p1", ALICE, OPERATOR, rule=PAST)), REQ, ALICE, instance(), AT)
    data = json.loads(json.dumps(d.as_dict()))
    assert data["verdict"] == "deny"
    assert data["near_misses"][0]["kind"] == "expired"
    assert data["near_misses"][0]["when"].startswith("2020-02-01")
