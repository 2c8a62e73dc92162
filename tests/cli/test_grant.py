"""`iamcheck grant` and `iamcheck revoke` on the served demo account, end to end over HTTP."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from iamcheck.errors import ExitCode
from iamcheck.grant.log import read_entries
from tests.cli.conftest import NOTHING, VM, Invoke, Run, active, posts
from tests.conftest import Emulator

OPERATOR_ONLY = "theo.quill@example.com"  # Operator on pay-api-02, no Console Administrator
BY_GROUP = "ravi.lindqvist@example.com"  # both roles through the on-call group
PENDING = "felix.umbridge@example.com"  # in on-call, but PENDING (V4)
VM_ID = "0727_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a302"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
MATEO_OPERATOR = "7b3e0006-2f1a-4c6d-9e8b-5a0c7d2e0006"  # seed policy, not iamcheck's


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default audit log lands in the test's directory, never in the real home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run(against: Invoke, log: Path, *args: str, input: str | None = None) -> Run:
    return against(*args, "--log", str(log), input=input)


def by_label(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["subject"]["label"]: s for s in doc["subjects"]}


def test_the_four_cases_end_verified_with_the_fewest_policies(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = active(demo)
    users = run(against, log, "grant", NOTHING, OPERATOR_ONLY.upper(), BY_GROUP, "-i", VM,
                "--yes", "--format", "json")
    assert users.exit_code == ExitCode.OK, users.stderr
    doc = by_label(users.json())
    assert {k: v["final_verdict"] for k, v in doc.items()} == dict.fromkeys(
        (NOTHING, OPERATOR_ONLY, BY_GROUP), "allow")
    assert doc[BY_GROUP]["status"] == "allowed" and doc[BY_GROUP]["result"] is None
    created = {k: active(demo)[v["result"]["policy_id"]] for k, v in doc.items() if v["result"]}
    assert len(active(demo)) == len(before) + 2
    assert [r["role_id"] for r in created[NOTHING]["control"]["grant"]["roles"]] == [
        OPERATOR, CONSOLE]
    assert [r["role_id"] for r in created[OPERATOR_ONLY]["control"]["grant"]["roles"]] == [
        CONSOLE]
    assert all(v["result"]["visible"] for v in doc.values() if v["result"])
    for who in (NOTHING, OPERATOR_ONLY, BY_GROUP):  # check agrees with what grant verified
        assert against("check", "-u", who, "-i", VM, "-q").exit_code == ExitCode.OK

    group = run(against, log, "grant", "--access-group", "payments-console",
                "--resource-group", "payments", "--yes", "--format", "json")
    assert group.exit_code == ExitCode.OK, group.stderr
    entry = group.json()["subjects"][0]
    assert entry["before"]["missing"] == ["is.instance.instance.operate"]
    assert entry["after"] == {**entry["after"], "verdict": "allow", "instances": 5,
                              "allowed_on": 5}
    body = active(demo)[entry["result"]["policy_id"]]
    assert body["subject"]["attributes"][0]["key"] == "access_group_id"
    assert body["control"]["grant"]["roles"] == [{"role_id": OPERATOR}]
    assert len(active(demo)) == len(before) + 3
    # every member of the group now has access through it, e.g. arlo (console via the group,
    # no operate of his own)
    assert against("check", "-u", "arlo.bexley@example.com", "-i", VM, "-q").exit_code == 0


def test_dry_run_changes_nothing_and_shows_exactly_what_apply_creates(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    before = active(demo)
    dry = run(against, log, "grant", NOTHING, OPERATOR_ONLY, "-i", VM, "--dry-run",
              "--format", "json")
    assert dry.exit_code == ExitCode.OK, dry.stderr
    assert posts(demo) == 0 and active(demo) == before and not log.exists()
    planned = {s["subject"]["label"]: s["policy"] for s in dry.json()["subjects"]}
    assert planned[NOTHING]["cli"] == (
        f"ibmcloud iam user-policy-create {NOTHING} --roles 'Operator,Console Administrator' "
        f"--service-name is --attributes instanceId={VM_ID}")
    table = run(against, log, "grant", NOTHING, "-i", VM, "--dry-run")
    assert "dry run: nothing was changed" in table.stdout
    assert planned[NOTHING]["cli"] in table.stdout

    applied = run(against, log, "grant", NOTHING, OPERATOR_ONLY, "-i", VM, "--yes",
                  "--format", "json")
    assert applied.exit_code == ExitCode.OK
    for subject in applied.json()["subjects"]:
        stored = active(demo)[subject["result"]["policy_id"]]
        sent = {k: stored[k] for k in planned[subject["subject"]["label"]]["body"]}
        assert sent == planned[subject["subject"]["label"]]["body"]


def test_a_time_bound_grant_allows_now_and_not_after_the_window(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    result = run(against, tmp_path / "log", "grant", NOTHING, "-i", VM, "--ttl", "2h", "--yes",
                 "--format", "json")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert "daylight saving" in result.stderr
    body = active(demo)[result.json()["subjects"][0]["result"]["policy_id"]]
    assert body["pattern"] == "time-based-conditions:once"
    start, end = (datetime.fromisoformat(c["value"]) for c in body["rule"]["conditions"])
    assert end - start == timedelta(hours=2)
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    assert against("check", "-u", NOTHING, "-i", VM, "-q").exit_code == ExitCode.OK
    assert against("check", "-u", NOTHING, "-i", VM, "-q", "--at", later).exit_code == 1


def test_until_keeps_its_offset(demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    plus_two = timezone(timedelta(hours=2))
    until = (datetime.now(UTC) + timedelta(days=1)).astimezone(plus_two).replace(microsecond=0)
    result = run(against, tmp_path / "log", "grant", OPERATOR_ONLY, "-i", VM, "--until",
                 until.isoformat(), "--yes", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.stderr
    body = active(demo)[result.json()["subjects"][0]["result"]["policy_id"]]
    assert body["rule"]["conditions"][1]["value"] == until.isoformat()
    assert body["rule"]["conditions"][1]["value"].endswith("+02:00")


def test_granting_twice_creates_nothing_the_second_time(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    first = run(against, log, "grant", NOTHING, "-i", VM, "--yes")
    assert first.exit_code == ExitCode.OK and posts(demo) == 1
    count = len(active(demo))
    second = run(against, log, "grant", NOTHING, "-i", VM, "--yes", "--format", "json")
    assert second.exit_code == ExitCode.OK
    assert second.json()["subjects"][0]["status"] == "allowed"
    assert posts(demo) == 1 and len(active(demo)) == count


def test_without_a_terminal_it_refuses_to_act_unless_yes(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    result = run(against, tmp_path / "log", "grant", NOTHING, "-i", VM)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "--yes" in result.stderr and "Traceback" not in result.stderr
    assert "ibmcloud iam user-policy-create" in result.stdout  # the plan is shown
    assert posts(demo) == 0
    nothing_to_do = run(against, tmp_path / "log", "grant", BY_GROUP, "-i", VM)
    assert nothing_to_do.exit_code == ExitCode.OK  # nothing to confirm


def test_on_a_terminal_it_asks(demo: Emulator, against: Invoke, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # the module, not the `grant` command that iamcheck.cli exports under the same name
    monkeypatch.setattr(importlib.import_module("iamcheck.cli.grant"), "_interactive",
                        lambda: True)
    declined = run(against, tmp_path / "log", "grant", NOTHING, "-i", VM, input="n\n")
    assert declined.exit_code == ExitCode.FINDING and posts(demo) == 0
    assert "Create 1 policy?" in declined.stderr and "declined" in declined.stdout
    accepted = run(against, tmp_path / "log", "grant", NOTHING, "-i", VM, input="y\n")
    assert accepted.exit_code == ExitCode.OK and posts(demo) == 1
    assert accepted.stdout.count("ibmcloud iam user-policy-create") == 1  # plan shown once
    assert "verified ALLOWED" in accepted.stdout


@pytest.mark.parametrize("args, culprit", [
    (("grant", NOTHING), "name the scope"),
    (("grant", "-i", VM), "USER or --access-group"),
    (("grant", NOTHING, "-i", VM, "--all-instances"), "mutually exclusive"),
    (("grant", NOTHING, "-i", VM, "--resource-group", "payments"), "mutually exclusive"),
    (("grant", "not-an-email@", "-i", VM), "USER"),
    (("grant", "iam-Profile-1234-abcd", "-i", VM), "trusted profile"),
    (("grant", NOTHING, "-i", VM, "--ttl", "forever"), "--ttl"),
    (("grant", NOTHING, "-i", VM, "--ttl", "1h", "--until", "2030-01-01T00:00:00Z"),
     "mutually exclusive"),
    (("grant", NOTHING, "-i", VM, "--until", "2020-01-01T00:00:00Z"), "not in the future"),
    (("grant", NOTHING, "-i", VM, "--until", "2030-01-01T00:00:00"), "UTC offset"),
    (("grant", NOTHING, "-i", "crn:v1:nope"), "--instance"),
    (("revoke", NOTHING), "--policy"),
    (("revoke", "-i", VM), "USER or --access-group"),
    (("revoke", "--policy", "bad id!"), "--policy"),
])
def test_input_is_checked_before_any_call(demo: Emulator, against: Invoke, tmp_path: Path,
                                          args: tuple[str, ...], culprit: str) -> None:
    result = run(against, tmp_path / "log", *args, "--yes")
    assert result.exit_code == ExitCode.BAD_INPUT, result.stdout
    assert culprit in result.stderr and result.stderr.count("\n") == 1
    assert sum(demo.request_counts().values()) == 0


@pytest.mark.parametrize("args, culprit", [
    (("nobody@example.com", "-i", VM), "nobody@example.com"),
    (("--access-group", "no-such-group", "-i", VM), "no-such-group"),
    (("--access-group", "Public Access", "-i", VM), "Public Access"),
    ((NOTHING, "--resource-group", "no-such-rg"), "no-such-rg"),
    ((NOTHING, "-i", "no-such-vm"), "no-such-vm"),
])
def test_unknown_names_are_bad_input_and_change_nothing(
        demo: Emulator, against: Invoke, tmp_path: Path, args: tuple[str, ...],
        culprit: str) -> None:
    result = run(against, tmp_path / "log", "grant", *args, "--yes")
    assert result.exit_code == ExitCode.BAD_INPUT and culprit in result.stderr
    assert posts(demo) == 0


def test_a_subject_that_cannot_be_allowed_is_exit_1_with_the_reason(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    result = run(against, tmp_path / "log", "grant", PENDING, NOTHING, "-i", VM, "--yes",
                 "--format", "json")
    assert result.exit_code == ExitCode.FINDING
    doc = by_label(result.json())
    assert doc[PENDING]["status"] == "cannot" and "PENDING" in doc[PENDING]["reason"]
    assert doc[NOTHING]["final_verdict"] == "allow" and posts(demo) == 1


def test_revoke_removes_what_grant_created_and_nothing_else(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    seeded = active(demo)
    assert run(against, log, "grant", NOTHING, OPERATOR_ONLY, "-i", VM, "--yes").exit_code == 0
    dry = run(against, log, "revoke", NOTHING, OPERATOR_ONLY, "-i", VM, "--dry-run",
              "--format", "json")
    assert dry.exit_code == ExitCode.OK
    assert demo.request_counts().get("DELETE /v2/policies/{id}", 0) == 0
    assert sum(len(s["remove"]) for s in dry.json()["subjects"]) == 2
    refused = run(against, log, "revoke", NOTHING, "-i", VM)
    assert refused.exit_code == ExitCode.BAD_INPUT and len(active(demo)) == len(seeded) + 2

    done = run(against, log, "revoke", NOTHING, OPERATOR_ONLY, "-i", VM, "--yes",
               "--format", "json")
    assert done.exit_code == ExitCode.OK, done.stderr
    assert active(demo) == seeded  # Theo keeps his own Operator policy
    assert {s["after"]["verdict"] for s in done.json()["subjects"]} == {"deny"}
    again = run(against, log, "revoke", NOTHING, "-i", VM, "--yes", "--format", "json")
    assert again.exit_code == ExitCode.OK and again.json()["summary"]["to_remove"] == 0


def test_revoke_keeps_policies_it_did_not_create_unless_named_by_id(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    kept = run(against, log, "revoke", "mateo.fairweather@example.com",
               "--resource-group", "payments", "--yes", "--format", "json")
    assert kept.exit_code == ExitCode.FINDING
    subject = kept.json()["subjects"][0]
    assert subject["remove"] == [] and subject["kept"][0]["policy_id"] == MATEO_OPERATOR
    assert MATEO_OPERATOR in active(demo)
    named = run(against, log, "revoke", "--policy", MATEO_OPERATOR, "--yes")
    assert named.exit_code == ExitCode.OK, named.stderr
    assert MATEO_OPERATOR not in active(demo)
    assert "ibmcloud iam user-policy-delete mateo.fairweather@example.com" in named.stdout
    missing = run(against, log, "revoke", "--policy", MATEO_OPERATOR, "--yes")
    assert missing.exit_code == ExitCode.BAD_INPUT and "deleted already" in missing.stderr


def test_the_audit_log_records_who_when_whom_and_what(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    granted = run(against, log, "grant", NOTHING, "-i", VM, "--yes", "--format", "json")
    policy_id = granted.json()["subjects"][0]["result"]["policy_id"]
    assert run(against, log, "revoke", NOTHING, "-i", VM, "--yes").exit_code == 0
    text = log.read_text()
    assert demo.apikey not in text and "Bearer" not in text
    entries = read_entries(log)
    assert [(e["command"], e["event"], e["outcome"]) for e in entries] == [
        ("grant", "create", "requested"), ("grant", "create", "created"),
        ("revoke", "delete", "requested"), ("revoke", "delete", "deleted")]
    for entry in entries:
        assert entry["by"]["iam_id"] == "IBMid-6650001001" and entry["at"]
        assert entry["subject"] == {"kind": "user", "id": "IBMid-6650001015", "label": NOTHING}
        assert entry["body"]["subject"]["attributes"][0]["value"] == "IBMid-6650001015"
    assert entries[1]["policy_id"] == entries[3]["policy_id"] == policy_id
    assert json.loads(text.splitlines()[0])["account_id"] == demo.backend.account_id


def test_the_default_log_is_in_the_state_directory(demo: Emulator, against: Invoke,
                                                   tmp_path: Path) -> None:
    assert against("grant", NOTHING, "-i", VM, "--yes").exit_code == 0
    entries = read_entries(tmp_path / "state" / "iamcheck" / "audit.jsonl")
    assert [e["outcome"] for e in entries] == ["requested", "created"]
