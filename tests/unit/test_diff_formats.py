"""The diff document in every format, with hostile account text (issue 16)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from iamcheck.formats import REGISTRY, DiffFormat, render

HOSTILE = '=cmd|"/c calc"!A1\x1b[31m\u202e|</x>'


def _doc(fail_on: list[str]) -> dict[str, Any]:
    return {"kind": "iamcheck-diff", "schema_version": 1, "requirement": "vpc-console",
            "old_read_at": "a", "new_read_at": "b",
            "summary": {"gained": 1, "lost": 0, "maybe_gained": 0, "maybe_lost": 1,
                        "cleared": 0}, "unmodelled": [],
            "gate": {"fail_on": fail_on, "result": "fail" if fail_on else None},
            "transitions": [
                {"instance_id": "i-1", "instance_name": HOSTILE, "subject": "IBMid-1",
                 "subject_label": HOSTILE, "before": "deny", "after": "allow", "kind": "gained",
                 "paths": [{"action": "a", "policy_id": "p-1", "role": "r", "via": "directly"}],
                 "causes": [{"kind": "policy_added", "id": "p-1", "detail": HOSTILE}]},
                {"instance_id": "i-1", "instance_name": HOSTILE, "subject": "IBMid-2",
                 "subject_label": "ines@example.com", "before": "allow", "after": "unknown",
                 "kind": "maybe_lost", "paths": [], "causes": []}]}


def test_every_diff_format_is_registered() -> None:
    assert {f for d, f in REGISTRY if d == "diff"} == {f.value for f in DiffFormat}


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "junit", "sarif"])
def test_hostile_text_is_escaped(fmt: str) -> None:
    text = render("diff", fmt, _doc(["gained", "lost"]))
    assert "\x1b" not in text and "\u202e" not in text
    assert "ines@example.com" in text


def test_csv_cells_are_text() -> None:
    rows = list(csv.reader(io.StringIO(render("diff", "csv", _doc([])))))
    assert rows[0][:5] == ["instance_id", "instance_name", "subject", "subject_label", "kind"]
    assert rows[1][1].startswith("'=") and rows[1][4] == "gained"
    assert rows[1][8].startswith("policy added: ")


def test_junit_and_sarif_follow_the_gate() -> None:
    suite = ET.fromstring(render("diff", "junit", _doc(["gained", "lost"])).split("?>", 1)[1])
    assert (suite.get("failures"), suite.get("errors"), suite.get("tests")) == ("1", "1", "2")
    quiet = ET.fromstring(render("diff", "junit", _doc([])).split("?>", 1)[1])
    assert (quiet.get("failures"), quiet.get("errors")) == ("0", "0")
    sarif = json.loads(render("diff", "sarif", _doc(["gained"])))
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error", "warning"]
