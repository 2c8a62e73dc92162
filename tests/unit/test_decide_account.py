"""The whole-account evaluation: its questions, and agreement with decide() on a hand account."""

from __future__ import annotations

import pytest

from iamcheck.decide import AccountResult, Verdict, decide, decide_account
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, Attribute, Gap, Membership, ServiceId
from tests.unit.decide_builders import (
    ADMIN,
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
    account,
    fed_rule,
    full,
    group,
    instance,
    policy,
    user,
)

CAROL, DAVE = "IBMid-1000000003", "IBMid-1000000004"
INSTANCES = [
    instance("0717_a-1", rg="rg-a", region="us-south", tags=["env:prod"]),
    instance("0717_a-2", rg="rg-a", region="eu-de"),
    instance("0717_b-1", rg="rg-b", region="us-south", tags=["env:prod"]),
    instance("0717_b-2", rg="rg-b", region="us-south", vpc="vpc-2"),
]
ACCT = account(
    users=[user(), user(BOB), user(CAROL, realm=FED_REALM), user(DAVE, state="SUSPENDED")],
    service_ids=[ServiceId(ROBOT, "robot")],
    groups=[group(), group("AccessGroupId-fed", "fed", rules=[fed_rule()])],
    memberships=[Membership(OPS, BOB), Membership(OPS, DAVE)],
    policies=[
        full("rg-a", ALICE, resource=[("serviceName", "is"), ("resourceGroupId", "rg-a")]),
        policy("ops-op", OPS, OPERATOR),
        policy("ops-con", OPS, CONSOLE, tags=[("env", "prod")]),
        full("fed", "AccessGroupId-fed", resource=[("serviceName", "is"), ("region", "eu-de")]),
        policy("carol-op", CAROL, ADMIN, resource=[("serviceType", "service")]),
        full("robot", ROBOT, resource=[("serviceName", "is"),
                                       Attribute("instanceId", "stringMatch", "0717_b-*")]),
    ],
    instances=INSTANCES,
    gaps=[Gap("access tags of one instance", "HTTP 500", instances=frozenset({"0717_b-2"}))],
)


@pytest.fixture(scope="module")
def result() -> AccountResult:
    return decide_account(ACCT, REQ, AT)


def test_every_pair_matches_decide(result: AccountResult) -> None:
    for subject in result.subjects:
        for inst in ACCT.instances:
            assert result.verdict(subject, inst.id) is decide(ACCT, REQ, subject, inst, AT).verdict


def test_allowed_and_scopes(result: AccountResult) -> None:
    assert result.allowed(ALICE) == ("0717_a-1", "0717_a-2")
    assert [(s.kind, s.value) for s in result.scopes(ALICE)] == [("resource_group", "rg-a")]
    assert result.allowed(BOB) == ("0717_a-1", "0717_b-1")
    assert [(s.kind, s.value) for s in result.scopes(BOB)] == [("access_tag", "env:prod")]
    assert result.allowed(ROBOT) == ("0717_b-1",)  # 0717_b-2 has a gap: unknown
    assert result.unknown(ROBOT) == ("0717_b-2",)
    assert result.allowed(DAVE) == () and result.unknown(DAVE) == ()  # V4


def test_holders_and_unknowns(result: AccountResult) -> None:
    assert result.holders("0717_a-1") == (ALICE, BOB)
    # P3 (rev 2): the dynamic-rule group on eu-de may admit any user not in it, whatever the
    # realm User Management reports (Bob is IBMid); Alice holds it already, Dave is SUSPENDED
    assert result.maybe_holders("0717_a-2") == (BOB, CAROL)
    assert result.verdict(CAROL, "0717_a-1") is Verdict.DENY


def test_one_action_short(result: AccountResult) -> None:
    assert result.one_action_short("0717_a-2") == ((BOB, CONSOLE_ACTION), (CAROL, CONSOLE_ACTION))
    assert result.short_of(BOB) == {CONSOLE_ACTION: ("0717_a-2", "0717_b-2")}
    assert result.short_of(DAVE) == {}
    assert result.short_of(ALICE) == {}


def test_counts_and_pairs(result: AccountResult) -> None:
    counts = result.counts()
    assert sum(counts.values()) == len(result.subjects) * len(INSTANCES)
    assert counts[Verdict.ALLOW] == len(list(result.pairs(Verdict.ALLOW)))
    assert set(result.pairs(Verdict.UNKNOWN)) == {
        (s, i.id) for s in result.subjects for i in INSTANCES
        if result.verdict(s, i.id) is Verdict.UNKNOWN}


def test_full_decision_on_demand(result: AccountResult) -> None:
    d = result.decision(BOB, "0717_a-2")
    assert d == decide(ACCT, REQ, BOB, INSTANCES[1], AT)
    assert d.missing == (CONSOLE_ACTION,)


def test_subset_of_subjects_and_instances() -> None:
    part = decide_account(ACCT, REQ, AT, subjects=[BOB], instances=["0717_b-1", INSTANCES[0]])
    assert part.subjects == (BOB,)
    assert [i.id for i in part.instances] == ["0717_b-1", "0717_a-1"]
    assert part.scopes(BOB)[0].kind == "all"
    with pytest.raises(KeyError):
        part.verdict(ALICE, "0717_b-1")
    with pytest.raises(KeyError):
        decide_account(ACCT, REQ, AT, instances=["no-such-instance"])


def test_public_access_reaches_subjects_outside_the_user_list() -> None:
    acct = account(policies=[full("pub", PUBLIC_ACCESS_GROUP_ID)], instances=INSTANCES[:1])
    result = decide_account(acct, REQ, AT, subjects=["IBMid-stranger"])
    assert result.holders("0717_a-1") == ()  # P3 (rev 2): public access on `is` is uncertain
    assert result.maybe_holders("0717_a-1") == ("IBMid-stranger",)
