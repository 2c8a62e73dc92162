"""R1-R4: what console access is, and how roles become actions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from iamcheck.decide import NearMissKind, UncertainKind, Verdict, decide
from iamcheck.model import Membership, Role
from tests.unit.decide_builders import (
    ADMIN,
    ALICE,
    AT,
    CONSOLE,
    CONSOLE_ACTION,
    CONSOLE_IAM,
    CUSTOM,
    EDITOR,
    IP_SPOOF,
    MANAGER,
    OPERATE,
    OPERATOR,
    OPS,
    READER,
    REQ,
    ROLES,
    VIEWER,
    WRITER,
    account,
    group,
    instance,
    one_user,
    policy,
    user,
    verdict_of,
)


def test_r1_both_actions_are_needed() -> None:
    only_operate = one_user(policy("p1", ALICE, OPERATOR))
    only_console = one_user(policy("p1", ALICE, CONSOLE))
    both = one_user(policy("p1", ALICE, OPERATOR, CONSOLE))
    d = decide(only_operate, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert d.missing == (CONSOLE_ACTION,)
    assert decide(only_console, REQ, ALICE, instance(), AT).missing == (OPERATE,)
    assert verdict_of(both) is Verdict.ALLOW


@pytest.mark.parametrize("role", [OPERATOR, EDITOR, ADMIN])
def test_r2_operator_editor_administrator_carry_operate(role: str) -> None:
    assert verdict_of(one_user(policy("p1", ALICE, role, CONSOLE))) is Verdict.ALLOW


@pytest.mark.parametrize("role", [MANAGER, WRITER, READER, VIEWER, IP_SPOOF])
def test_r2_other_roles_carry_neither_action(role: str) -> None:
    d = decide(one_user(policy("p1", ALICE, role)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert d.missing == REQ.actions
    lacks = [n for n in d.near_misses if n.kind is NearMissKind.ROLE_LACKS_ACTION]
    assert lacks and lacks[0].rule == "R2"


def test_r2_roles_are_bundles_read_from_the_account_not_names() -> None:
    # An Operator whose bundle (as /v2/roles lists it) lacks operate grants nothing.
    hollow = tuple(replace(r, actions=frozenset()) if r.crn == OPERATOR else r for r in ROLES)
    acct = one_user(policy("p1", ALICE, OPERATOR, CONSOLE), roles=hollow)
    assert decide(acct, REQ, ALICE, instance(), AT).missing == (OPERATE,)


def test_r2_a_custom_role_listing_the_action_counts() -> None:
    assert verdict_of(one_user(policy("p1", ALICE, OPERATOR, CUSTOM))) is Verdict.ALLOW
    both = Role(CUSTOM, "Console Operator", "custom", frozenset(REQ.actions), service_name="is")
    acct = one_user(policy("p1", ALICE, CUSTOM), roles=[*ROLES[:-1], both])
    assert verdict_of(acct) is Verdict.ALLOW


def test_r2_a_custom_role_of_another_service_counts_for_nothing() -> None:
    foreign = Role(CUSTOM, "Console Only", "custom", frozenset({CONSOLE_ACTION}),
                   service_name="cloud-object-storage")
    acct = one_user(policy("p1", ALICE, OPERATOR, CUSTOM), roles=[*ROLES[:-1], foreign])
    assert verdict_of(acct) is Verdict.DENY


def test_r3_actions_may_come_from_different_policies_and_subjects() -> None:
    acct = account(users=[user()], groups=[group()], memberships=[Membership(OPS, ALICE)],
                   policies=[policy("own", ALICE, OPERATOR), policy("grp", OPS, CONSOLE)],
                   instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert {(g.action, g.policy_id, g.via.kind) for g in d.grants} == {
        (OPERATE, "own", "direct"), (CONSOLE_ACTION, "grp", "group")}
    assert any(r.rule == "R3" for r in d.reasons)


def test_r4_console_administrator_recognised_whatever_the_service_segment() -> None:
    acct = one_user(policy("p1", ALICE, OPERATOR, CONSOLE_IAM))  # roles list the is:: CRN
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert any(r.rule == "R4" and CONSOLE_IAM in r.text for r in d.reasons)
    grant = next(g for g in d.grants if g.action == CONSOLE_ACTION)
    assert (grant.role_crn, grant.role_name) == (CONSOLE_IAM, "Console Administrator")


def test_r4_suffix_rule_needs_the_exact_role_name() -> None:
    # Not Console Administrator by R4; and no catalogue lists them, so R2 (rev 2) makes the
    # policy uncertain rather than a silent deny.
    for lookalike in ("crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdminX",
                      "crn:v1:bluemix:public:is::::role:VirtualServerConsoleAdmin"):
        d = decide(one_user(policy("p1", ALICE, OPERATOR, lookalike)), REQ, ALICE, instance(), AT)
        assert d.verdict is Verdict.UNKNOWN
        assert [(p.kind, p.rule) for p in d.uncertain] == [(UncertainKind.ROLE, "R2")]
        assert lookalike in d.uncertain[0].detail
