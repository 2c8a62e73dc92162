"""The demo account end to end: audit over HTTP matches the hand-derived oracle, and check agrees
with audit on every pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamcheck.check.run import run_check
from iamcheck.inputs import instance_ref, instant, user_ref
from iamcheck.requirement import load_requirement
from tests.cli.conftest import Invoke
from tests.conftest import Emulator, session_for

ORACLE = json.loads((Path(__file__).parents[1] / "data" / "demo_expectations.json").read_text())
AT = "2026-11-27T12:00:00+00:00"  # inside the oracle's validity window


def _audit_verdicts(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    verdicts = {}
    instances = [i["id"] for i in doc["instances"]]
    scopes = {s["id"]: [instances[k] for k in s["instances"]] for s in doc["scopes"]}
    for subject in doc["subjects"]:
        if subject["kind"] == "trusted_profile":
            continue  # a subject of the audit (P5), not a person `check --user` takes
        allowed = {i for entry in subject["can_open"] for i in scopes[entry["scope"]]}
        unknown = {i for ref in subject["unknown"] for i in scopes[ref]}
        for inst in instances:
            verdicts[subject["iam_id"], inst] = (
                "allow" if inst in allowed else "unknown" if inst in unknown else "deny"
            )
    return verdicts


@pytest.fixture
def audit_doc(against: Invoke) -> dict[str, Any]:
    run = against("audit", "--format", "json", "--at", AT)
    assert run.exit_code == 0, run.stderr
    return run.json()  # type: ignore[no-any-return]


def test_audit_matches_the_hand_derived_oracle(audit_doc: dict[str, Any]) -> None:
    verdicts = _audit_verdicts(audit_doc)
    wrong = []
    for case in ORACLE["pairs"]:
        if case.get("at") and case["at"] != AT:
            continue
        got = verdicts.get((case["subject"], case["instance"]))
        if got != case["verdict"]:
            wrong.append((case["subject"], case["instance"], case["verdict"], got))
    assert not wrong, wrong


def test_check_agrees_with_audit_on_every_demo_pair(
    demo: Emulator, audit_doc: dict[str, Any]
) -> None:
    verdicts = _audit_verdicts(audit_doc)
    session = session_for(demo)
    requirement = load_requirement()
    at = instant(AT)
    disagreements = []
    for (subject, instance), expected in sorted(verdicts.items()):
        result = run_check(session, requirement, user_ref(subject), instance_ref(instance), at)
        if result.decision.verdict.value != expected:
            disagreements.append((subject, instance, expected, result.decision.verdict.value))
    assert not disagreements, disagreements[:10]


def test_check_cli_exit_codes_follow_the_verdict(
    audit_doc: dict[str, Any], against: Invoke
) -> None:
    """One pair per subject through the real command line: verdict and exit code agree."""
    verdicts = _audit_verdicts(audit_doc)
    exit_codes = {"allow": 0, "deny": 1, "unknown": 3}
    seen: set[str] = set()
    for (subject, instance), expected in sorted(verdicts.items()):
        if subject in seen:
            continue
        seen.add(subject)
        run = against(
            "check", "--user", subject, "--instance", instance, "--at", AT, "--format", "json"
        )
        assert (run.json()["verdict"], run.exit_code) == (expected, exit_codes[expected]), (
            run.stderr
        )
