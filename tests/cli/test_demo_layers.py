"""`audit` of the demo against the hand-derived `layers` of tests/data/demo_expectations.json:
the SRE on-call trusted profile, its linked runbook host, the enforced CBR rule (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke

ORACLE = json.loads((Path(__file__).resolve().parents[1] / "data" / "demo_expectations.json")
                    .read_text(encoding="utf-8"))["layers"]
AT = "2026-11-27T12:00:00+00:00"


def _verdicts(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    names = [i["id"] for i in doc["instances"]]
    scopes = {s["id"]: [names[k] for k in s["instances"]] for s in doc["scopes"]}
    out = {}
    for subject in doc["subjects"]:
        allowed = {i for e in subject["can_open"] for i in scopes[e["scope"]]}
        unknown = {i for ref in subject["unknown"] for i in scopes[ref]}
        for inst in names:
            out[subject["iam_id"], inst] = ("allow" if inst in allowed else
                                            "unknown" if inst in unknown else "deny")
    return out


@pytest.fixture
def audit(against: Invoke) -> dict[str, Any]:
    run = against("audit", "--format", "json", "--at", AT)
    assert run.exit_code == 0, run.stderr
    return run.json()  # type: ignore[no-any-return]


def test_the_profile_is_a_subject_with_who_may_apply_it(audit: dict[str, Any]) -> None:
    verdicts = _verdicts(audit)
    subjects = {s["iam_id"]: s for s in audit["subjects"]}
    for expected in ORACLE["profiles"]:
        got = subjects[expected["iam_id"]]
        assert got["kind"] == "trusted_profile" and got["name"] == expected["name"]
        for verdict in ("allow", "deny"):
            assert {i for i in expected[verdict]
                    if verdicts[expected["iam_id"], i] == verdict} == set(expected[verdict])
        assert [{"realm": r["realm"], "conditions": r["conditions"]}
                for r in got["may_apply"]] == expected["may_apply"]
        assert [x["crn"] for x in got["linked"]] == expected["linked"]


def test_linked_resources_and_cbr_rules_on_each_instance(audit: dict[str, Any]) -> None:
    holders = [{"instance": i["id"], "instance_name": i["name"], "kind": h["kind"],
                "cr_type": h["cr_type"], "holder": h["instance"], "verdict": h["verdict"]}
               for i in audit["instances"] for h in i["link_holders"]]
    assert holders == ORACLE["link_holders"]
    rules = [{"instance": i["id"], "instance_name": i["name"], "rule_id": r["rule_id"],
              "mode": r["mode"], "requires": r["requires"]}
             for i in audit["instances"] for r in i["context_rules"]]
    assert rules == ORACLE["context_rules"]


def test_strict_context_makes_only_the_covered_allows_unknown(audit: dict[str, Any],
                                                              against: Invoke) -> None:
    strict = against("audit", "--format", "json", "--at", AT, "--strict-context")
    assert strict.exit_code == 0, strict.stderr
    walled = {r["instance"] for r in ORACLE["context_rules"] if r["mode"] == "enabled"}
    before, after = _verdicts(audit), _verdicts(strict.json())
    changed = {pair for pair in before if before[pair] != after[pair]}
    assert changed == {p for p, v in before.items() if p[1] in walled and v == "allow"}
    assert changed and all(after[p] == "unknown" for p in changed)


def test_the_tables_show_both(against: Invoke) -> None:
    for fmt in ("table", "markdown"):
        text = " ".join(against("audit", "--format", fmt, "--at", AT).stdout.split())
        assert "sre-oncall" in text and "profile link" in text and "data-etl-01" in text
        assert ORACLE["context_rules"][0]["rule_id"] in text and "10.20.0.0-10.20.255.255" in text
