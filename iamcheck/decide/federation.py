"""Federated-login rules (P3 dynamic rules, P5 profile claim rules) against a user's claims.

IBM evaluates a rule only when the user signs in through the identity provider it names
(`realm_name`, an issuer URL or `appid://<realm>`), and admits the user when every condition
holds. Operators, as IBM's "IAM condition properties" page describes them:

- EQUALS / NOT_EQUALS: case-sensitive string comparison (booleans and numbers as strings);
- EQUALS_IGNORE_CASE / NOT_EQUALS_IGNORE_CASE: the same, ignoring case;
- IN: the claim equals one of the rule's values;
- CONTAINS: for a multi-valued claim, one of its values equals the rule's value; for a single
  string, the rule's value is a substring of it.

What IBM does not document is MAYBE (the path stays uncertain): EQUALS, NOT_EQUALS and IN
against a multi-valued claim, a negation of an absent claim, an operator iamcheck does not know.
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
        return tri(values[0] in claim)  # substring of a single string
    if isinstance(claim, tuple):
        return Tri.MAYBE  # undocumented: EQUALS/IN/NOT_* against a list
    if op == "IN":
        return tri(claim in values)
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
