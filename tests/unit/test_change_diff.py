"""The diff of two audit JSON documents (schema 2), without the accounts behind them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from iamcheck.change import diff_documents
from iamcheck.change.diff import DiffError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_audit.json"
RAVI = "IBMid-6650001002"  # on-call: opens every instance


@pytest.fixture()
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return loaded


def test_the_same_document_has_no_transitions(doc: dict[str, Any]) -> None:
    assert diff_documents(doc, copy.deepcopy(doc)).transitions == ()


def test_a_holder_who_becomes_uncertain_is_a_maybe_loss(doc: dict[str, Any]) -> None:
    new = copy.deepcopy(doc)
    ravi = next(s for s in new["subjects"] if s["iam_id"] == RAVI)
    ravi["unknown"], ravi["can_open"] = [ravi["can_open"][0]["scope"]], []
    diff = diff_documents(doc, new)
    assert {t.kind for t in diff.transitions} == {"maybe_lost"}
    assert len(diff.transitions) == len(doc["instances"])
    assert all(t.subject == RAVI and t.subject_label == "ravi.lindqvist@example.com"
               for t in diff.transitions)
    assert all("7b3e0005-2f1a-4c6d-9e8b-5a0c7d2e0005" in {p.policy_id for p in t.paths}
               for t in diff.transitions)
    assert diff.gate(["lost"]) == "unknown" and diff.gate(["gained"]) == "pass"
    back = diff_documents(new, doc)
    assert back.gate(["gained"]) == "fail" and back.gate(["lost"]) == "pass"
    assert diff_documents(doc, doc, unmodelled=["ibm_iam_x.y"]).gate(["lost"]) == "unknown"
    assert {t.kind for t in back.transitions} == {"gained"}
    assert set(back.by_subject()) == {RAVI}
    assert len(back.by_instance()) == len(doc["instances"])


def test_a_changed_path_with_the_same_verdict_is_not_a_transition(doc: dict[str, Any]) -> None:
    new = copy.deepcopy(doc)
    ravi = next(s for s in new["subjects"] if s["iam_id"] == RAVI)
    ravi["can_open"][0]["through"][0]["policy_id"] = "another-policy"
    assert diff_documents(doc, new).transitions == ()


def test_documents_that_cannot_be_compared(doc: dict[str, Any]) -> None:
    other = copy.deepcopy(doc)
    other["requirement"]["id"] = "vpc-console-grant"
    with pytest.raises(DiffError, match="different requirements"):
        diff_documents(doc, other)
    with pytest.raises(DiffError, match="schema_version 2"):
        diff_documents(doc, {**doc, "schema_version": 1})
    broken = copy.deepcopy(doc)
    broken["subjects"][1]["can_open"][0]["scope"] = "no-such-scope"
    with pytest.raises(DiffError, match="malformed"):
        diff_documents(doc, broken)
