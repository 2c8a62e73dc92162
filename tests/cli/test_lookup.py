"""One rule to find what the user named, in every command: an exact id, then an exact name, then
the name in any case; ambiguity and absence are exit 2 with one line."""

from __future__ import annotations

from typing import Any

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import NOTHING, Invoke
from tests.conftest import Emulator

AT = "2026-11-27T12:00:00+00:00"



def _payments(demo: Emulator) -> dict[str, Any]:
    return next(g for g in demo.backend.seed["resource_groups"] if g["name"] == "payments")


@pytest.mark.parametrize("spelling", ["id", "payments", "PAYMENTS", "Payments"])
def test_audit_and_grant_accept_the_same_resource_group_spellings(
        demo: Emulator, against: Invoke, spelling: str) -> None:
    group = _payments(demo)
    text = group["id"] if spelling == "id" else spelling
    audit = against("audit", "--resource-group", text, "--at", AT, "-f", "json")
    assert audit.exit_code == ExitCode.OK, audit.stderr
    chosen = {i["resource_group"]["id"] for i in audit.json()["instances"]}
    assert chosen == {group["id"]}
    grant = against("grant", NOTHING, "--resource-group", text, "--dry-run", "-f", "json")
    assert grant.exit_code in (ExitCode.OK, ExitCode.FINDING), grant.stderr
    assert grant.json()["scope"]["id"] == group["id"]


@pytest.mark.parametrize("command", [("audit",), ("grant", NOTHING, "--dry-run")])
def test_an_unknown_resource_group_is_one_line_exit_2(against: Invoke,
                                                      command: tuple[str, ...]) -> None:
    run = against(*command, "--resource-group", "nowhere")
    assert run.exit_code == ExitCode.BAD_INPUT
    assert run.stderr.count("\n") == 1
    assert "--resource-group: no resource group 'nowhere' in account" in run.stderr


@pytest.mark.parametrize("spelling", ["on-call", "ON-CALL"])
def test_audit_and_grant_accept_the_same_access_group_spellings(
        against: Invoke, spelling: str) -> None:
    audit = against("audit", "--access-group", spelling, "--at", AT, "-f", "json")
    assert audit.exit_code == ExitCode.OK, audit.stderr
    assert audit.json()["subjects"]
    grant = against("grant", "--access-group", spelling, "-i", "pay-api-02", "--dry-run",
                    "-f", "json")
    assert grant.exit_code in (ExitCode.OK, ExitCode.FINDING), grant.stderr
    assert grant.json()["subjects"][0]["subject"]["label"] == "on-call"
