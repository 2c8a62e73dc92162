"""Every output format over real documents (tests/data) and over a synthetic account at scale.

tests/data/sample_audit.json is `report.audit_document` for the demo account, audited with the
expectations "juniper.abara@example.com plus group on-call, nobody else" (`--expect ... --only`);
sample_checks.json holds `report.check_document` results: allowed, denied and unknown pairs.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from iamcheck.formats import AuditFormat, CheckFormat, render_audit, render_check

DATA = Path(__file__).resolve().parents[1] / "data"
CONSOLE = "is.instance.instance.console"


@pytest.fixture(scope="module")
def audit() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "sample_audit.json").read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def checks() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads((DATA / "sample_checks.json").read_text("utf-8"))
    return docs


def plain(doc: dict[str, Any]) -> dict[str, Any]:
    """The audit without expectations."""
    out = copy.deepcopy(doc)
    out.pop("expectations", None)
    return out


def first(checks: list[dict[str, Any]], verdict: str) -> dict[str, Any]:
    return next(c for c in checks if c["verdict"] == verdict)


def who(subject: dict[str, Any]) -> str:
    return str(subject["email"] or subject["name"])


# --- every format ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(AuditFormat))
def test_every_audit_format_renders(fmt: AuditFormat, audit: dict[str, Any]) -> None:
    for doc in (audit, plain(audit)):
        out = render_audit(fmt, doc)
        assert out.endswith("\n")
        if fmt is not AuditFormat.CSV:  # the CSV holds pairs only
            assert audit["account_id"] in out


@pytest.mark.parametrize("fmt", list(CheckFormat))
def test_every_check_format_renders(fmt: CheckFormat, checks: list[dict[str, Any]]) -> None:
    assert {c["verdict"] for c in checks} == {"allow", "deny", "unknown"}
    for doc in checks:
        out = render_check(fmt, doc)
        assert doc["instance"]["id"] in out and doc["user"]["email"] in out


# --- table ----------------------------------------------------------------------------------

def test_table_audit_names_everyone_with_access_and_every_finding(audit: dict[str, Any]) -> None:
    out = render_audit(AuditFormat.TABLE, audit)
    head = out.splitlines()[0]
    for text in (audit["account_id"], audit["requirement"]["id"], audit["evaluated_at"]):
        assert text in head
    who_section = out[out.index("Who can open the console"):out.index("By instance")]
    with_access = [s for s in audit["subjects"] if s["can_open"]]
    assert f"({len(with_access)} subjects)" in who_section
    for subject in audit["subjects"]:
        assert (who(subject) in who_section) == bool(subject["can_open"]), subject["iam_id"]
    findings = out[out.index("\nFindings"):]
    for f in audit["findings"]:
        assert f["kind"] in findings and f["policy_id"][:8] in findings
    assert "Expectations: FAIL" in out and "\x1b[" not in out  # no colour codes


def test_table_audit_summarises_scopes_and_roles(audit: dict[str, Any]) -> None:
    out = render_audit(AuditFormat.TABLE, audit)
    assert "all instances (10)" in out  # ravi, through on-call
    assert "all instances in resource group payments (5)" in out
    assert "3 instances: pay-api-01, pay-api-02, pay-batch-ca" in out  # wren, explicit ids
    assert "7b3e0006 direct; 7b3e0007 via payments-console" in out  # mateo: two policies
    short = out[out.index("One role short"):out.index("\nUncertain")]
    assert f"{CONSOLE} (needs Console Administrator)" in short
    assert "is.instance.instance.operate (needs Operator, Editor or Administrator)" in short
    uncertain = out[out.index("\nUncertain"):out.index("\nFindings")]
    for subject in audit["subjects"]:
        assert (who(subject) in uncertain) == bool(subject["unknown"]), subject["iam_id"]
    assert "Expectations" not in render_audit(AuditFormat.TABLE, plain(audit))


def test_table_denied_check_lists_missing_action_and_near_misses(
        checks: list[dict[str, Any]]) -> None:
    doc = first(checks, "deny")
    out = render_check(CheckFormat.TABLE, doc)
    lines = out.splitlines()
    assert lines[0].startswith("DENIED: ") and doc["user"]["email"] in lines[0]
    assert doc["instance"]["name"] in lines[0]
    for action in doc["missing"]:
        assert re.search(rf"^{re.escape(action)} .*MISSING$", out, re.M)
        assert f"Missing: {action}" in out
    near = out[out.index("Near misses"):out.index("Reasons")]
    for n, miss in enumerate(doc["near_misses"][:5], 1):
        assert f"{n}. [{miss['rule']}]" in near and miss["policy_id"] in near
    for grant in doc["grants"]:
        assert grant["policy_id"] in out and grant["role_name"] in out
    reasons = out[out.index("Reasons"):]
    for reason in doc["reasons"]:
        assert f"[{reason['rule']}]" in reasons


def test_table_allowed_and_unknown_checks(checks: list[dict[str, Any]]) -> None:
    allowed = first(checks, "allow")
    out = render_check(CheckFormat.TABLE, allowed)
    assert out.startswith("ALLOWED: ") and "MISSING" not in out and "Near misses" not in out
    for grant in allowed["grants"]:
        assert re.search(rf"^{grant['action']}\s+{grant['policy_id']}\s+{grant['role_name']}",
                         out, re.M)
    unknown = first(checks, "unknown")
    out = render_check(CheckFormat.TABLE, unknown)
    assert out.startswith("UNKNOWN: ")
    paths = out[out.index("Uncertain paths"):out.index("Reasons")]
    for path in unknown["uncertain"]:
        assert f"[{path['rule']}]" in paths and path["policy_id"] in paths


def test_table_check_keeps_the_five_nearest_misses(checks: list[dict[str, Any]]) -> None:
    doc = copy.deepcopy(first(checks, "deny"))
    base = doc["near_misses"][0]
    doc["near_misses"] = [dict(base, rule=f"X{n}", when=None) for n in range(8)]
    doc["near_misses"][1]["when"] = "2027-01-31T00:00:00+00:00"
    out = render_check(CheckFormat.TABLE, doc)
    assert "[X4]" in out and "[X5]" not in out and "+3 more" in out
    assert "when: 2027-01-31T00:00:00+00:00" in out


# --- markdown -------------------------------------------------------------------------------

def test_markdown_is_a_report_with_well_formed_tables(audit: dict[str, Any]) -> None:
    doc = copy.deepcopy(audit)
    doc["findings"][0]["detail"] += " | <b>not html</b>"
    out = render_audit(AuditFormat.MARKDOWN, doc)
    assert out.startswith("## iamcheck audit") and "### Who can open the console" in out
    for title in ("### By instance", "### One role short", "### Findings", "### Expectations"):
        assert title in out
    tables = re.findall(r"(?m)(?:^\|.*\n)+", out)
    assert len(tables) >= 6
    for table in tables:
        lines = table.splitlines()
        assert re.fullmatch(r"\|(---\|)+", lines[1]), lines[1]
        widths = {len(re.split(r"(?<!\\)\|", line)) - 2 for line in lines}  # unescaped pipes
        assert widths == {lines[1].count("---")}, lines[0]
    # account text is a code span (safe_text.for_markdown), where nothing is markup
    assert "\\| <b>not html</b>`" in out
    assert "<b>" not in re.sub(r"`[^`]*`", "", out)
    for subject in audit["subjects"]:
        if subject["can_open"]:
            assert f"\n| `{who(subject)}" in out


# --- csv ------------------------------------------------------------------------------------

def test_csv_lists_every_allowed_unknown_and_one_short_pair(audit: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(render_audit(AuditFormat.CSV, audit))))
    assert list(rows[0]) == ["subject_iam_id", "subject_email", "instance_id", "instance_name",
                             "region", "resource_group", "verdict", "lacks", "through_policy_ids"]
    got: dict[str, set[tuple[str, ...]]] = {"allow": set(), "unknown": set(), "one_short": set()}
    for row in rows:
        got[row["verdict"]].add((row["subject_iam_id"], row["instance_id"], row["lacks"]))
    # the scopes' side of the document (who holds each set) is an independent account
    ids = [i["id"] for i in audit["instances"]]
    assert got["allow"] == {(h, ids[k], "") for s in audit["scopes"] for k in s["instances"]
                            for h in s["holders"]}
    assert got["unknown"] == {(m, ids[k], "") for s in audit["scopes"] for k in s["instances"]
                              for m in s["maybe"]}
    assert got["one_short"] == {(e["subject"], ids[k], e["lacks"]) for s in audit["scopes"]
                                for k in s["instances"] for e in s["one_short"]}
    assert len(rows) == sum(map(len, got.values()))
    mateo = next(r for r in rows if r["subject_email"] == "mateo.fairweather@example.com"
                 and r["instance_name"] == "pay-api-01")
    assert mateo["verdict"] == "allow" and mateo["resource_group"] == "payments"
    assert mateo["through_policy_ids"].split(";") == ["7b3e0006-2f1a-4c6d-9e8b-5a0c7d2e0006",
                                                      "7b3e0007-2f1a-4c6d-9e8b-5a0c7d2e0007"]


# --- junit ----------------------------------------------------------------------------------

def test_junit_counts_match_findings_and_violations(audit: dict[str, Any]) -> None:
    root = ET.fromstring(render_audit(AuditFormat.JUNIT, audit))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    violations = audit["expectations"]["violations"]
    # issue 12: a finding fails only when it fails the gate (--fail-on); every violation
    # fails, "unknown" too (exit 3), so the suite fails exactly when the exit code is not 0
    gated = [f for f in audit["findings"] if f.get("fails_gate")]
    expected = {"tests": 1 + len(audit["findings"]) + len(violations),
                "failures": len(gated) + len(violations), "errors": 0, "skipped": 0}
    actual = {"tests": len(cases), "failures": len(suite.findall("testcase/failure")),
              "errors": len(suite.findall("testcase/error")),
              "skipped": len(suite.findall("testcase/skipped"))}
    assert actual == expected
    for element in (root, suite):
        assert {k: int(element.get(k, "-1")) for k in expected} == expected
    assert cases[0].get("name") == "audit completed" and len(cases[0]) == 1  # passes
    kinds = [c.get("classname") for c in cases[1:len(audit["findings"]) + 1]]
    assert kinds == [f"iamcheck.finding.{f['kind']}" for f in audit["findings"]]
    info = [c for c in cases if c.get("classname") == "iamcheck.finding.expired_but_active"]
    assert not gated and info and all(c.find("system-out") is not None and c.find("failure") is None
                        for c in info)


def test_junit_clean_run_still_shows_one_passing_test(audit: dict[str, Any]) -> None:
    doc = plain(audit)
    doc["findings"] = []
    root = ET.fromstring(render_audit(AuditFormat.JUNIT, doc))
    assert [c.get("name") for c in root.iter("testcase")] == ["audit completed"]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("1", "0", "0")


# --- sarif ----------------------------------------------------------------------------------

def _strict(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": required or []}


# The part of the SARIF 2.1.0 schema (oasis-tcs/sarif-spec, sarif-schema-2.1.0.json) that
# iamcheck uses: the same property names, required keys and enums, closed objects as there.
_TEXT = _strict({"text": {"type": "string", "minLength": 1}, "markdown": {"type": "string"}},
                ["text"])
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_BAG = {"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": True,
                                                  "items": {"type": "string"}}}}
SARIF_SUBSET: dict[str, Any] = _strict({
    "$schema": {"type": "string", "format": "uri"},
    "version": {"enum": ["2.1.0"]},
    "runs": {"type": "array", "minItems": 1, "items": _strict({
        "tool": _strict({"driver": _strict({
            "name": {"type": "string"}, "version": {"type": "string"},
            "informationUri": {"type": "string", "format": "uri"},
            "rules": {"type": "array", "items": _strict({
                "id": {"type": "string"}, "name": {"type": "string"},
                "shortDescription": _TEXT, "fullDescription": _TEXT, "help": _TEXT,
                "helpUri": {"type": "string", "format": "uri"},
                "defaultConfiguration": _strict({"level": _LEVEL}), "properties": _BAG,
            }, ["id", "shortDescription", "fullDescription", "help"])},
        }, ["name", "rules"])}, ["driver"]),
        "invocations": {"type": "array", "items": _strict({
            "executionSuccessful": {"type": "boolean"}, "exitCode": {"type": "integer"}},
            ["executionSuccessful"])},
        "results": {"type": "array", "items": _strict({
            "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
            "level": _LEVEL, "message": _TEXT,
            "locations": {"type": "array", "minItems": 1, "items": _strict({
                "physicalLocation": _strict({
                    "artifactLocation": _strict({"uri": {"type": "string", "minLength": 1}},
                                                ["uri"]),
                    "region": _strict({"startLine": {"type": "integer", "minimum": 1}},
                                      ["startLine"])}, ["artifactLocation", "region"]),
                "logicalLocations": {"type": "array", "minItems": 1, "items": _strict({
                    "name": {"type": "string"}, "fullyQualifiedName": {"type": "string"},
                    "kind": {"type": "string"}})},
            }, ["physicalLocation", "logicalLocations"])},
            "partialFingerprints": {"type": "object", "required": ["primaryLocationLineHash"],
                                    "additionalProperties": {"type": "string"}},
        }, ["ruleId", "message", "locations", "partialFingerprints"])},
        "properties": _BAG,
    }, ["tool", "results"])},
}, ["$schema", "version", "runs"])


def test_sarif_is_valid_and_has_one_result_per_finding_and_violation(
        audit: dict[str, Any]) -> None:
    log = json.loads(render_audit(AuditFormat.SARIF, audit))
    jsonschema.validate(log, SARIF_SUBSET, format_checker=jsonschema.FormatChecker())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run = log["runs"][0]
    rules, results = run["tool"]["driver"]["rules"], run["results"]
    violations = audit["expectations"]["violations"]
    assert len(results) == len(audit["findings"]) + len(violations)
    for result, finding in zip(results, audit["findings"], strict=False):
        assert result["ruleId"] == f"finding/{finding['kind']}"
        level = {"warning": "warning", "info": "note"}[finding["severity"]]
        assert result["level"] == ("error" if finding.get("fails_gate") else level)
        names = [loc["name"] for loc in result["locations"][0]["logicalLocations"]]
        assert finding["policy_id"] in names
    levels = {"missing": "error", "unexpected": "error", "unknown": "error"}  # all fail the gate
    for result, violation in zip(results[len(audit["findings"]):], violations, strict=True):
        assert result["ruleId"] == f"expectation/{violation['kind']}"
        assert result["level"] == levels[violation["kind"]]
        fqns = [loc["fullyQualifiedName"] for loc in result["locations"][0]["logicalLocations"]]
        assert any(violation["instance_id"] in f for f in fqns)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert len({r["id"] for r in rules}) == len(rules)


def test_sarif_fingerprints_are_unique_and_stable_across_runs(audit: dict[str, Any]) -> None:
    def prints(doc: dict[str, Any]) -> list[str]:
        log = json.loads(render_audit(AuditFormat.SARIF, doc))
        results = log["runs"][0]["results"]
        return [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]

    first_run = prints(audit)
    assert len(set(first_run)) == len(first_run)
    later = copy.deepcopy(audit)  # another run: new times, same problems
    later["evaluated_at"] = later["read_at"] = "2027-01-01T00:00:00+00:00"
    assert prints(later) == first_run
    other = copy.deepcopy(audit)
    other["findings"][0]["policy_id"] = "another-policy"
    assert prints(other)[0] != first_run[0]


# --- scale ----------------------------------------------------------------------------------

def scale_document(n_subjects: int = 200, n_instances: int = 2000) -> dict[str, Any]:
    """An audit document of 200 people and 2,000 instances in two resource groups."""
    rgs = [{"id": "rg-prod-id", "name": "prod"}, {"id": "rg-dev-id", "name": "dev"}]
    ids = [f"0717_{n:08x}-0000-4000-8000-000000000000" for n in range(n_instances)]
    half = n_instances // 2
    rg_of = {iid: rgs[0] if n < half else rgs[1] for n, iid in enumerate(ids)}
    picked = ids[half - 100:half + 200]  # an explicit list across both groups
    scopes = {
        "all": {"kind": "all", "value": "", "label": "all instances", "instances": ids},
        **{f"resource_group:{rg['id']}": {
            "kind": "resource_group", "value": rg["id"], "label": "...",
            "instances": [i for i in ids if rg_of[i] is rg]} for rg in rgs},
        "instances:1": {"kind": "instances", "value": "", "label": "these instances",
                        "instances": picked},
    }
    place = {iid: n for n, iid in enumerate(ids)}
    for sid, scope in scopes.items():
        scope.update({"id": sid, "holders": [], "maybe": [], "one_short": [],
                      "instances": [place[i] for i in scope["instances"]]})
    dev = f"resource_group:{rgs[1]['id']}"
    subjects: list[dict[str, Any]] = []
    for n in range(n_subjects):
        iam_id = f"IBMid-{n:08d}"
        via = {"policy_id": f"pol{n % 7:05d}-aaaa", "group_id": "AccessGroupId-ops",
               "group_name": "ops", "via": "through group ops", "role": "Operator",
               "action": CONSOLE}
        refs = (["all"] if n < 50 else [f"resource_group:{rgs[n % 2]['id']}"] if n < 160
                else ["instances:1"] if n < 180 else [])
        unknown = [dev] if n >= 190 else []
        for sid in refs:
            scopes[sid]["holders"].append(iam_id)
        for sid in unknown:
            scopes[sid]["maybe"].append(iam_id)
        if n >= 180:
            scopes["all"]["one_short"].append({"subject": iam_id, "lacks": CONSOLE})
        subjects.append({"iam_id": iam_id, "kind": "user", "email": f"user{n:03d}@example.com",
                         "name": f"User {n}", "state": "ACTIVE",
                         "can_open": [{"scope": sid, "through": [via]} for sid in refs],
                         "can_open_count": sum(len(scopes[sid]["instances"]) for sid in refs),
                         "unknown": unknown, "one_short": {CONSOLE: ["all"]} if n >= 180 else {}})
    instances = [{"id": iid, "name": f"vm-{n:04d}", "crn": f"crn:v1:...:instance:{iid}",
                  "region": "us-south", "zone": "us-south-1", "status": "running",
                  "resource_group": rg_of[iid], "access_tags": []}
                 for n, iid in enumerate(ids)]
    expected = [subjects[-1]["iam_id"], subjects[-2]["iam_id"]]
    return {
        "kind": "iamcheck-audit", "schema_version": 2, "account_id": "a" * 32,
        "read_at": "2026-11-27T07:00:00+00:00", "evaluated_at": "2026-11-27T12:00:00+00:00",
        "requirement": {"id": "vpc-console", "title": "Open the console",
                        "actions": ["is.instance.instance.operate", CONSOLE]},
        "summary": {"subjects": n_subjects, "instances": n_instances,
                    "pairs": {"allow": sum(s["can_open_count"] for s in subjects), "deny": 0,
                              "unknown": 10 * half},
                    "subjects_with_access": 180, "subjects_one_short": 20, "findings": 1},
        "subjects": subjects, "instances": instances, "scopes": list(scopes.values()),
        "findings": [{"kind": "public_access", "severity": "warning", "rule": "P3",
                      "policy_id": "pol00000-aaaa", "subject": "AccessGroupId-PublicAccess",
                      "detail": "policy pol00000-aaaa gives Viewer to the Public Access group"}],
        "gaps": [],
        "expectations": {"result": "fail", "expected": expected,
                         "violations": [{"kind": "missing", "subject": s, "instance_id": i,
                                         "detail": "expected to open the console, cannot"}
                                        for s in expected for i in ids]},
    }


def test_table_and_markdown_stay_readable_at_200_people_and_2000_instances() -> None:
    doc = scale_document()
    for fmt in (AuditFormat.TABLE, AuditFormat.MARKDOWN):
        out = render_audit(fmt, doc)
        assert len(out.splitlines()) < 400, fmt
        assert "+297" in out  # the explicit list of 300 instances, capped
        assert "all instances in resource group prod (1000)" in out  # a scope
        assert "all 1000 instances in resource group dev" in out  # a set of instances
        assert "all 2000 instances" in out  # the missing expectations, one row
        named = set(re.findall(r"vm-\d{4}", out))
        assert len(named) < 20, f"{fmt}: {len(named)} instance names listed"
        assert not any(i["id"] in out for i in doc["instances"])
        for subject in doc["subjects"][:180]:
            assert subject["email"] in out
    assert len(render_audit(AuditFormat.MARKDOWN, doc)) < 65536  # fits a GitHub comment


# --- the document ---------------------------------------------------------------------------

def _pairs_by_subject(doc: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    ids = [i["id"] for i in doc["instances"]]
    scopes = {s["id"]: [ids[k] for k in s["instances"]] for s in doc["scopes"]}
    out: dict[str, set[tuple[str, str]]] = {"allow": set(), "unknown": set()}
    for subject in doc["subjects"]:
        for ref in [c["scope"] for c in subject["can_open"]]:
            out["allow"] |= {(subject["iam_id"], i) for i in scopes[ref]}
        for ref in subject["unknown"]:
            out["unknown"] |= {(subject["iam_id"], i) for i in scopes[ref]}
    return out


def test_every_scope_is_defined_once_and_both_sides_agree(audit: dict[str, Any]) -> None:
    scopes = {s["id"]: s for s in audit["scopes"]}
    assert len(scopes) == len(audit["scopes"])
    for scope in scopes.values():  # instances by place, each once
        assert len(set(scope["instances"])) == len(scope["instances"])
        assert all(0 <= k < len(audit["instances"]) for k in scope["instances"])
    for side, key in (("holders", "can_open"), ("maybe", "unknown")):
        named = {(s["iam_id"], e["scope"] if isinstance(e, dict) else e)
                 for s in audit["subjects"] for e in s[key]}
        assert named == {(who, sid) for sid, scope in scopes.items() for who in scope[side]}
    short = {(s["iam_id"], action, sid) for s in audit["subjects"]
             for action, refs in s["one_short"].items() for sid in refs}
    assert short == {(e["subject"], e["lacks"], sid) for sid, scope in scopes.items()
                     for e in scope["one_short"]}
    by_subject = _pairs_by_subject(audit)
    assert len(by_subject["allow"]) == audit["summary"]["pairs"]["allow"]
    assert len(by_subject["unknown"]) == audit["summary"]["pairs"]["unknown"]
    for subject in audit["subjects"]:
        allowed = {i["id"] for i in audit["instances"]
                   if (subject["iam_id"], i["id"]) in by_subject["allow"]}
        assert subject["can_open_count"] == len(allowed)


def test_document_of_a_generated_account_holds_every_verdict() -> None:
    from datetime import UTC, datetime

    from iamcheck.audit.document import audit_document
    from iamcheck.audit.run import Selection, run_audit
    from iamcheck.decide import Verdict
    from iamcheck.emulator.seed.generate import generate
    from iamcheck.requirement import load_requirement
    from tests.support.seed_model import account_from_seed

    at = datetime(2026, 11, 27, 12, tzinfo=UTC)
    account = account_from_seed(generate(users=40, instances=150, groups=30, policies=160,
                                         seed=4, regions=3), read_at=at)
    report = run_audit(account, load_requirement(), Selection(), at)
    doc = audit_document(report)
    got = _pairs_by_subject(doc)
    result = report.result
    for verdict in (Verdict.ALLOW, Verdict.UNKNOWN):
        assert got[verdict.value] == set(result.pairs(verdict)), verdict
    assert got["allow"] and got["unknown"]  # the account exercises both
    scopes = {s["id"]: s for s in doc["scopes"]}
    ids = [i["id"] for i in doc["instances"]]
    short = {(e["subject"], ids[k], e["lacks"]) for s in scopes.values() for e in s["one_short"]
             for k in s["instances"]}
    assert short == {(s, iid, a) for iid in (i.id for i in result.instances)
                     for s, a in result.one_action_short(iid)}
    # "through" names every policy that supplies an action on some instance of the scope, and
    # only those (issue 11: not just the policies of its first instance)
    for subject in doc["subjects"]:
        for entry in subject["can_open"][:1]:
            members = [ids[k] for k in scopes[entry["scope"]]["instances"]]
            supplied = {(g.policy_id, g.action) for iid in members
                        for g in result.grants(subject["iam_id"], iid)}
            assert {(t["policy_id"], t["action"]) for t in entry["through"]} == supplied
