"""P4: policy rules at the evaluation instant (time, date, days, and/or, offsets, windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamcheck.decide import NearMissKind, UncertainKind, Verdict, decide
from iamcheck.decide.conditions import EXPIRED, OUTSIDE_WINDOW, explain, holds, next_start
from iamcheck.decide.tri import Tri
from iamcheck.model import Condition, ConditionGroup, ConditionValue, Rule
from tests.unit.decide_builders import ALICE, AT, REQ, full, instance, one_user

DT = "{{environment.attributes.current_date_time}}"
TIME = "{{environment.attributes.current_time}}"
DAY = "{{environment.attributes.day_of_week}}"
DATE = "{{environment.attributes.current_date}}"


def cond(key: str, op: str, value: ConditionValue) -> Condition:
    return Condition(key, op, value)


def once(start: str, end: str) -> Rule:
    return ConditionGroup("and", (cond(DT, "dateTimeGreaterThanOrEquals", start),
                                  cond(DT, "dateTimeLessThanOrEquals", end)))


def weekdays_9_to_5(offset: str = "+00:00", days: ConditionValue | None = None) -> Rule:
    days = days if days is not None else tuple(f"{d}{offset}" for d in range(1, 6))
    return ConditionGroup("and", (cond(DAY, "dayOfWeekAnyOf", days),
                                  cond(TIME, "timeGreaterThanOrEquals", f"09:00:00{offset}"),
                                  cond(TIME, "timeLessThanOrEquals", f"17:00:00{offset}")))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_p4_expired_policy_is_a_near_miss_naming_when() -> None:
    rule = once("2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00")
    d = decide(one_user(full("p1", ALICE, rule=rule)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    miss = d.near_misses[0]
    assert (miss.kind, miss.rule) == (NearMissKind.EXPIRED, "P4")
    assert miss.when == at("2026-03-01T00:00:00+00:00")
    assert "expired" in miss.detail and "2026-03-01" in miss.detail


def test_p4_not_yet_active_names_the_start() -> None:
    rule = once("2026-03-10T09:00:00+01:00", "2026-03-20T00:00:00+01:00")
    d = decide(one_user(full("p1", ALICE, rule=rule)), REQ, ALICE, instance(), AT)
    miss = d.near_misses[0]
    assert miss.kind is NearMissKind.NOT_YET_ACTIVE
    assert miss.when == at("2026-03-10T08:00:00+00:00")


def test_p4_a_rule_that_holds_grants_and_is_named() -> None:
    rule = once("2026-03-01T00:00:00+00:00", "2026-03-31T00:00:00+00:00")
    d = decide(one_user(full("p1", ALICE, rule=rule)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert any(r.rule == "P4" and "holds" in r.text for r in d.reasons)


def test_p4_evaluated_at_the_given_instant_not_the_clock() -> None:
    acct = one_user(full("p1", ALICE, rule=once("2020-01-01T00:00:00Z", "2020-12-31T00:00:00Z")))
    assert decide(acct, REQ, ALICE, instance(), at("2020-06-01T00:00:00+00:00")).allowed
    assert not decide(acct, REQ, ALICE, instance(), AT).allowed


def test_p4_recurring_window_reports_the_next_window() -> None:
    acct = one_user(full("p1", ALICE, rule=weekdays_9_to_5()))
    assert decide(acct, REQ, ALICE, instance(), AT).allowed  # Wednesday noon
    evening = decide(acct, REQ, ALICE, instance(), at("2026-03-04T18:00:00+00:00"))
    assert evening.near_misses[0].kind is NearMissKind.OUTSIDE_WINDOW
    assert evening.near_misses[0].when == at("2026-03-05T09:00:00+00:00")
    saturday = decide(acct, REQ, ALICE, instance(), at("2026-03-07T10:00:00+00:00"))
    assert saturday.near_misses[0].when == at("2026-03-09T09:00:00+00:00")  # Monday


def test_p4_offsets_are_explicit() -> None:
    rule = weekdays_9_to_5("-05:00")
    assert holds(rule, AT) is Tri.NO  # 07:00 in -05:00
    assert holds(rule, at("2026-03-04T15:00:00+00:00")) is Tri.YES
    assert next_start(rule, AT) == at("2026-03-04T14:00:00+00:00")


@pytest.mark.parametrize("value", [3, "3", "3+00:00", (3,), (1, 3), ("2+00:00", "3+00:00")])
def test_p4_days_as_integers_or_strings_monday_is_one(value: ConditionValue) -> None:
    op = "dayOfWeekEquals" if not isinstance(value, tuple) else "dayOfWeekAnyOf"
    assert holds(cond(DAY, op, value), AT) is Tri.YES  # Wednesday = 3
    assert holds(cond(DAY, op, value), AT + timedelta(days=3)) is Tri.NO  # Saturday


def test_p4_a_day_carries_its_own_offset() -> None:
    late_wednesday = at("2026-03-04T20:00:00+00:00")  # already Thursday at +06:00
    assert holds(cond(DAY, "dayOfWeekEquals", "3+06:00"), late_wednesday) is Tri.NO
    assert holds(cond(DAY, "dayOfWeekEquals", "4+06:00"), late_wednesday) is Tri.YES


def test_p4_a_bare_day_takes_the_offset_of_the_rules_times() -> None:
    rule = ConditionGroup("and", (cond(DAY, "dayOfWeekAnyOf", (4,)),
                                  cond(TIME, "timeGreaterThanOrEquals", "00:00:00+06:00")))
    assert holds(rule, at("2026-03-04T20:00:00+00:00")) is Tri.YES


def test_p4_and_or_nesting() -> None:
    weekend = cond(DAY, "dayOfWeekAnyOf", (6, 7))
    before = cond(DT, "dateTimeLessThan", "2026-03-04T12:00:00+00:00")
    after = cond(DT, "dateTimeGreaterThan", "2026-03-04T11:00:00+00:00")
    assert holds(ConditionGroup("or", (weekend, ConditionGroup("and", (after,)))), AT) is Tri.YES
    assert holds(ConditionGroup("or", (weekend, before)), AT) is Tri.NO
    assert holds(ConditionGroup("and", (after, ConditionGroup("or", (weekend, before)))),
                 AT) is Tri.NO


def test_p4_boundaries_strict_and_inclusive() -> None:
    assert holds(cond(DT, "dateTimeLessThan", "2026-03-04T12:00:00+00:00"), AT) is Tri.NO
    assert holds(cond(DT, "dateTimeLessThanOrEquals", "2026-03-04T13:00:00+01:00"), AT) is Tri.YES
    assert holds(cond(DATE, "dateGreaterThanOrEquals", "2026-03-04"), AT) is Tri.YES
    assert holds(cond(DATE, "dateGreaterThan", "2026-03-04"), AT) is Tri.NO
    assert holds(cond(TIME, "timeLessThan", "12:00:00Z"), AT) is Tri.NO


@pytest.mark.parametrize("rule", [
    cond("{{resource.attributes.prefix}}", "stringMatch", "folder/*"),
    cond(DT, "dateTimeLessThan", "2026-12-31T00:00:00"),  # no offset
    cond(TIME, "timeLessThan", "18:00:00"),  # no offset
    cond(DAY, "dayOfWeekEquals", 8),
    ConditionGroup("xor", (cond(DAY, "dayOfWeekEquals", 3),)),
])
def test_p4_a_condition_iamcheck_cannot_read_makes_the_policy_uncertain(rule: Rule) -> None:
    d = decide(one_user(full("p1", ALICE, rule=rule)), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert d.uncertain[0].kind is UncertainKind.RULE and d.uncertain[0].rule == "P4"


def test_p4_or_with_one_true_branch_holds_despite_an_unreadable_one() -> None:
    rule = ConditionGroup("or", (cond(DAY, "dayOfWeekEquals", 3), cond("x", "y", "z")))
    assert holds(rule, AT) is Tri.YES


def test_p4_explain_kinds() -> None:
    assert explain(once("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"), AT).kind == EXPIRED
    assert explain(weekdays_9_to_5(), at("2026-03-04T20:00:00Z")).kind == OUTSIDE_WINDOW
    assert explain(weekdays_9_to_5(), at("2026-03-04T20:00:00")).kind == OUTSIDE_WINDOW  # naive
    monday, tuesday = cond(DAY, "dayOfWeekEquals", 1), cond(DAY, "dayOfWeekEquals", 2)
    never = ConditionGroup("and", (monday, tuesday))
    assert explain(never, AT).kind == EXPIRED and explain(never, AT).when is None


def test_p4_window_in_a_recurring_policy_that_also_has_an_end_date() -> None:
    rule = ConditionGroup("and", (weekdays_9_to_5(), cond(DT, "dateTimeLessThanOrEquals",
                                                            "2026-03-04T10:00:00+00:00")))
    state = explain(rule, at("2026-03-04T18:00:00+00:00"))
    assert state.kind == EXPIRED
    assert state.when == datetime(2026, 3, 4, 10, tzinfo=UTC)
