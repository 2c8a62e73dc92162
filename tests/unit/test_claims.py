"""The --claims FILE parser: frozen values out, or one-line BadInput naming the bad key."""

from __future__ import annotations

import json

import pytest

from iamcheck.claims import parse_claims
from iamcheck.errors import BadInput, ExitCode
from iamcheck.model import User

IDP = "https://idp.example.com/saml"


def test_keys_by_email_iam_id_and_everyone_else() -> None:
    claims = parse_claims(json.dumps({
        "Alice@Example.com": {"realm": IDP, "claims": {"groups": ["a", "b"], "dept": "ops"}},
        "IBMid-2": {"realm": None, "claims": {}},
        "*": {"realm": IDP, "claims": {"isManager": True, "level": 3}},
    }))
    alice = claims.for_user(User("IBMid-1", "alice@example.com", "ACTIVE"))
    assert alice is not None and alice.realm == IDP
    assert alice.get("groups") == ("a", "b") and alice.get("dept") == "ops"
    assert alice.get("missing") is None
    bob = claims.for_user(User("IBMid-2", "bob@example.com", "ACTIVE"))
    assert bob is not None and bob.realm is None
    other = claims.for_user(User("IBMid-3", "carol@example.com", "ACTIVE"))
    assert other is not None and other.get("isManager") == "true" and other.get("level") == "3"


def test_without_a_star_unnamed_users_are_not_covered() -> None:
    claims = parse_claims(json.dumps({"IBMid-1": {"realm": IDP, "claims": {}}}))
    assert claims.for_user(User("IBMid-9", "x@example.com", "ACTIVE")) is None


def test_values_are_frozen_and_hashable() -> None:
    claims = parse_claims(json.dumps({"*": {"realm": IDP, "claims": {"g": ["x"]}}}))
    assert hash(claims) == hash(parse_claims(json.dumps({"*": {"realm": IDP,
                                                                   "claims": {"g": ["x"]}}})))


@pytest.mark.parametrize(("data", "named"), [
    ({"bob@example.com": "not an object"}, "bob@example.com"),
    ({"bob@example.com": {"claims": {}}}, "bob@example.com"),
    ({"IBMid-1": {"realm": 7, "claims": {}}}, "IBMid-1"),
    ({"IBMid-1": {"realm": "", "claims": {}}}, "IBMid-1"),
    ({"IBMid-1": {"realm": IDP, "claims": []}}, "IBMid-1"),
    ({"IBMid-1": {"realm": IDP, "claims": {"groups": {"nested": 1}}}}, "groups"),
    ({"IBMid-1": {"realm": IDP, "claims": {"groups": [["x"]]}}}, "groups"),
    ({"IBMid-1": {"realm": IDP, "claim": {}}}, "claim"),
    ({"  ": {"realm": IDP, "claims": {}}}, '"  "'),
    ({"A@example.com": {"realm": IDP}, "a@example.com": {"realm": IDP}}, "a@example.com"),
])
def test_bad_entries_name_the_key(data: dict[str, object], named: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_claims(json.dumps(data), "claims.json")
    text = str(err.value)
    assert named in text and text.startswith("claims.json") and "\n" not in text
    assert err.value.exit_code is ExitCode.BAD_INPUT


@pytest.mark.parametrize("text", ["", "[1, 2]", "{not json", '"a string"', "[" * 100000])
def test_not_an_object(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_claims(text)
    assert "\n" not in str(err.value)


def test_control_characters_in_keys_do_not_reach_the_terminal() -> None:
    with pytest.raises(BadInput) as err:
        parse_claims(json.dumps({"evil\x1b[2J": 1}))
    assert "\x1b" not in str(err.value)
