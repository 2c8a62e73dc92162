"""Federated-login rules (P3 dynamic rules, P5 profile claim rules) against a user's claims.

IBM evaluates a rule only when the user signs in through the identity provider it names
(`realm_name`, an issuer URL or `appid://<realm>`), and admits the user when every condition
holds. Operators, as IBM's "IAM condition properties" page describes them:

- EQUALS / NOT_EQUALS: case-sensitive string comparison (booleans and numbers as strings);
- EQUALS_IGNORE_CASE / NOT_EQUALS_IGNORE_CASE: the same, ignoring case;
- IN: the claim equals one of the rule's values (a JSON list, as IBM stores it);
- CONTAINS: for a multi-valued claim, one of its values equals the rule's value (IBM's one
  example: `blueGroups CONTAINS "\"group\""`).

What IBM does not document is MAYBE (the path stays uncertain): EQUALS, NOT_EQUALS and IN
against a multi-valued claim, a negation of an absent claim, an operator iamcheck does not know,
a rule without conditions. Two readings IBM leaves open are MAYBE exactly where they differ:
CONTAINS against a single string (substring, or equality) when the rule's value is a proper
part of the claim; IN with a plain-text value holding commas (one value, or a comma-separated
list) when the claim is one of its parts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from iamcheck.decide.tri import Tri, all_of, tri
from iamcheck.model import RuleClaim, UserClaims

OPERATORS = ("EQUALS", "EQUALS_IGNORE_CASE", "IN", "NOT_EQUALS", "NOT_EQUALS_IGNORE_CASE",
             "CONTAINS")


def admits(realm_name: str, conditions: Iterable[RuleClaim], claims: UserClaims | None) -> Tri:
    """Whether a rule admits the user: MAYBE without claims, else YES/NO (MAYBE if undecidable)."""
    if claims is None:
        return Tri.MAYBE
    if claims.realm is None or claims.realm != realm_name:
        return Tri.NO  # the rule is evaluated only for logins through its own IdP
    conditions = tuple(conditions)
    if not conditions:
        return Tri.MAYBE  # IBM's rules carry conditions: what an empty one admits is unknown
    return all_of(condition(c, claims.get(c.claim)) for c in conditions)


def rule_values(text: str) -> tuple[str, ...]:
    """A rule condition's value: IBM stores JSON text ("\\"admins\\"", "[\\"a\\",\\"b\\"]");
    plain text is taken as it is."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return (text,)
    items = parsed if isinstance(parsed, list) else [parsed]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            return (text,)
    return tuple(out)


def _plain(text: str) -> bool:
    """Whether a rule value is plain text rather than JSON."""
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def condition(cond: RuleClaim, claim: str | tuple[str, ...] | None) -> Tri:
    op = cond.operator.upper()
    values = rule_values(cond.value)
    if op not in OPERATORS:
        return Tri.MAYBE
    if claim is None:
        return Tri.MAYBE if op.startswith("NOT_") else Tri.NO
    if op == "CONTAINS":
        if len(values) != 1:
            return Tri.MAYBE
        if isinstance(claim, tuple):
            return tri(values[0] in claim)
        if claim == values[0]:
            return Tri.YES  # equal: a member, a substring, the same string
        return Tri.MAYBE if values[0] in claim else Tri.NO  # substring or equality: undocumented
    if isinstance(claim, tuple):
        return Tri.MAYBE  # undocumented: EQUALS/IN/NOT_* against a list
    if op == "IN":
        if claim in values:
            return Tri.YES
        listed = cond.value.split(",") if _plain(cond.value) and "," in cond.value else []
        return Tri.MAYBE if claim in (v.strip() for v in listed) else Tri.NO
    if len(values) != 1:
        return Tri.MAYBE
    wanted = values[0]
    fold = op in ("EQUALS_IGNORE_CASE", "NOT_EQUALS_IGNORE_CASE")
    same = claim.casefold() == wanted.casefold() if fold else claim == wanted
    return tri(not same) if op.startswith("NOT_") else tri(same)


def describe(realm_name: str, conditions: Iterable[RuleClaim]) -> str:
    """'anyone who signs in through <realm> with <claim OP value> and ...'."""
    parts = [f"{c.claim} {c.operator} {c.value}" for c in conditions]
    return f"signs in through {realm_name or '(no identity provider named)'}" + (
        " with " + " and ".join(parts) if parts else "")
