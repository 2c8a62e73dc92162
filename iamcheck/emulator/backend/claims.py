"""IdP claims at a federated login against dynamic rules and trusted-profile claim rules.

A seed user may carry `login: {realm, claims}`: the identity provider they sign in through and
the claims it sends. The emulator treats such a user as having signed in once, at seed load.

How the operators treat a claim (IBM documents the operator names, not multi-valued claims; the
emulator's reading, documented in docs/seed.md):
- a claim's value is a string or a list of strings (a SAML attribute with several values);
- `EQUALS` / `EQUALS_IGNORE_CASE`: some value of the claim equals the rule's value;
- `NOT_EQUALS` / `NOT_EQUALS_IGNORE_CASE`: no value of the claim equals it (a missing claim
  matches: it equals nothing);
- `CONTAINS`: some value of the claim equals the rule's value, the value written either bare or
  JSON-quoted (`"\\"sre\\""`, as IBM's Terraform example writes it);
- `IN`: the rule's value is a list (a JSON array, or comma-separated) and some value of the claim
  is in it.
A claim that is absent matches only the NOT_ operators. An unknown operator never matches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iamcheck.emulator.backend.group_model import SEED_TIME, Member

if TYPE_CHECKING:
    from iamcheck.emulator.backend.groups import GroupStore

OPERATORS = frozenset({"EQUALS", "EQUALS_IGNORE_CASE", "IN", "NOT_EQUALS",
                       "NOT_EQUALS_IGNORE_CASE", "CONTAINS"})


def _values(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [v for v in claim if isinstance(v, str)]
    return []


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError:
            return value
        return loaded if isinstance(loaded, str) else value
    return value


def _listed(value: str) -> list[str]:
    try:
        loaded = json.loads(value)
    except json.JSONDecodeError:
        loaded = None
    if isinstance(loaded, list):
        return [str(v) for v in loaded]
    return [part.strip() for part in value.split(",") if part.strip()]


def condition_holds(condition: Mapping[str, Any], claims: Mapping[str, Any]) -> bool:
    operator, wanted = condition.get("operator"), str(condition.get("value", ""))
    present = _values(claims.get(str(condition.get("claim"))))
    fold = str(operator).endswith("IGNORE_CASE")

    def norm(text: str) -> str:
        return text.casefold() if fold else text

    have = [norm(v) for v in present]
    if operator in ("EQUALS", "EQUALS_IGNORE_CASE"):
        return norm(wanted) in have
    if operator in ("NOT_EQUALS", "NOT_EQUALS_IGNORE_CASE"):
        return norm(wanted) not in have
    if operator == "CONTAINS":
        return _unquote(wanted) in have
    if operator == "IN":
        return any(v in _listed(wanted) for v in have)
    return False


def rule_matches(rule: Mapping[str, Any], login: Mapping[str, Any] | None) -> bool:
    """Does a sign-in through `login.realm` with `login.claims` satisfy the rule (all its
    conditions, and its realm_name)?"""
    if not login or login.get("realm") != rule.get("realm_name"):
        return False
    claims = login.get("claims") or {}
    conditions = rule.get("conditions") or []
    return bool(conditions) and all(condition_holds(c, claims) for c in conditions)


def join_at_login(groups: GroupStore, seed: Mapping[str, Any]) -> None:
    """Add every user whose seed `login` satisfies one of a group's rules to that group's
    dynamic members, as IBM does when they sign in."""
    for user in seed.get("users", []):
        login = user.get("login")
        if not login:
            continue
        for group in groups.groups.values():
            if user["iam_id"] in group.dynamic:
                continue
            if any(rule_matches({"realm_name": r.realm_name, "conditions": r.conditions}, login)
                   for r in group.rules.values()):
                group.dynamic[user["iam_id"]] = Member(user["iam_id"], "user", SEED_TIME, "system")
