"""Redaction: the run's secrets and anything shaped like one leave no trace in printed text."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iamcheck.redact import MARK, RedactingFilter, Redactor, redact_shapes

# Invented values of the real shapes (an IBM API key is 44 characters of [A-Za-z0-9_-]).
APIKEY = "Zx8_kQ2-vLm4Np7Rt1Ws9Yb3Cd6Fg0Hj5Kl8Mn2Pq4St"
assert len(APIKEY) == 44


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'x'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1yZWFs"


TOKEN = _jwt({"iam_id": "IBMid-100000AAAA", "exp": 1})
REFRESH = "OKBt3vZ8yJq1Lw0Xn5Rk2Pa9Sd4Gh7Fj6Cm3Vb8Nz1Qx4Ty7Ue0Io2Wr5Ep9As"
ODD = "my key/with+odd=chars&more"  # a secret whose encoded forms differ from the raw one


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([APIKEY, TOKEN, REFRESH, ODD])


def _clean(text: str) -> None:
    for secret in (APIKEY, TOKEN, REFRESH, ODD):
        assert secret not in text
        assert quote(secret, safe="") not in text
    assert "c2lnbmF0dXJl" not in text  # not even a piece of the token


CASES = [
    f"BXNIM0415E: Provided API key could not be found. apikey={APIKEY}",
    f"POST https://iam.example/identity/token?grant_type=x&apikey={APIKEY}&response_type=y",
    "GET https://h.example/v1?" + urlencode({"apikey": ODD}),
    json.dumps({"errorMessage": "bad", "context": {"apikey": APIKEY, "refresh_token": REFRESH}}),
    json.dumps({"echo": f"you sent {ODD}"}),
    f"{{'Authorization': 'Bearer {TOKEN}', 'Accept': 'application/json'}}",
    f"Authorization: Bearer {TOKEN}",
    f"token was {TOKEN}, refresh {REFRESH}",
    f"IBMCLOUD_API_KEY={APIKEY}",
    f"apikey: '{APIKEY}'",
    f"key in a path /v1/keys/{APIKEY}/details",
]


@pytest.mark.parametrize("text", CASES)
def test_held_secrets_are_removed(redactor: Redactor, text: str) -> None:
    out = redactor.redact(text)
    _clean(out)
    assert MARK in out


@pytest.mark.parametrize("text", [c for c in CASES if ODD not in c and quote(ODD) not in c
                                  and json.dumps(ODD)[1:-1] not in c])
def test_secret_shapes_are_removed_without_knowing_them(text: str) -> None:
    out = redact_shapes(text)
    _clean(out)


@pytest.mark.parametrize(("text", "kept"), [
    ('{"apikey": "abc", "name": "ci"}', '"name": "ci"'),
    ("apikey=abc&account=6d5c4b3a", "account=6d5c4b3a"),
    ("token_type: Bearer", "token_type"),
])
def test_named_values_go_and_their_neighbours_stay(text: str, kept: str) -> None:
    out = redact_shapes(text)
    assert "abc" not in out and kept in out


@pytest.mark.parametrize("text", [
    "group AccessGroupId-PublicAccess has 3 members",
    "instance 0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a301 in us-south-1",
    "policy 7b3e0001-2f1a-4c6d-9e8b-5a0c7d2e0001 grants Viewer",
    "crn:v1:bluemix:public:is:us-south-1:a/6d5c4b3a2f1e40d9a8b7c6d5e4f3a2b1::instance:x",
    "iam-ServiceId-7c2a9e41-5d3b-4f60-8a1e-2b9c0d4e6f01 apikey_id ApiKey-1234",
])
def test_ordinary_ids_are_kept(text: str) -> None:
    assert Redactor([APIKEY]).redact(text) == text


def test_a_secret_added_later_is_removed_too() -> None:
    redactor = Redactor()
    redactor.add("")  # ignored, does not redact everything
    assert redactor.redact("plain") == "plain"
    redactor.add("late-opaque-refresh-token-value")
    assert "late-opaque" not in redactor.redact("got late-opaque-refresh-token-value back")


@given(prefix=st.text(), suffix=st.text())
def test_a_held_secret_never_survives_any_surrounding(prefix: str, suffix: str) -> None:
    out = Redactor([REFRESH]).redact(prefix + REFRESH + suffix)
    assert REFRESH not in out


def test_log_records_and_tracebacks_are_redacted(redactor: Redactor) -> None:
    logger = logging.getLogger("iamcheck.test.redact")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RedactingFilter(redactor))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST %s with %s", "https://iam.example/token", {"apikey": APIKEY})
        try:
            raise RuntimeError(f"server said Authorization: Bearer {TOKEN}")
        except RuntimeError:
            logger.exception("failed for %s", ODD)
    finally:
        logger.removeHandler(handler)
    assert len(records) == 2
    formatted = "\n".join(logging.Formatter().format(r) for r in records)
    _clean(formatted)
    assert "RuntimeError" in formatted  # the trace is kept, only the secret goes


def test_long_lower_case_ids_are_not_taken_for_keys() -> None:
    hex_id = "6d5c4b3a2f1e40d9a8b7c6d5e4f3a2b16d5c4b3a2f1e40d9"
    assert redact_shapes(f"account {hex_id}") == f"account {hex_id}"
    profile = "iam-Profile-9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e"
    assert redact_shapes(f"member {profile}") == f"member {profile}"


def test_the_redactor_never_shows_its_secrets(redactor: Redactor) -> None:
    for text in (repr(redactor), str(redactor)):
        _clean(text)
