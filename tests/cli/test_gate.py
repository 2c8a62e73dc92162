"""Issue 12: one verdict per run. JUnit, SARIF and the exit code agree on every demo selection;
--fail-on fails the gate on findings; partial data is exit 3 in every format; findings are
scoped to the selection; --expect names each person's reason."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import Invoke, Run
from tests.cli.test_partial_visibility import refuse_members_of

AT = "2026-06-01T12:00:00+00:00"


@pytest.fixture
def snap(against: Invoke, tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    run = against("snapshot", "-o", str(path))
    assert run.exit_code == 0, run.stderr
    return path


def _audit(cli: Invoke, snap: Path, *args: str) -> Run:
    return cli("audit", "--from-snapshot", str(snap), "--at", AT, *args)


def _junit_fails(run: Run) -> int:
    root = ET.fromstring(run.stdout)
    failures = int(root.get("failures", "0"))
    assert failures == len(root.findall(".//failure"))
    return failures


def _sarif(run: Run) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(run.stdout)["runs"][0]
    return log


def _selections(doc: dict[str, Any], expect: Path) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    out += [("--instance", i["name"]) for i in doc["instances"]]
    out += [("--resource-group", rg) for rg in
            sorted({i["resource_group"]["name"] for i in doc["instances"]})]
    out += [("--user", s["email"]) for s in doc["subjects"] if s.get("email")][:6]
    out += [("--expect", str(expect)), ("--expect", str(expect), "--only-expected"),
            ("--fail-on", "high"), ("--fail-on", "expired_but_active"),
            ("--instance", doc["instances"][0]["name"], "--fail-on", "warning"),
            ("--expect", str(expect), "--instance", doc["instances"][-1]["name"])]
    return out


def test_junit_sarif_and_exit_code_agree_on_every_demo_selection(
        cli: Invoke, snap: Path, tmp_path: Path) -> None:
    doc = _audit(cli, snap, "-f", "json").json()
    expect = tmp_path / "expect.txt"
    emails = [s["email"] for s in doc["subjects"] if s.get("email")]
    expect.write_text("\n".join(emails[:3]) + "\n")
    codes = set()
    for selection in _selections(doc, expect):
        junit = _audit(cli, snap, "-f", "junit", *selection)
        sarif = _audit(cli, snap, "-f", "sarif", *selection)
        as_json = _audit(cli, snap, "-f", "json", *selection)
        code = junit.exit_code
        assert code in (0, 1, 3), (selection, junit.stderr)
        assert sarif.exit_code == as_json.exit_code == code, selection
        assert (_junit_fails(junit) > 0) == (code != 0), (selection, code)
        log = _sarif(sarif)
        assert log["invocations"][0]["exitCode"] == code
        errors = [r for r in log["results"] if r["level"] == "error"]
        assert bool(errors) == (code != 0), (selection, code)
        assert as_json.json()["gate"]["exit_code"] == code
        codes.add(code)
    assert {0, 1} <= codes  # the selections exercise both sides of the gate


def test_fail_on_makes_findings_fail_the_gate(cli: Invoke, snap: Path) -> None:
    plain = _audit(cli, snap, "-f", "json")
    doc = plain.json()
    assert plain.exit_code == ExitCode.OK and doc["findings"]
    severities = {f["severity"] for f in doc["findings"]}
    kinds = {f["kind"] for f in doc["findings"]}
    for value in [*severities, *kinds]:
        gated = _audit(cli, snap, "-f", "json", "--fail-on", value)
        assert gated.exit_code == ExitCode.FINDING, value
        assert any(f["fails_gate"] for f in gated.json()["findings"])
    bad = _audit(cli, snap, "--fail-on", "sometimes")
    assert bad.exit_code == ExitCode.BAD_INPUT and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_findings_are_scoped_to_the_selection(cli: Invoke, snap: Path) -> None:
    everything = _audit(cli, snap, "-f", "json").json()
    per_instance = [_audit(cli, snap, "-f", "json", "--instance", i["name"]).json()
                    for i in everything["instances"]]
    counts = [len(d["findings"]) for d in per_instance]
    assert max(counts) <= len(everything["findings"])
    assert min(counts) < len(everything["findings"])  # some finding is not about some instance
    found = {(f["kind"], f["policy_id"]) for d in per_instance for f in d["findings"]}
    assert found <= {(f["kind"], f["policy_id"]) for f in everything["findings"]}


def test_under_a_selection_nothing_is_cut_and_all_names_the_instances(
        cli: Invoke, snap: Path) -> None:
    doc = _audit(cli, snap, "-f", "json").json()
    rg = doc["instances"][0]["resource_group"]["name"]
    table = _audit(cli, snap, "--resource-group", rg)
    assert table.exit_code in (0, 3)
    assert "all instances (" not in table.stdout
    assert not any(part.startswith("+") and part[1:].isdigit()
                   for line in table.stdout.splitlines() for part in line.split(", "))
    one = _audit(cli, snap, "--instance", doc["instances"][0]["name"])
    assert "all instances (1)" not in one.stdout


def test_expect_violations_name_the_reason(cli: Invoke, snap: Path, tmp_path: Path) -> None:
    doc = _audit(cli, snap, "-f", "json").json()
    lacking = [s for s in doc["subjects"] if s.get("email") and not s["can_open"]]
    assert lacking
    expect = tmp_path / "expect.txt"
    expect.write_text("\n".join(s["email"] for s in lacking[:3]) + "\n")
    run = _audit(cli, snap, "-f", "json", "--expect", str(expect))
    assert run.exit_code in (ExitCode.FINDING, ExitCode.UNKNOWN)
    for v in run.json()["expectations"]["violations"]:
        rule = v["detail"].split(": [", 1)
        assert len(rule) == 2 and rule[1][:1] in "VRPSG", v["detail"]


def test_a_partial_audit_is_unknown_in_every_format(
        demo: Any, against: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    oncall = next(g["id"] for g in demo.backend.seed["access_groups"] if g["name"] == "on-call")
    refuse_members_of(demo, monkeypatch, oncall, 403)
    junit = against("audit", "--at", AT, "-f", "junit")
    sarif = against("audit", "--at", AT, "-f", "sarif")
    doc = against("audit", "--at", AT, "-f", "json")
    assert junit.exit_code == sarif.exit_code == doc.exit_code == ExitCode.UNKNOWN
    gaps = doc.json()["gaps"]
    assert gaps and doc.json()["gate"] == {"exit_code": 3, "result": "unknown", "fail_on": [],
                                           "partial": True}
    root = ET.fromstring(junit.stdout)
    gap_cases = [c for c in root.iter("testcase") if c.get("classname") == "iamcheck.gap"]
    assert len(gap_cases) == len(gaps) and all(c.find("failure") is not None for c in gap_cases)
    results = [r for r in _sarif(sarif)["results"] if r["ruleId"] == "gap"]
    assert len(results) == len(gaps) and all(r["level"] == "error" for r in results)
