"""V4 (rev 2): which user states are decided by policies, which deny, which are unknown."""

from __future__ import annotations

import pytest

from iamcheck.decide import Verdict, decide, decide_account
from tests.unit.decide_builders import (
    ALICE,
    AT,
    CONSOLE_ACTION,
    OPERATE,
    OPERATOR,
    REQ,
    account,
    full,
    instance,
    policy,
    user,
)


def one(state: str, *policies: object) -> Verdict:
    acct = account(users=[user(state=state)], policies=policies,  # type: ignore[arg-type]
                   instances=[instance()])
    verdict = decide(acct, REQ, ALICE, instance(), AT).verdict
    assert decide_account(acct, REQ, AT).verdict(ALICE, instance().id) is verdict
    return verdict


@pytest.mark.parametrize("state", ["ACTIVE", "DISABLED_CLASSIC_INFRASTRUCTURE"])
def test_states_decided_by_policies(state: str) -> None:
    assert one(state, full("p1", ALICE)) is Verdict.ALLOW
    assert one(state) is Verdict.DENY
    acct = account(users=[user(state=state)], policies=[full("p1", ALICE)],
                   instances=[instance()])
    noted = [r for r in decide(acct, REQ, ALICE, instance(), AT).reasons if r.rule == "V4"]
    assert len(noted) == (state != "ACTIVE")


@pytest.mark.parametrize("state", ["PENDING", "PROCESSING", "VPN_ONLY", "SUSPENDED", "INVALID"])
def test_states_that_deny_name_the_state_and_fill_missing(state: str) -> None:
    assert one(state, full("p1", ALICE)) is Verdict.DENY
    acct = account(users=[user(state=state)], policies=[policy("p1", ALICE, OPERATOR)],
                   instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY and d.reasons[0].rule == "V4"
    assert state in d.reasons[0].text
    assert d.missing == (CONSOLE_ACTION,)  # V3: what the policies would still lack
    assert OPERATE not in d.missing


def test_a_state_iamcheck_does_not_know_is_never_allow_nor_a_deny_because_of_it() -> None:
    assert one("ON_VACATION", full("p1", ALICE)) is Verdict.UNKNOWN
    assert one("ON_VACATION") is Verdict.DENY  # no policy: no state could change that
    acct = account(users=[user(state="ON_VACATION")], policies=[full("p1", ALICE)],
                   instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.reasons[0].rule == "V4" and "ON_VACATION" in d.reasons[0].text
    assert d.reasons[1].rule == "V1"  # then what the policies give
