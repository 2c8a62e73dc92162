"""Policies as iamcheck writes them: v2 JSON from model values, the description tag that marks a
policy iamcheck created, the time window rule, and the equivalent `ibmcloud` commands. Pure."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iamcheck.decide.conditions import holds
from iamcheck.decide.tri import Tri
from iamcheck.model import Attribute, Condition, ConditionGroup, Policy, Rule

if TYPE_CHECKING:
    from iamcheck.grant.plan import SubjectKind

TAG_PREFIX = "iamcheck:grant:"
_TAG = re.compile(r"^iamcheck:grant:([0-9a-f]{16})(?=\s|$)")
DATE_TIME = "{{environment.attributes.current_date_time}}"
ONCE = "time-based-conditions:once"  # IBM's pattern for a one-time window
MAX_DESCRIPTION = 300  # IBM's limit on a policy description
# `ibmcloud iam <verb>-create|-delete` per kind of subject
CLI_VERBS = {"user": "user-policy", "service_id": "service-policy",
             "access_group": "access-group-policy"}


def role_suffix(crn: str) -> str:
    """`role:Operator`, `serviceRole:VirtualServerConsoleAdmin`: how a role CRN ends."""
    parts = crn.split(":")
    return ":".join(parts[-2:]) if len(parts) >= 2 else crn


def marker(subject: Attribute, resource: Iterable[Attribute], role_ids: Iterable[str]) -> str:
    """The tag of a grant: the same for the same subject, scope (the resource attributes) and
    roles, whatever the time window and the service segment of the role CRNs."""
    key = json.dumps([
        [subject.key, str(subject.value)],
        sorted([a.key, a.operator, str(a.value)] for a in resource),
        sorted({role_suffix(r) for r in role_ids}),
    ])
    return TAG_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def tag_of(description: str) -> str | None:
    """The iamcheck tag a description starts with, if any."""
    match = _TAG.match(description or "")
    return TAG_PREFIX + match.group(1) if match else None


def created_by_iamcheck(policy: Policy) -> bool:
    """True when the policy carries an iamcheck tag that matches its own subject, scope and
    roles: a tag copied onto another policy, or a policy edited since, does not count."""
    tag = tag_of(policy.description)
    if tag is None or policy.type != "access" or policy.tags or len(policy.subject) != 1:
        return False
    return marker(policy.subject[0], policy.resource, policy.role_ids) == tag


def same_grant(a: Policy, b: Policy) -> bool:
    """Equal subject, resource, roles (by CRN suffix, R4) and rule: what IBM calls a duplicate."""
    return (a.type == b.type and set(a.subject) == set(b.subject)
            and set(a.resource) == set(b.resource) and set(a.tags) == set(b.tags)
            and {role_suffix(r) for r in a.role_ids} == {role_suffix(r) for r in b.role_ids}
            and a.rule == b.rule and (a.pattern or None) == (b.pattern or None))


def find_equivalent(policies: Iterable[Policy], wanted: Policy, at: datetime) -> Policy | None:
    """An active policy that already is `wanted`: the same grant, or one iamcheck created for
    the same subject, scope and roles whose window holds at `at` and lasts as long as `wanted`'s
    (a concurrent grant's): a shorter one is not what was asked for."""
    tag = tag_of(wanted.description)
    for policy in policies:
        if policy.state != "active":
            continue
        if same_grant(policy, wanted):
            return policy
        if (tag is not None and tag_of(policy.description) == tag and created_by_iamcheck(policy)
                and _lasts(policy, wanted, at)):
            return policy
    return None


def _lasts(policy: Policy, wanted: Policy, at: datetime) -> bool:
    if policy.rule is None:
        return True
    if holds(policy.rule, at) is not Tri.YES or wanted.rule is None or policy.pattern != ONCE:
        return False
    end = window_end(wanted.rule)
    return end is not None and holds(policy.rule, end) is Tri.YES


def _remaining_covered(by: Policy, of: Policy, now: datetime) -> bool:
    """Does `by` give, from `now` on, all that `of` still gives?"""
    if by.rule is None:
        return True
    if of.rule is None or by.pattern != ONCE or of.pattern != ONCE:
        return False
    end = window_end(of.rule)
    return (end is not None and holds(by.rule, now) is Tri.YES
            and holds(by.rule, end) is Tri.YES)


def _twins(own: Policy, policies: Iterable[Policy]) -> list[Policy]:
    """Other active policies iamcheck created for the same subject, scope and roles."""
    tag = tag_of(own.description)
    return [p for p in policies if p.id != own.id and p.state == "active" and tag is not None
            and tag_of(p.description) == tag and created_by_iamcheck(p)]


def covering_twin(own: Policy, policies: Iterable[Policy], now: datetime) -> Policy | None:
    """A twin that covers what `own` still gives, and that `own` does not cover too (when both
    cover each other, the smaller id stays: every racing run picks the same)."""
    for twin in _twins(own, policies):
        if _remaining_covered(twin, own, now) and (
                not _remaining_covered(own, twin, now) or twin.id < own.id):
            return twin
    return None


def redundant_twins(own: Policy, policies: Iterable[Policy], now: datetime) -> list[Policy]:
    """Twins whose remaining access `own` covers, and that do not cover `own` in turn."""
    return [t for t in _twins(own, policies)
            if _remaining_covered(own, t, now) and not _remaining_covered(t, own, now)]


def window_end(rule: Rule) -> datetime | None:
    """The end of a one-time window that window_rule wrote."""
    if isinstance(rule, ConditionGroup):
        for c in rule.conditions:
            if isinstance(c, Condition) and c.operator == "dateTimeLessThanOrEquals":
                return datetime.fromisoformat(str(c.value))
    return None


def window_rule(start: datetime, end: datetime) -> ConditionGroup:
    """IBM's one-time window (pattern time-based-conditions:once), offsets kept as given."""
    return ConditionGroup("and", (
        Condition(DATE_TIME, "dateTimeGreaterThanOrEquals", iso(start)),
        Condition(DATE_TIME, "dateTimeLessThanOrEquals", iso(end)),
    ))


def iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()


def attribute_json(attr: Attribute) -> dict[str, Any]:
    value = list(attr.value) if isinstance(attr.value, tuple) else attr.value
    return {"key": attr.key, "operator": attr.operator, "value": value}


def rule_json(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, ConditionGroup):
        return {"operator": rule.operator, "conditions": [rule_json(c) for c in rule.conditions]}
    value = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return {"key": rule.key, "operator": rule.operator, "value": value}


def policy_json(policy: Policy) -> dict[str, Any]:
    """The v2 body of a policy (what POST /v2/policies takes), from model values."""
    body: dict[str, Any] = {"type": policy.type, "description": policy.description,
                            "subject": {"attributes": [attribute_json(a) for a in policy.subject]},
                            "resource": {"attributes": [attribute_json(a)
                                                        for a in policy.resource]},
                            "control": {"grant": {"roles": [{"role_id": r}
                                                            for r in policy.role_ids]}}}
    if policy.tags:
        body["resource"]["tags"] = [attribute_json(t) for t in policy.tags]
    if policy.rule is not None:
        body["pattern"] = policy.pattern
        body["rule"] = rule_json(policy.rule)
    return body


def create_command(kind: SubjectKind, who: str, roles: Sequence[str], service: str,
                   scope_flags: Sequence[str], with_file: bool) -> str:
    """The `ibmcloud iam ...-policy-create` equivalent. A policy with a rule cannot be written
    with flags: then the command reads the JSON body from policy.json."""
    args = ["ibmcloud", "iam", f"{CLI_VERBS[kind]}-create", who]
    if with_file:
        return shlex.join([*args, "--file", "policy.json"])
    return shlex.join([*args, "--roles", ",".join(roles), "--service-name", service,
                       *scope_flags])


def delete_command(kind: SubjectKind, who: str, policy_id: str) -> str:
    return shlex.join(["ibmcloud", "iam", f"{CLI_VERBS[kind]}-delete", who, policy_id, "-f"])


def clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."
