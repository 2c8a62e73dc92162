"""`audit --plan`, `--with-policy`, `--unused-days`, `--by subject` and `--format html` on the
served demo account (issue 16)."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from iamcheck.emulator.seed import demo_seed, validate_seed
from iamcheck.errors import ExitCode
from tests.cli.conftest import NOTHING, VM, Invoke, active
from tests.conftest import Emulator

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "tests" / "data" / "plans"
AT = "2026-11-27T12:00:00+00:00"
JUNIPER, INES = "IBMid-6650001003", "IBMid-6650001005"
INES_POLICY = "7b3e0008-2f1a-4c6d-9e8b-5a0c7d2e0008"
ONCALL = "AccessGroupId-3f1a7c2e-0b4d-4e8f-9a6b-000000000002"
VM_ID = "0727_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a302"


def _kinds(doc: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t in doc["transitions"]:
        out.setdefault(t["kind"], set()).add(t["subject"])
    return out


def test_a_plan_adding_an_on_call_member_and_deleting_a_policy(
        demo: Emulator, against: Invoke) -> None:
    policies = dict(active(demo))
    done = against("audit", "--plan", str(PLANS / "oncall-member-added-console-policy-deleted"
                                                   ".json"), "--at", AT, "-f", "json")
    assert done.exit_code == ExitCode.OK, done.stderr
    doc = done.json()
    assert doc["kind"] == "iamcheck-diff" and doc["unmodelled"] == []
    kinds = _kinds(doc)
    assert kinds["gained"] == {JUNIPER} and kinds["lost"] == {INES}
    assert set(kinds) <= {"gained", "lost", "maybe_lost"}  # P3: see test_change_plan
    gained = [t for t in doc["transitions"] if t["kind"] == "gained"]
    assert all(("membership_added", ONCALL) in {(c["kind"], c["id"]) for c in t["causes"]}
               for t in gained)
    audit = against("audit", "--at", AT, "-f", "json").json()
    assert {t["instance_id"] for t in gained} == {i["id"] for i in audit["instances"]}
    lost = [t for t in doc["transitions"] if t["subject"] == INES]
    assert all([c["kind"] for c in t["causes"]] == ["policy_removed"] for t in lost)
    assert active(demo) == policies  # a review changes nothing
    table = against("audit", "--plan", str(PLANS / "oncall-member-added-console-policy-"
                                                    "deleted.json"), "--at", AT)
    assert "juniper" in table.stdout and "ines.calloway@example.com" in table.stdout


def test_the_plan_gives_the_same_diff_from_a_snapshot(against: Invoke, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    assert against("snapshot", "-o", str(snap)).exit_code == 0
    plan = str(PLANS / "oncall-member-added-console-policy-deleted.json")
    online = against("audit", "--plan", plan, "--at", AT, "-f", "json").json()
    offline = against("audit", "--plan", plan, "--at", AT, "-f", "json", "--from-snapshot",
                      str(snap)).json()
    assert online["transitions"] == offline["transitions"]


def test_an_unsupported_resource_is_named_and_its_verdicts_uncertain(against: Invoke) -> None:
    done = against("audit", "--plan", str(PLANS / "unsupported-resource.json"), "--at", AT,
                   "-f", "json")
    assert done.exit_code == ExitCode.OK, done.stderr
    doc = done.json()
    assert [u.split(":")[0] for u in doc["unmodelled"]] == [
        "ibm_iam_policy_assignment.console_everywhere"]
    assert doc["summary"]["gained"] == doc["summary"]["lost"] == 0
    assert doc["summary"]["maybe_lost"] > 0 and doc["summary"]["maybe_gained"] > 0
    text = against("audit", "--plan", str(PLANS / "unsupported-resource.json"), "--at", AT)
    assert "Not modelled" in text.stdout and "ibm_iam_policy_assignment" in text.stdout


def test_with_policy_bodies(demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    user = next(u for u in demo_seed()["users"] if u["email"] == NOTHING)
    body = copy.deepcopy(active(demo)[INES_POLICY])
    for key in ("id", "href", "created_at", "created_by_id", "last_modified_at",
                "last_modified_by_id", "state"):
        body.pop(key, None)
    body["subject"]["attributes"][0]["value"] = user["iam_id"]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    doc = against("audit", "--with-policy", str(path), "--at", AT, "-f", "json",
                  "-i", VM).json()
    assert [(t["instance_id"], t["subject"], t["kind"]) for t in doc["transitions"]] == [
        (VM_ID, user["iam_id"], "gained")]
    assert doc["transitions"][0]["causes"][0]["kind"] == "policy_added"


def test_bad_change_files_are_bad_input_before_any_call(demo: Emulator, against: Invoke,
                                                        tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"resource_changes": 3}', encoding="utf-8")
    before = dict(demo.request_counts())
    done = against("audit", "--plan", str(bad))
    assert done.exit_code == ExitCode.BAD_INPUT and "--plan" in done.stderr
    assert "Traceback" not in done.stderr
    assert dict(demo.request_counts()) == before
    assert against("audit", "--with-policy", str(tmp_path / "none.json")).exit_code == \
        ExitCode.BAD_INPUT
    plan = str(PLANS / "unsupported-resource.json")
    assert against("audit", "--plan", plan, "--by", "subject", "-f", "csv").exit_code == \
        ExitCode.BAD_INPUT


def _seed_with_use(policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    seed = demo_seed()
    for p in seed["policies"]:
        p.update(policies.get(p.get("id", ""), {}))
    validate_seed(seed)
    return seed


def test_an_unused_console_policy_is_a_finding(demo: Emulator, against: Invoke) -> None:
    demo.backend.load(_seed_with_use({
        INES_POLICY: {"last_permit_at": "2026-05-01T09:00:00Z", "last_permit_frequency": 3},
        "7b3e0006-2f1a-4c6d-9e8b-5a0c7d2e0006": {"last_permit_at": None,
                                                  "last_permit_frequency": 0},
        "7b3e0015-2f1a-4c6d-9e8b-5a0c7d2e0015": {"last_permit_at": "2026-11-20T09:00:00Z",
                                                  "last_permit_frequency": 40},
    }))
    doc = against("audit", "--at", AT, "-f", "json").json()
    unused = {f["policy_id"]: f for f in doc["findings"] if f["kind"] == "unused_access"}
    assert INES_POLICY in unused and "2026-05-01" in unused[INES_POLICY]["detail"]
    assert "7b3e0015-2f1a-4c6d-9e8b-5a0c7d2e0015" not in unused  # used a week ago
    mateo = "7b3e0006-2f1a-4c6d-9e8b-5a0c7d2e0006"  # Operator: supplies the operate action
    assert "no record" in unused[mateo]["detail"]  # never used
    # only the policies seeded with use are judged
    assert set(unused) <= {INES_POLICY, mateo}
    longer = against("audit", "--at", AT, "-f", "json", "--unused-days", "365").json()
    assert INES_POLICY not in {f["policy_id"] for f in longer["findings"]
                               if f["kind"] == "unused_access"}
    assert against("audit", "--unused-days", "0").exit_code == ExitCode.BAD_INPUT


def test_snapshots_keep_the_last_permit(demo: Emulator, against: Invoke,
                                        tmp_path: Path) -> None:
    demo.backend.load(_seed_with_use({INES_POLICY: {"last_permit_at": "2026-05-01T09:00:00Z",
                                                    "last_permit_frequency": 3}}))
    snap = tmp_path / "snap.json"
    assert against("snapshot", "-o", str(snap)).exit_code == 0
    saved = json.loads(snap.read_text(encoding="utf-8"))
    ines = next(p for p in saved["account"]["policies"] if p["id"] == INES_POLICY)
    assert ines["last_permit_at"].startswith("2026-05-01T09:00:00")
    assert ines["last_permit_frequency"] == 3
    offline = against("audit", "--from-snapshot", str(snap), "--at", AT, "-f", "json").json()
    assert INES_POLICY in {f["policy_id"] for f in offline["findings"]
                           if f["kind"] == "unused_access"}


def test_by_subject_lists_every_holder_once_per_scope(demo: Emulator, against: Invoke) -> None:
    audit = against("audit", "--at", AT, "-f", "json").json()
    done = against("audit", "--at", AT, "-f", "csv", "--by", "subject")
    assert done.exit_code == ExitCode.OK, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    expected = {(s["iam_id"], e["scope"]) for s in audit["subjects"]
                for e in s.get("can_open") or ()}
    allowed = [(r["subject"], r["scope"]) for r in rows if r["verdict"] == "allow"]
    assert len(allowed) == len(set(allowed))  # once per (subject, scope)
    assert set(allowed) == expected
    assert all(r["how"] and r["policy_ids"] for r in rows if r["verdict"] == "allow")
    unknown = {(s["iam_id"], scope) for s in audit["subjects"] for scope in s.get("unknown")
               or ()}
    assert {(r["subject"], r["scope"]) for r in rows if r["verdict"] == "unknown"} == unknown
    assert all(r["reasons"] for r in rows if r["verdict"] == "unknown")
    as_json = against("audit", "--at", AT, "-f", "json", "--by", "subject").json()
    assert as_json["kind"] == "iamcheck-review" and len(as_json["rows"]) == len(rows)
    assert against("audit", "--by", "subject").exit_code == ExitCode.BAD_INPUT  # table
    pairs = against("audit", "--at", AT, "-f", "csv")  # the per-pair CSV stays
    assert pairs.stdout.startswith("subject_iam_id,")


@pytest.mark.parametrize("fmt", ["html"])
def test_audit_html_is_one_page(against: Invoke, fmt: str) -> None:
    done = against("audit", "--at", AT, "-f", fmt)
    assert done.exit_code == ExitCode.OK, done.stderr
    assert done.stdout.lstrip().lower().startswith("<!doctype html>")
    assert "http://" not in done.stdout and "https://" not in done.stdout.replace(
        "https://sso.example.com", "")
