"""Policy rules at an instant (P4): date-time, date, time-of-day and day-of-week conditions.

Values carry explicit UTC offsets ("2026-01-31T17:00:00+01:00", "09:00:00-05:00", "1+00:00").
Days are 1 = Monday ... 7 = Sunday, as integers or strings; a day without an offset is read in the
offset of the rule's time-of-day conditions (the policy's time zone), else in UTC (decision).
A condition iamcheck cannot read is MAYBE, so the policy is uncertain rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from iamcheck.decide.tri import Tri, all_of, any_of, tri
from iamcheck.model import Condition, ConditionGroup, ConditionValue, Rule

DATE_TIME, DATE, TIME, DAY = "current_date_time", "current_date", "current_time", "day_of_week"
HOLDS, EXPIRED, NOT_YET_ACTIVE, OUTSIDE_WINDOW, UNCERTAIN = (
    "holds", "expired", "not_yet_active", "outside_window", "uncertain")

_OFFSET = r"(Z|[+-]\d{2}:\d{2})"
_TIME = re.compile(rf"^(\d{{2}}):(\d{{2}})(?::(\d{{2}}))?{_OFFSET}?$")
_DAY = re.compile(rf"^([1-7]){_OFFSET}?$")
_DATE = re.compile(rf"^(\d{{4}}-\d{{2}}-\d{{2}}){_OFFSET}?$")
_SECOND = timedelta(seconds=1)
_SEARCH_DAYS = 8  # a weekly window recurs within a week; one more day covers offsets


def aware(at: datetime) -> datetime:
    """A naive instant is taken as UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def holds(rule: Rule, at: datetime) -> Tri:
    """Whether `rule` holds at `at`: YES, NO, or MAYBE when iamcheck cannot read a condition."""
    return _eval(rule, aware(at), _rule_zone(rule))


def _eval(rule: Rule, at: datetime, zone: tzinfo) -> Tri:
    if isinstance(rule, ConditionGroup):
        results = (_eval(part, at, zone) for part in rule.conditions)
        if rule.operator == "and":
            return all_of(results)
        if rule.operator == "or":
            return any_of(results)
        return Tri.MAYBE
    return _condition(rule, at, zone)


def _key(raw: str) -> str:
    key = raw.strip().removeprefix("{{").removesuffix("}}").strip()
    return key.removeprefix("environment.attributes.")


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _compare(left: object, right: object, how: str) -> Tri:
    # left and right are both datetimes, dates or times
    lt, eq = left < right, left == right  # type: ignore[operator]
    table = {"LessThan": lt, "LessThanOrEquals": lt or eq,
             "GreaterThan": not (lt or eq), "GreaterThanOrEquals": not lt}
    return tri(table[how]) if how in table else Tri.MAYBE


def _instant(value: ConditionValue) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None  # an offset is required


def _time(value: ConditionValue) -> tuple[time, tzinfo] | None:
    found = _TIME.match(value.strip()) if isinstance(value, str) else None
    zone = _zone(found.group(4)) if found else None
    if found is None or zone is None:
        return None
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second), zone


def _days(value: ConditionValue, zone: tzinfo) -> list[tuple[int, tzinfo]] | None:
    items = value if isinstance(value, tuple) else (value,)
    out: list[tuple[int, tzinfo]] = []
    for item in items:
        if isinstance(item, bool):
            return None
        found = _DAY.match(item.strip()) if isinstance(item, str) else None
        if isinstance(item, int) and 1 <= item <= 7:
            out.append((item, zone))
        elif found:
            out.append((int(found.group(1)), _zone(found.group(2)) or zone))
        else:
            return None
    return out


def _condition(cond: Condition, at: datetime, zone: tzinfo) -> Tri:
    key, op = _key(cond.key), cond.operator
    if op.startswith("dateTime") and key == DATE_TIME:
        limit = _instant(cond.value)
        return Tri.MAYBE if limit is None else _compare(at, limit, op.removeprefix("dateTime"))
    if op.startswith("date") and not op.startswith("dateTime") and key in (DATE, DATE_TIME):
        found = _DATE.match(cond.value.strip()) if isinstance(cond.value, str) else None
        if found is None:
            return Tri.MAYBE
        try:
            limit_day = date.fromisoformat(found.group(1))
        except ValueError:
            return Tri.MAYBE
        local = at.astimezone(_zone(found.group(2)) or UTC).date()
        return _compare(local, limit_day, op.removeprefix("date"))
    if op.startswith("time") and key == TIME:
        parsed = _time(cond.value)
        if parsed is None:
            return Tri.MAYBE
        limit_time, limit_zone = parsed
        local_time = at.astimezone(limit_zone).time()
        return _compare(local_time, limit_time, op.removeprefix("time"))
    if op in ("dayOfWeekEquals", "dayOfWeekAnyOf") and key == DAY:
        days = _days(cond.value, zone)
        if days is None or (op == "dayOfWeekEquals" and len(days) != 1):
            return Tri.MAYBE
        return tri(any(at.astimezone(z).isoweekday() == d for d, z in days))
    return Tri.MAYBE


def _leaves(rule: Rule) -> Iterator[Condition]:
    if isinstance(rule, ConditionGroup):
        for part in rule.conditions:
            yield from _leaves(part)
    else:
        yield rule


def _rule_zone(rule: Rule) -> tzinfo:
    for leaf in _leaves(rule):
        if _key(leaf.key) == TIME and (parsed := _time(leaf.value)) is not None:
            return parsed[1]
    return UTC


@dataclass(frozen=True)
class RuleState:
    """A rule at an instant, with what a person needs when it does not hold."""

    status: Tri
    kind: str  # holds | expired | not_yet_active | outside_window | uncertain
    when: datetime | None  # expired at / starts at / next window
    detail: str


def explain(rule: Rule, at: datetime) -> RuleState:
    at = aware(at)
    status = holds(rule, at)
    if status is Tri.YES:
        return RuleState(status, HOLDS, None, f"its rule holds at {_show(at)}")
    if status is Tri.MAYBE:
        unread = [f"{c.key} {c.operator} {c.value!r}" for c in _leaves(rule)
                  if _condition(c, at, _rule_zone(rule)) is Tri.MAYBE]
        return RuleState(status, UNCERTAIN, None,
                         "iamcheck cannot evaluate its rule condition " + "; ".join(unread))
    starts = next_start(rule, at)
    bounds = _bounds(rule)
    if starts is not None:
        # at an exclusive start (dateTimeGreaterThan, at == bound) it is not active yet either
        if any(low >= at for low in bounds[0]):
            return RuleState(status, NOT_YET_ACTIVE, starts,
                             f"its rule is not active yet: it starts {_show(starts)}")
        return RuleState(status, OUTSIDE_WINDOW, starts,
                         f"{_show(at)} is outside its recurring window; the next window "
                         f"opens {_show(starts)}")
    ended = max((high for high in bounds[1] if high <= at), default=None)
    if ended is not None:
        return RuleState(status, EXPIRED, ended, f"its rule expired {_show(ended)}")
    return RuleState(status, EXPIRED, None, "its rule never holds again")


def _show(moment: datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M:%S%z").replace("+0000", " UTC")


def _bounds(rule: Rule) -> tuple[list[datetime], list[datetime]]:
    """The date-time lower and upper limits the rule names."""
    lows: list[datetime] = []
    highs: list[datetime] = []
    for leaf in _leaves(rule):
        limit = _instant(leaf.value) if _key(leaf.key) == DATE_TIME else None
        if limit is not None:
            (lows if "Greater" in leaf.operator else highs).append(limit)
    return lows, highs


def next_start(rule: Rule, at: datetime) -> datetime | None:
    """The first instant after `at` when the rule holds, if it ever does again."""
    at = aware(at)
    zone = _rule_zone(rule)
    instants: set[datetime] = set()
    clock: set[tuple[time, tzinfo]] = set()
    zones: set[tzinfo] = {UTC, zone}
    for leaf in _leaves(rule):
        key = _key(leaf.key)
        if key == DATE_TIME and (limit := _instant(leaf.value)) is not None:
            instants.update((limit, limit + _SECOND))
        elif key == TIME and (parsed := _time(leaf.value)) is not None:
            clock.add(parsed)
            zones.add(parsed[1])
        elif key == DAY:
            zones.update(z for _, z in _days(leaf.value, zone) or [])
    candidates = {moment for moment in instants if moment > at}
    for base in [at, *sorted(candidates)]:
        for z in zones:
            first = base.astimezone(z).date()
            for offset in range(_SEARCH_DAYS + 1):
                day = first + timedelta(days=offset)
                candidates.add(datetime.combine(day, time(0), z))
                for clock_time, clock_zone in clock:
                    if clock_zone == z:
                        start = datetime.combine(day, clock_time, z)
                        candidates.update((start, start + _SECOND))
    for candidate in sorted(c for c in candidates if c > at):
        if _eval(rule, candidate, zone) is Tri.YES:
            return candidate
    return None
