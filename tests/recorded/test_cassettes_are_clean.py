"""No cassette holds a secret: no bearer token, no JWT but the scrubbed placeholder, no API
key, no refresh token, no credential header, no real person's email."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.recorded.conftest import SCRUBBED, SCRUBBED_TOKEN

CASSETTES = Path(__file__).parent / "cassettes"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
KEYED = re.compile(
    r"""(apikey|api_key|refresh_token|access_token|ims_token|client_secret|password)"""
    r"""(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?([^"'&\s,}\\]*)""",
    re.IGNORECASE,
)
CREDENTIAL_HEADERS = ("authorization", "iam-apikey", "cookie", "set-cookie", "x-auth-token")


def problems(text: str) -> list[str]:
    """What in `text` looks like a secret (or a person), each named."""
    found = []
    if re.search(r"bearer\s+[A-Za-z0-9_.-]{8,}", text, re.IGNORECASE):
        found.append("a bearer token")
    found += [f"a JWT {m[:12]}..." for m in JWT.findall(text) if m != SCRUBBED_TOKEN]
    for name, value in KEYED.findall(text):
        if value and value not in (SCRUBBED, SCRUBBED_TOKEN, "not_supported"):
            found.append(f"{name} = {value[:6]}...")
    found += [f"the email {m}" for m in EMAIL.findall(text) if not m.endswith("@example.com")]
    return found


def _strings(value: object) -> list[str]:
    """Every string in a loaded cassette, bodies decoded: what a reader of it would see."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    return [value] if isinstance(value, str) else []


def _files() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert len(_files()) >= 7


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_no_cassette_holds_a_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    cassette = yaml.safe_load(text)
    assert problems(text) == [], path.name
    assert problems("\n".join(_strings(cassette))) == [], path.name
    for interaction in cassette["interactions"]:
        for part in (interaction["request"], interaction["response"]):
            names = {h.lower() for h in part.get("headers") or {}}
            assert not names & set(CREDENTIAL_HEADERS), (path.name, names)


@pytest.mark.parametrize(
    "dirty",
    [
        "Authorization: Bearer abcdefgh12345678",
        "grant_type=x&apikey=real-key-123",
        '"refresh_token": "OKXPRrk9wqg"',
        "eyJhbGciOiJSUzI1NiJ9.eyJpYW1faWQiOiJ4In0.c2ln",
        '"email": "someone@ibm.com"',
        '{\\"access_token\\": \\"abc123\\"}',
    ],
)
def test_the_scan_finds_what_it_looks_for(dirty: str) -> None:
    assert problems(dirty)


def test_the_placeholders_are_clean() -> None:
    clean = (f'"access_token": "{SCRUBBED_TOKEN}", "refresh_token": "SCRUBBED", '
             '"token_type": "Bearer" apikey=SCRUBBED ana@example.com')
    assert problems(clean) == []
