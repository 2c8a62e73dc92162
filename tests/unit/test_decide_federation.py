"""Dynamic-rule and profile claim-rule conditions (P3, P5) with IBM's operators."""

from __future__ import annotations

import pytest

from iamcheck.decide.federation import admits, condition, rule_values
from iamcheck.decide.tri import Tri
from iamcheck.model import RuleClaim, UserClaims

IDP = "https://idp.example.com/saml"


def c(operator: str, value: str, claim: str = "groups") -> RuleClaim:
    return RuleClaim(claim, operator, value)


@pytest.mark.parametrize(("rule", "claim", "expected"), [
    (c("EQUALS", "admins"), "admins", Tri.YES),
    (c("EQUALS", "admins"), "Admins", Tri.NO),
    (c("EQUALS", '"admins"'), "admins", Tri.YES),  # IBM stores JSON text
    (c("EQUALS", "true"), "true", Tri.YES),
    (c("EQUALS_IGNORE_CASE", "tRuE"), "TRUE", Tri.YES),
    (c("EQUALS_IGNORE_CASE", "admins"), "ops", Tri.NO),
    (c("NOT_EQUALS", "admins"), "ops", Tri.YES),
    (c("NOT_EQUALS", "admins"), "admins", Tri.NO),
    (c("NOT_EQUALS_IGNORE_CASE", "ADMINS"), "admins", Tri.NO),
    (c("NOT_EQUALS_IGNORE_CASE", "ADMINS"), "ops", Tri.YES),
    (c("IN", '["Manager", "Director"]'), "Director", Tri.YES),
    (c("IN", '["Manager", "Director"]'), "director", Tri.NO),
    (c("CONTAINS", "sre"), ("dev", "sre"), Tri.YES),  # a list: one value equals
    (c("CONTAINS", "sre"), ("dev", "sre-lead"), Tri.NO),  # ... by Equals, not substring
    # a single string: IBM does not say substring or equality, so uncertain where they differ
    (c("CONTAINS", "sre"), "team-sre-eu", Tri.MAYBE),
    (c("CONTAINS", "sre"), "sre", Tri.YES),  # both readings agree
    (c("IN", "sre,ops"), "ops", Tri.MAYBE),  # plain text with commas: one value, or a list?
    (c("IN", "sre,ops"), "dev", Tri.NO),
    (c("CONTAINS", "sre"), "dev", Tri.NO),
    # what IBM does not document stays uncertain
    (c("EQUALS", "sre"), ("sre",), Tri.MAYBE),
    (c("IN", '["a"]'), ("a",), Tri.MAYBE),
    (c("NOT_EQUALS", "sre"), ("dev",), Tri.MAYBE),
    (c("NOT_EQUALS", "sre"), None, Tri.MAYBE),
    (c("STARTS_WITH", "s"), "sre", Tri.MAYBE),
    # an absent claim cannot equal or contain anything
    (c("EQUALS", "sre"), None, Tri.NO),
    (c("CONTAINS", "sre"), None, Tri.NO),
])
def test_operators(rule: RuleClaim, claim: str | tuple[str, ...] | None, expected: Tri) -> None:
    assert condition(rule, claim) is expected


def test_rule_values_read_json_or_plain_text() -> None:
    assert rule_values('"x"') == ("x",)
    assert rule_values('["a", 1, true]') == ("a", "1", "true")
    assert rule_values("plain text") == ("plain text",)
    assert rule_values('{"a": 1}') == ('{"a": 1}',)


def test_the_realm_must_be_the_rules_identity_provider() -> None:
    rule = (c("CONTAINS", "sre"),)
    assert admits(IDP, rule, None) is Tri.MAYBE  # no claims: uncertain
    assert admits(IDP, rule, UserClaims(IDP, (("groups", ("sre",)),))) is Tri.YES
    assert admits(IDP, rule, UserClaims(IDP + "/other", (("groups", ("sre",)),))) is Tri.NO
    assert admits(IDP, rule, UserClaims(None, (("groups", ("sre",)),))) is Tri.NO
    # IBM's rules carry conditions; what one without admits is undocumented
    assert admits(IDP, (), UserClaims(IDP)) is Tri.MAYBE
    both = (c("CONTAINS", "sre"), c("EQUALS", "eu", claim="region"))
    assert admits(IDP, both, UserClaims(IDP, (("groups", ("sre",)),))) is Tri.NO  # all needed
