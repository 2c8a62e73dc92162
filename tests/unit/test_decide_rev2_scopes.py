"""S3-S5 (rev 2) on `*`, instance ids as IBM returns them, P4 at an exclusive start, and the
audit's attribution of a scope to every policy that covers part of it."""

from __future__ import annotations

import pytest

from iamcheck.decide import NearMissKind, Verdict, decide, decide_account
from iamcheck.decide.conditions import NOT_YET_ACTIVE, explain
from iamcheck.model import Attribute, ConditionGroup
from tests.unit.decide_builders import (
    ALICE,
    AT,
    CONSOLE,
    OPERATOR,
    PUBLIC_ACCESS_GROUP_ID,
    REQ,
    account,
    full,
    instance,
    one_user,
    policy,
    public_group,
    user,
    verdict_of,
)
from tests.unit.test_decide_conditions import DT, at, cond


def test_s4_a_star_inside_string_equals_any_of_is_a_literal() -> None:
    star = Attribute("instanceId", "stringEqualsAnyOf", ("*",))
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), star]))
    assert verdict_of(acct) is Verdict.DENY
    assert decide_account(acct, REQ, AT).verdict(ALICE, instance().id) is Verdict.DENY
    literal = one_user(full("p1", ALICE, resource=[("serviceName", "is"), star]),
                       inst=instance("*"))
    assert verdict_of(literal) is Verdict.ALLOW


@pytest.mark.parametrize("key", ["instanceId", "resourceGroupId", "region"])
def test_s3_s4_s5_string_equals_star_is_every_value(key: str) -> None:
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), (key, "*")]))
    assert verdict_of(acct) is Verdict.ALLOW


def test_s4_star_under_match_operators_is_a_pattern() -> None:
    for attr in (Attribute("instanceId", "stringMatch", "*"),
                 Attribute("instanceId", "stringMatchAnyOf", ("nope", "0717_*"))):
        assert verdict_of(one_user(full("p1", ALICE, resource=[("serviceName", "is"), attr]))) \
            is Verdict.ALLOW


def test_any_instance_id_ibm_can_return_is_accepted() -> None:
    for iid in ("0717_ABC.def-1", "r006-1.2.3", "02C7_Upper"):
        acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), ("instanceId", iid)]),
                        inst=instance(iid))
        assert verdict_of(acct) is Verdict.ALLOW
        assert decide_account(acct, REQ, AT).verdict(ALICE, iid) is Verdict.ALLOW


def test_p4_once_rule_exactly_at_its_exclusive_start_is_not_yet_active() -> None:
    start = "2026-03-04T12:00:00+00:00"  # == AT
    rule = ConditionGroup("and", (cond(DT, "dateTimeGreaterThan", start),
                                  cond(DT, "dateTimeLessThanOrEquals", "2026-04-01T00:00:00Z")))
    assert explain(rule, at(start)).kind == NOT_YET_ACTIVE
    d = decide(one_user(full("p1", ALICE, rule=rule)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert d.near_misses[0].kind is NearMissKind.NOT_YET_ACTIVE


def test_the_scope_attribution_names_every_policy_covering_part_of_it() -> None:
    # Operate from one policy on rg-a; console from two policies, each on half of rg-a.
    insts = [instance("0717_a-1"), instance("0717_a-2")]
    def on(key: str, value: str) -> list[tuple[str, str]]:
        return [("serviceName", "is"), (key, value)]

    acct = account(users=[user()], instances=insts, policies=[
        policy("op", ALICE, OPERATOR, resource=on("resourceGroupId", "rg-a")),
        policy("con-1", ALICE, CONSOLE, resource=on("instanceId", "0717_a-1")),
        policy("con-2", ALICE, CONSOLE, resource=on("instanceId", "0717_a-2")),
    ])
    result = decide_account(acct, REQ, AT)
    (scope,) = result.scopes(ALICE)
    assert scope.instance_ids == ("0717_a-1", "0717_a-2")
    named = {g.policy_id for g in result.scope_grants(ALICE, scope)}
    assert named == {"op", "con-1", "con-2"}
    assert {g.policy_id for g in result.grants(ALICE, "0717_a-1")} == {"op", "con-1"}


def test_a_public_access_near_miss_names_public_access_not_a_dynamic_rule() -> None:
    """P3 rev 2: what makes a Public Access path doubtful is IBM's documentation, not a rule."""
    elsewhere = full("p1", PUBLIC_ACCESS_GROUP_ID,
                     resource=[("serviceName", "is"), ("instanceId", "0717_other")])
    acct = account(users=[user()], groups=[public_group()], policies=[elsewhere],
                   instances=[instance()])
    decision = decide(acct, REQ, ALICE, instance(), AT)
    assert decision.verdict is Verdict.DENY
    detail = next(n.detail for n in decision.near_misses if n.policy_id == "p1")
    assert "Cloud Object Storage only (P3)" in detail
    assert "dynamic rule" not in detail
