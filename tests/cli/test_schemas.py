"""The published JSON Schemas (iamcheck/schemas/) hold for the real output of each command on
the demo, carry the code's schema_version, and `iamcheck schema NAME` prints them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from iamcheck.audit.document import AUDIT_SCHEMA_VERSION
from iamcheck.check.document import SCHEMA_VERSION as CHECK_VERSION
from iamcheck.console.document import SCHEMA_VERSION as CONSOLE_VERSION
from iamcheck.grant.document import SCHEMA_VERSION as GRANT_VERSION
from iamcheck.read.snapshot import SCHEMA_VERSION as SNAPSHOT_VERSION
from iamcheck.schemas import NAMES, schema
from tests.cli.conftest import NOTHING, VM, Invoke

VERSIONS = {"audit": AUDIT_SCHEMA_VERSION, "check": CHECK_VERSION, "grant": GRANT_VERSION,
            "revoke": GRANT_VERSION, "console": CONSOLE_VERSION, "snapshot": SNAPSHOT_VERSION}
HOLDER = "ravi.lindqvist@example.com"  # allowed on every demo instance
UNSURE = "yusuf.carrow@example.com"  # unknown on pay-api-02


def valid(name: str, doc: Any) -> None:
    Draft202012Validator(schema(name)).validate(doc)


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_draft_2020_12_and_carries_the_code_version(name: str) -> None:
    found = schema(name)
    assert found["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(found)
    assert found["properties"]["schema_version"] == {
        "const": VERSIONS[name],
        "description": "Raised on any change to this document's shape; see CHANGELOG.md."}


def test_audit_output_holds(against: Invoke, tmp_path: Path) -> None:
    valid("audit", against("audit", "--output", "json").json())
    expect = tmp_path / "expect"
    expect.write_text(f"{HOLDER}\n{NOTHING}\n")
    run = against("audit", "--output", "json", "--expect", str(expect), "--only-expected")
    assert run.exit_code == 1
    valid("audit", run.json())


@pytest.mark.parametrize("user", [HOLDER, NOTHING, UNSURE])
def test_check_output_holds(against: Invoke, user: str) -> None:
    valid("check", against("check", "-u", user, "-i", VM, "--output", "json").json())


def test_grant_and_revoke_output_holds(against: Invoke) -> None:
    for args in (("--dry-run",), ("--ttl", "8h", "--yes"), ("--yes",)):
        valid("grant", against("grant", NOTHING, "-i", VM, "--output", "json", *args).json())
    group = ("--access-group", "data-analysts", "--resource-group", "payments")
    valid("grant", against("grant", *group, "--yes", "--output", "json").json())
    for args in ((NOTHING, "-i", VM, "--dry-run"), (NOTHING, "-i", VM, "--yes"),
                 (*group, "--yes")):
        valid("revoke", against("revoke", *args, "--output", "json").json())


@pytest.mark.parametrize("instance", [VM, "pay-batch-ca"])
def test_console_output_holds(against: Invoke, instance: str) -> None:
    valid("console", against("console", instance, "--preflight-only", "--output", "json").json())


def test_snapshot_holds(against: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    assert against("snapshot", "-o", str(path)).exit_code == 0
    valid("snapshot", json.loads(path.read_text()))


def test_a_document_of_another_version_does_not_hold(against: Invoke) -> None:
    doc = against("check", "-u", HOLDER, "-i", VM, "--output", "json").json()
    doc["schema_version"] += 1
    with pytest.raises(jsonschema.ValidationError):
        valid("check", doc)
    del doc["verdict"]
    doc["schema_version"] -= 1
    with pytest.raises(jsonschema.ValidationError):
        valid("check", doc)


def test_schema_command_prints_each(cli: Invoke) -> None:
    for name in NAMES:
        run = cli("schema", name)
        assert run.exit_code == 0 and json.loads(run.stdout) == schema(name)
    assert cli("schema", "list").stdout.split() == list(NAMES)
    bad = cli("schema", "nope")
    assert bad.exit_code == 2 and "one of: audit" in bad.stderr


def test_the_console_schema_names_every_preflight_check_and_status() -> None:
    """The enums are the code's closed sets: a new check cannot ship undocumented."""
    from typing import get_args

    from iamcheck.console.preflight import Check, Status

    item = schema("console")["properties"]["preflight"]["items"]["properties"]
    assert item["check"]["enum"] == list(get_args(Check))
    assert item["status"]["enum"] == list(get_args(Status))
