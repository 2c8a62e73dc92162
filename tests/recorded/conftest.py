"""Recorded HTTP (vcrpy through pytest-recording): IBM's answers replayed through IBM's SDK
models and iamcheck's own parsers.

Target: IAMCHECK_TEST_TARGET=emulator (default) records against a served emulator with the
demo account; IAMCHECK_TEST_TARGET=ibm records against IBM Cloud's public endpoints with
IBMCLOUD_API_KEY. Replaying (record mode "none", the default) needs neither: what a test sends
is built from cassettes/facts.json, written when the cassettes were recorded.

Everything secret is scrubbed on record: Authorization and IAM-ApiKey headers, the `apikey`
form field, access and refresh tokens in token answers; so are people's emails and names."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

HERE = Path(__file__).parent
FACTS = HERE / "cassettes" / "facts.json"
SCRUBBED = "SCRUBBED"
# What an access token becomes in a cassette: a JWT the SDK can decode (it reads exp and iat),
# signed with nothing; its claims are placeholders.
SCRUBBED_TOKEN = (
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJpYW1faWQiOiJJQk1pZC1TQ1JVQkJFRCIsImFjY291bnQiOnsiYnNzIjoic2NydWJiZWQifSwiaWF0IjoxNzAw"
    "MDAwMDAwLCJleHAiOjQxMDI0NDQ4MDB9."
    "c2NydWJiZWQ"
)
KEPT_HEADERS = {"content-type", "retry-after", "etag", "location"}
VOLATILE_QUERY = {"version", "generation"}  # the SDKs' API version dates change with releases
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PERSONAL = ("firstname", "lastname", "user_id", "phonenumber", "altphonenumber", "photo")
PROBE_INSTANCE = "iamcheck-cassette-probe"  # policies made while recording name no real VM
IBM_URLS = {
    "iam": "https://iam.cloud.ibm.com",
    "policies": "https://iam.cloud.ibm.com",
    "groups": "https://iam.cloud.ibm.com",
    "users": "https://user-management.cloud.ibm.com",
    "vpc": "https://us-south.iaas.cloud.ibm.com/v1",
}


def target_name() -> str:
    name = os.environ.get("IAMCHECK_TEST_TARGET", "emulator")
    if name not in ("emulator", "ibm"):
        raise pytest.UsageError("IAMCHECK_TEST_TARGET must be 'emulator' or 'ibm'")
    return name


@dataclass
class Target:
    """Where requests go (recording) or seem to go (replaying), with what they need."""

    name: str
    apikey: str
    urls: dict[str, str]
    facts: dict[str, Any] = field(default_factory=dict)
    recording: bool = False
    server: Any = None  # the served emulator, when recording against it

    def client(self, cls: type[Any], url: str) -> Any:
        service = cls(authenticator=IAMAuthenticator(self.apikey, url=self.urls["iam"]))
        service.set_service_url(self.urls[url])
        return service


def _emulator_target() -> Iterator[Target]:
    from iamcheck.emulator import Backend, EmulatorServer, demo_seed

    seed = demo_seed()
    with EmulatorServer(Backend(seed)) as server:
        url = server.url
        urls = {"iam": url, "policies": url, "groups": url, "users": url,
                "vpc": f"{url}/vpc/us-south/v1"}
        yield Target("emulator", seed["api_keys"][0]["apikey"], urls, recording=True,
                     server=server)


def _caller_facts(target: Target) -> dict[str, Any]:
    import jwt

    manager = IAMAuthenticator(target.apikey, url=target.urls["iam"]).token_manager
    claims = jwt.decode(manager.get_token(), options={"verify_signature": False})
    return {"target": target.name, "account_id": claims["account"]["bss"],
            "iam_id": claims["iam_id"], "urls": target.urls, "probe_instance": PROBE_INSTANCE}


@pytest.fixture(scope="session")
def target(record_mode: str) -> Iterator[Target]:
    if record_mode == "none":
        if not FACTS.exists():
            pytest.skip("no cassettes recorded yet (see tests/recorded/README.md)")
        facts = json.loads(FACTS.read_text())
        yield Target(facts["target"], SCRUBBED, facts["urls"], facts)
        return
    if target_name() == "ibm":
        apikey = os.environ.get("IBMCLOUD_API_KEY", "")
        if not apikey:
            pytest.fail("recording against IBM Cloud needs IBMCLOUD_API_KEY")
        targets: Iterator[Target] = iter([Target("ibm", apikey, dict(IBM_URLS), recording=True)])
    else:
        targets = _emulator_target()
    for found in targets:
        found.facts = _caller_facts(found)
        FACTS.parent.mkdir(exist_ok=True)
        FACTS.write_text(json.dumps(found.facts, indent=1, sort_keys=True) + "\n")
        yield found


# --- scrubbing, on record -----------------------------------------------------------------


def _pseudonym(text: str) -> str:
    return "person-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _scrub_value(key: str, value: Any) -> Any:
    if key in ("access_token", "ims_token"):
        return SCRUBBED_TOKEN
    if key in ("refresh_token", "apikey"):
        return SCRUBBED
    if key in PERSONAL and isinstance(value, str) and value:
        return _pseudonym(value)
    return _scrub(value)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return EMAIL.sub(
            lambda m: m.group(0) if m.group(0).endswith("@example.com")
            else _pseudonym(m.group(0)) + "@example.com",
            value,
        )
    return value


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response["headers"]
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    body = response["body"].get("string") or b""
    try:
        doc = json.loads(body)
    except ValueError:
        return response
    response["body"]["string"] = json.dumps(_scrub(doc), indent=1).encode()
    return response


def _query_without_versions(r1: Any, r2: Any) -> None:
    def query(request: Any) -> list[tuple[str, str]]:
        pairs = parse_qsl(urlsplit(request.uri).query, keep_blank_values=True)
        return sorted((k, v) for k, v in pairs if k not in VOLATILE_QUERY)

    assert query(r1) == query(r2)


def pytest_recording_configure(config: Any, vcr: Any) -> None:
    vcr.register_matcher("query_without_versions", _query_without_versions)


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return {
        # user-agent: it names this machine's kernel and Python
        "filter_headers": [("authorization", None), ("iam-apikey", None), ("cookie", None),
                           ("user-agent", None)],
        "filter_post_data_parameters": [("apikey", SCRUBBED)],
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "path", "query_without_versions", "body"],
    }
