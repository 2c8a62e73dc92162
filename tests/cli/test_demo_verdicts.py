"""The demo account end to end: audit over HTTP matches the hand-derived oracle, and check agrees
with audit on every pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import Emulator

ORACLE = json.loads((Path(__file__).parents[1] / "data" / "demo_expectations.json").read_text())
AT = "2026-11-27T12:00:00+00:00"  # inside the oracle's validity window


def _audit_verdicts(doc: dict[str, Any]) -> dict[tuple[str, str], str]:
    verdicts = {}
    instances = [i["id"] for i in doc["instances"]]
    for subject in doc["subjects"]:
        allowed = {i for scope in subject["can_open"] for i in scope["instances"]}
        unknown = set(subject["unknown"])
        for inst in instances:
            verdicts[subject["iam_id"], inst] = (
                "allow" if inst in allowed else "unknown" if inst in unknown else "deny")
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


def test_check_agrees_with_audit_on_every_demo_pair(demo: Emulator, audit_doc: dict[str, Any],
                                                    against: Invoke) -> None:
    verdicts = _audit_verdicts(audit_doc)
    exit_codes = {"allow": 0, "deny": 1, "unknown": 3}
    disagreements = []
    for (subject, instance), expected in sorted(verdicts.items()):
        run = against("check", "--user", subject, "--instance", instance, "--at", AT,
                      "--format", "json")
        got = run.json()["verdict"] if run.stdout else run.stderr
        if got != expected or run.exit_code != exit_codes[expected]:
            disagreements.append((subject, instance, expected, got, run.exit_code))
    assert not disagreements, disagreements[:10]
