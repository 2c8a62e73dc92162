"""`iamcheck diff` on snapshots of the served demo account taken around a `grant` (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import NOTHING, VM, Invoke
from tests.conftest import Emulator

AT = "2026-11-27T12:00:00+00:00"
VM_ID = "0727_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a302"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def around_grant(demo: Emulator, against: Invoke, tmp_path: Path) -> tuple[Path, Path, str]:
    """Snapshots before and after `grant NOTHING -i VM`, and the id of the policy it made."""
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    assert against("snapshot", "-o", str(before)).exit_code == 0
    granted = against("grant", NOTHING, "-i", VM, "--yes", "--format", "json",
                      "--log", str(tmp_path / "grant.jsonl"))
    assert granted.exit_code == ExitCode.OK, granted.stderr
    policy_id = granted.json()["subjects"][0]["result"]["policy_id"]
    assert against("snapshot", "-o", str(after)).exit_code == 0
    return before, after, policy_id


def test_a_grant_shows_exactly_that_person_gaining_through_that_policy(
        cli: Invoke, around_grant: tuple[Path, Path, str]) -> None:
    before, after, policy_id = around_grant
    done = cli("diff", str(before), str(after), "--at", AT, "-f", "json")
    assert done.exit_code == ExitCode.OK, done.stderr
    doc = done.json()
    assert doc["kind"] == "iamcheck-diff"
    assert [(t["instance_id"], t["subject_label"], t["kind"]) for t in doc["transitions"]] == [
        (VM_ID, NOTHING, "gained")]
    gained = doc["transitions"][0]
    assert {p["policy_id"] for p in gained["paths"]} == {policy_id}
    assert [(c["kind"], c["id"]) for c in gained["causes"]] == [("policy_added", policy_id)]
    assert doc["summary"] == {"gained": 1, "lost": 0, "maybe_gained": 0, "maybe_lost": 0,
                              "cleared": 0}
    back = cli("diff", str(after), str(before), "--at", AT, "-f", "json").json()
    assert [(t["subject_label"], t["kind"], [c["kind"] for c in t["causes"]])
            for t in back["transitions"]] == [(NOTHING, "lost", ["policy_removed"])]


def test_fail_on_gates_ci(cli: Invoke, around_grant: tuple[Path, Path, str]) -> None:
    before, after, _ = around_grant
    assert cli("diff", str(before), str(after), "--fail-on", "gained").exit_code == \
        ExitCode.FINDING
    assert cli("diff", str(before), str(after), "--fail-on", "lost").exit_code == ExitCode.OK
    assert cli("diff", str(after), str(before), "--fail-on", "lost").exit_code == \
        ExitCode.FINDING
    bad = cli("diff", str(before), str(after), "--fail-on", "everything")
    assert bad.exit_code == ExitCode.BAD_INPUT and "--fail-on" in bad.stderr


def test_every_format_names_the_person(cli: Invoke, around_grant: tuple[Path, Path, str],
                                       tmp_path: Path) -> None:
    before, after, policy_id = around_grant
    for fmt in ("table", "markdown", "csv", "junit", "sarif", "html", "json"):
        done = cli("diff", str(before), str(after), "--at", AT, "-f", fmt, "--fail-on",
                   "gained")
        assert done.exit_code == ExitCode.FINDING, (fmt, done.stderr)
        assert NOTHING in done.stdout and policy_id in done.stdout, fmt
    sarif = json.loads(cli("diff", str(before), str(after), "-f", "sarif", "--fail-on",
                           "gained").stdout)
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error"]
    out = tmp_path / "diff.html"
    written = cli("diff", str(before), str(after), "-f", "html", "-o", str(out))
    assert written.exit_code == 0 and written.stdout == ""
    assert "<!doctype html>" in out.read_text(encoding="utf-8").lower()


def test_audit_documents_compare_too(against: Invoke, cli: Invoke,
                                     around_grant: tuple[Path, Path, str],
                                     tmp_path: Path) -> None:
    before, after, _ = around_grant
    docs = []
    for snap in (before, after):
        done = against("audit", "--from-snapshot", str(snap), "--at", AT, "-f", "json")
        path = tmp_path / f"audit-{snap.name}"
        path.write_text(done.stdout, encoding="utf-8")
        docs.append(path)
    doc = cli("diff", str(docs[0]), str(docs[1]), "-f", "json").json()
    assert [(t["subject_label"], t["kind"]) for t in doc["transitions"]] == [(NOTHING, "gained")]
    assert doc["transitions"][0]["causes"] == []  # an audit document records no account
    mixed = cli("diff", str(docs[0]), str(after), "--at", AT, "-f", "json").json()
    assert mixed["transitions"] == doc["transitions"]


def _with_gap(path: Path, out: Path) -> Path:
    snap: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    snap["account"]["gaps"].append({"what": "the account's policies", "reason": "403",
                                    "subjects": {"every": True}, "instances": {"every": True}})
    out.write_text(json.dumps(snap), encoding="utf-8")
    return out


def test_unknown_transitions_exit_3(cli: Invoke, around_grant: tuple[Path, Path, str],
                                    tmp_path: Path) -> None:
    before, _, _ = around_grant
    blind = _with_gap(before, tmp_path / "blind.json")
    done = cli("diff", str(before), str(blind), "--at", AT, "--fail-on", "lost", "-f", "json")
    assert done.exit_code == ExitCode.UNKNOWN, done.stderr
    doc = done.json()
    assert doc["summary"]["maybe_lost"] > 0 and doc["summary"]["lost"] == 0
    assert doc["gate"] == {"fail_on": ["lost"], "result": "unknown"}
    assert all(c["kind"] == "gap" for t in doc["transitions"] for c in t["causes"])


def test_files_that_are_not_reads_are_bad_input(cli: Invoke, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"kind": "something-else"}', encoding="utf-8")
    done = cli("diff", str(other), str(other))
    assert done.exit_code == ExitCode.BAD_INPUT
    assert done.stderr.count("\n") == 1 and "neither an iamcheck snapshot" in done.stderr
    missing = cli("diff", str(tmp_path / "nope.json"), str(other))
    assert missing.exit_code == ExitCode.BAD_INPUT and "Traceback" not in missing.stderr


def test_reads_of_two_accounts_do_not_compare(cli: Invoke,
                                              around_grant: tuple[Path, Path, str],
                                              tmp_path: Path) -> None:
    before, after, _ = around_grant
    snap = json.loads(after.read_text(encoding="utf-8"))
    snap["account"]["account_id"] = "0" * 32
    other = tmp_path / "other-account.json"
    other.write_text(json.dumps(snap), encoding="utf-8")
    done = cli("diff", str(before), str(other))
    assert done.exit_code == ExitCode.BAD_INPUT and "different accounts" in done.stderr
