"""`--with-policy FILE`: v2 policy bodies (as `grant` writes them, the POST /v2/policies body)
turned into the same changes a Terraform plan gives.

The file holds one body, a JSON list of bodies, or an object with `policies: [...]`. A body
with an `id` replaces that policy; one without is a new policy. A body iamcheck cannot read
(missing subject, roles, or an unexpected shape) is Unmodelled, named by its position.
"""

from __future__ import annotations

from typing import Any, TypeVar

from iamcheck.change.changes import Change, PutPolicy, Unmodelled
from iamcheck.change.terraform import PlanError, parse_json
from iamcheck.model import Policy, PolicyState, PolicyType
from iamcheck.policy_json import attributes_from_json, rule_from_json


def load_policy_bodies(text: str) -> list[Any]:
    raw = parse_json(text)
    if isinstance(raw, dict) and isinstance(raw.get("policies"), list):
        return list(raw["policies"])
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return raw
    raise PlanError("expected a v2 policy body, a list of them, or {\"policies\": [...]}")


_T = TypeVar("_T", bound=str)
POLICY_TYPES: tuple[PolicyType, ...] = ("access", "authorization")
POLICY_STATES: tuple[PolicyState, ...] = ("active", "deleted")


def _one_of(value: Any, allowed: tuple[_T, ...]) -> _T:
    for choice in allowed:
        if value == choice:
            return choice
    raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")


def _policy(raw: Any, pid: str) -> Policy:
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    subject = attributes_from_json(raw["subject"]["attributes"])
    resource = raw.get("resource") or {}
    roles = tuple(str(r["role_id"]) for r in raw["control"]["grant"]["roles"])
    if not subject or not roles:
        raise ValueError("no subject attributes or no roles")
    return Policy(
        id=str(raw.get("id") or pid), type=_one_of(raw.get("type") or "access", POLICY_TYPES),
        state=_one_of(raw.get("state") or "active", POLICY_STATES), subject=subject,
        resource=attributes_from_json(resource.get("attributes")),
        tags=attributes_from_json(resource.get("tags")), role_ids=roles,
        rule=rule_from_json(raw["rule"]) if raw.get("rule") else None,
        pattern=raw.get("pattern"), description=str(raw.get("description") or ""))


def changes_from_policy_bodies(bodies: list[Any], source: str = "policy") -> tuple[Change, ...]:
    out: list[Change] = []
    for n, raw in enumerate(bodies):
        name = f"{source}[{n}]"
        try:
            out.append(PutPolicy(_policy(raw, f"planned:{name}"), name))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            who = _subjects(raw)
            out.append(Unmodelled(name, f"not a v2 policy body iamcheck can read ({err!s:.80})",
                                  who))
    return tuple(out)


def _subjects(raw: Any) -> frozenset[str]:
    try:
        return frozenset(str(a["value"]) for a in raw["subject"]["attributes"])
    except (KeyError, TypeError):
        return frozenset()
