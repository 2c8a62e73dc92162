"""Who may open an instance's console: the emulator's own IAM decision, from its own stores.

Written from the project's IAM rules (docs: semantics-decisions.md) and IBM's documentation,
independently of iamcheck's evaluator, so that a differential test can compare the two. The
caller needs both `is.instance.instance.operate` and `is.instance.instance.console` on the
instance; the two may come from different policies and subjects. Revision 2: user states per V4,
trusted profiles act through their own policies, dynamic-rule groups count for users who joined
at login (backend/claims.py), Public Access is not honoured for VPC, and a new policy counts only
after the propagation delay (E1). Context-based restrictions are enforced apart
(backend/cbr_enforcement.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from iamcheck.emulator.backend.group_model import PUBLIC_ACCESS_ID
from iamcheck.emulator.backend.role_catalog import PLATFORM
from iamcheck.emulator.errors import IbmError

if TYPE_CHECKING:
    from iamcheck.emulator.backend import Backend

OPERATE = "is.instance.instance.operate"
CONSOLE = "is.instance.instance.console"
CONSOLE_ACTIONS = (OPERATE, CONSOLE)
SIGNED_IN_STATES = frozenset({"ACTIVE", "DISABLED_CLASSIC_INFRASTRUCTURE"})
_ENV = re.compile(r"^\{\{environment\.attributes\.([a-z_]+)\}\}$")
_RESOURCE = re.compile(r"^\{\{resource\.attributes\.([A-Za-z_]+)\}\}$")
_OFFSET = r"(Z|[+-]\d{2}:\d{2})?"


def may_open_console(backend: Backend, iam_id: str, instance: dict[str, Any],
                     at: datetime | None = None) -> bool:
    """True when `iam_id` holds both console actions on `instance` at `at` (default: now)."""
    return granted_actions(backend, iam_id, instance, at) >= set(CONSOLE_ACTIONS)


def granted_actions(backend: Backend, iam_id: str, instance: dict[str, Any],
                    at: datetime | None = None) -> frozenset[str]:
    """Which console actions `iam_id` holds on `instance` (none for a user who cannot sign in)."""
    when = at or datetime.now(UTC)
    if not _may_sign_in(backend, iam_id):
        return frozenset()
    target = _attributes_of(backend, instance)
    tags = backend.vpc.tags(instance["crn"], "access")
    granted: set[str] = set()
    for policy in _policies_of(backend, iam_id):
        if not in_effect(policy, backend.settings.propagation_delay, when):
            continue  # E1: VPC has not seen it yet
        scope = _scope(policy, target, tags)
        rule = policy.get("rule")
        if scope is None or not _rule_holds(rule, target, when, _rule_zone(rule)):
            continue
        for role in policy["control"]["grant"]["roles"]:
            role_id = str(role.get("role_id", ""))
            if scope == "platform" and not backend.roles.canonical(role_id).startswith(PLATFORM):
                continue  # beyond one service, only platform roles reach an instance (S2)
            granted |= backend.roles.actions_of(role_id, "is") & set(CONSOLE_ACTIONS)
    return frozenset(granted)


# ---- who: the caller, its groups, their active policies


def _may_sign_in(backend: Backend, iam_id: str) -> bool:
    """V4 rev 2: ACTIVE and DISABLED_CLASSIC_INFRASTRUCTURE users are decided by their policies
    (the latter lose classic infrastructure only); every other state, known or not, may not.
    Service IDs and trusted profiles of the account may act; anyone else may not."""
    if iam_id in backend.identity.service_ids or backend.profiles.by_iam_id(iam_id):
        return True
    try:
        user = backend.users.get(backend.account_id, iam_id)
    except IbmError:
        return False
    return user["state"] in SIGNED_IN_STATES


def _policies_of(backend: Backend, iam_id: str) -> Iterator[dict[str, Any]]:
    """Active access policies of the caller and of every group it is in right now (P1-P3):
    static, dynamic now (seed users with a matching `login` joined at load). Not the Public
    Access group: IBM supports public access for Cloud Object Storage only, so VPC does not
    honour it (the emulator's documented choice)."""
    yield from backend.policies.policies_for_subject(iam_id=iam_id)
    for group in backend.groups.groups.values():
        if group.id != PUBLIC_ACCESS_ID and backend.groups.holds(group, iam_id, "all"):
            yield from backend.policies.policies_for_subject(access_group_id=group.id)


def in_effect(policy: dict[str, Any], delay: float, at: datetime) -> bool:
    """Has VPC seen the policy at `at`, `delay` seconds after it was created (E1)?"""
    if delay <= 0:
        return True
    try:
        created = _datetime(policy.get("created_at"))
    except (TypeError, ValueError):
        return True
    return (at - created).total_seconds() >= delay


# ---- where: does the policy's resource cover the instance


def _attributes_of(backend: Backend, instance: dict[str, Any]) -> dict[str, str]:
    """The attributes IAM sees on an instance request. No vpcId: S6."""
    return {"accountId": backend.account_id, "serviceName": "is",
            "resourceGroupId": instance["resource_group"]["id"], "instanceId": instance["id"],
            "region": instance["region"]}


def _scope(policy: dict[str, Any], target: dict[str, str], tags: list[str]) -> str | None:
    """'service' when the policy covers the instance through `serviceName: is`, 'platform' when
    through all services (serviceType=service, or no service at all), None when it does not."""
    if policy.get("type") != "access":
        return None
    attributes = policy["resource"]["attributes"]
    scope = "platform"
    for attr in attributes:
        key, operator, value = attr.get("key"), attr.get("operator"), attr.get("value")
        if key == "serviceType":
            if not match(operator, value, "service"):
                return None
        elif key in target:
            if not match(operator, value, target[key]):
                return None
            if key == "serviceName":
                scope = "service"
        else:
            return None  # vpcId (S6) and every attribute the emulator does not know (S8)
    if not any(a.get("key") == "accountId" for a in attributes):
        return None
    return scope if all(_tag_present(t, tags) for t in policy["resource"].get("tags", [])) else None


def _tag_present(tag: dict[str, Any], tags: list[str]) -> bool:
    """A policy's access tag `key` op `value` against the instance's `key:value` tags (S7)."""
    for attached in tags:
        key, sep, value = attached.partition(":")
        if sep and key == tag.get("key") and match(tag.get("operator"), tag.get("value"), value):
            return True
    return False


def match(operator: Any, expected: Any, actual: str) -> bool:
    """IAM's string operators, case-sensitive; `stringEquals "*"` is the v1 wildcard (S4)."""
    if operator == "stringEquals":
        return isinstance(expected, str) and expected in ("*", actual)
    if operator == "stringExists":
        return expected is True or expected == "true"
    if operator == "stringMatch":
        return isinstance(expected, str) and _glob(expected, actual)
    if operator == "stringEqualsAnyOf":
        return isinstance(expected, list) and actual in expected
    if operator == "stringMatchAnyOf":
        return isinstance(expected, list) and any(
            isinstance(e, str) and _glob(e, actual) for e in expected)
    return False


def _glob(pattern: str, actual: str) -> bool:
    """`*` any run of characters, `?` exactly one; everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, actual, flags=re.DOTALL) is not None


# ---- when: a policy's rule at the evaluation instant (P4)


def _rule_zone(rule: Any) -> timezone:
    """The offset a weekly rule is written in: its first `current_time` condition's (integer
    days of the week are that zone's days: the console writes the whole window in one zone)."""
    return next(_time_zones(rule), UTC)


def _time_zones(rule: Any) -> Iterator[timezone]:
    if isinstance(rule, dict) and isinstance(rule.get("conditions"), list):
        for condition in rule["conditions"]:
            yield from _time_zones(condition)
    elif isinstance(rule, dict) and rule.get("key") == "{{environment.attributes.current_time}}":
        found = re.fullmatch(r"[\d:]+" + _OFFSET, str(rule.get("value")))
        if found:
            yield _zone(found.group(1))


def _rule_holds(rule: Any, target: dict[str, str], at: datetime, zone: timezone) -> bool:
    if rule is None:
        return True
    if not isinstance(rule, dict):
        return False
    if "conditions" in rule:
        conditions = rule["conditions"]
        if not isinstance(conditions, list) or not conditions:
            return False
        results = (_rule_holds(c, target, at, zone) for c in conditions)
        return all(results) if rule.get("operator") == "and" else (
            rule.get("operator") == "or" and any(results))
    key, operator, value = str(rule.get("key", "")), rule.get("operator"), rule.get("value")
    resource = _RESOURCE.match(key)
    if resource:
        actual = target.get(resource.group(1))
        return actual is not None and match(operator, value, actual)
    env = _ENV.match(key)
    try:
        if env and env.group(1) == "current_date_time":
            return _compare(operator, "dateTime", at, _datetime(value))
        if env and env.group(1) == "current_date":
            day, written_in = _dated(value)
            return _compare(operator, "date", at.astimezone(written_in).date(), day)
        if env and env.group(1) == "current_time":
            clock, written_in = _clock(value)
            return _compare(operator, "time", at.astimezone(written_in).time(), clock)
        if env and env.group(1) == "day_of_week":
            return _weekday(operator, value, at, zone)
    except (TypeError, ValueError):
        return False  # a value the emulator cannot read never grants
    return False


def _compare(operator: Any, kind: str, now: Any, bound: Any) -> bool:
    tests = {"LessThan": now < bound, "LessThanOrEquals": now <= bound,
             "GreaterThan": now > bound, "GreaterThanOrEquals": now >= bound}
    name = str(operator)
    return name.startswith(kind) and tests.get(name.removeprefix(kind), False)


def _zone(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dated(value: Any) -> tuple[date, timezone]:
    found = re.fullmatch(r"(\d{4}-\d{2}-\d{2})" + _OFFSET, str(value))
    if not found:
        raise ValueError(value)
    return date.fromisoformat(found.group(1)), _zone(found.group(2))


def _clock(value: Any) -> tuple[time, timezone]:
    found = re.fullmatch(r"(\d{2}:\d{2}(?::\d{2})?)" + _OFFSET, str(value))
    if not found:
        raise ValueError(value)
    return time.fromisoformat(found.group(1)), _zone(found.group(2))


def _weekday(operator: Any, value: Any, at: datetime, zone: timezone) -> bool:
    """1 = Monday ... 7 = Sunday, as integers (in the rule's `zone`) or as strings with their
    own offset, `"6+02:00"`."""
    days = value if operator == "dayOfWeekAnyOf" else [value]
    if operator not in ("dayOfWeekAnyOf", "dayOfWeekEquals") or not isinstance(days, list):
        return False
    for day in days:
        found = re.fullmatch(r"([1-7])" + _OFFSET, str(day))
        if found is None:
            raise ValueError(day)
        day_zone = _zone(found.group(2)) if found.group(2) else zone
        if at.astimezone(day_zone).isoweekday() == int(found.group(1)):
            return True
    return False
