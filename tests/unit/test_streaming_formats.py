"""Issue 17: CSV and JSON audits are written as they are encoded, with the same bytes as when
rendered whole; Markdown fits a GitHub comment (65,536 characters) whatever the account's size."""

from __future__ import annotations

import copy
import csv
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from iamcheck.formats import AuditFormat, render_audit, stream
from iamcheck.formats.json_format import stream as json_stream
from iamcheck.formats.json_format import write
from iamcheck.formats.markdown_format import LIMIT
from tests.unit.test_formats import scale_document

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "sample_audit.json").read_text(encoding="utf-8"))
    return doc


class Chunks(io.StringIO):
    """Counts the writes, and the longest one."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.longest = 0

    def write(self, text: str) -> int:
        self.writes += 1
        self.longest = max(self.longest, len(text))
        return super().write(text)


DOCS: list[Any] = [
    {}, {"a": []}, {"a": [1], "b": {"c": [1, 2]}, "é": "naïve \u202e \x1b"},
    {"list": [{"x": i, "y": [i] * i} for i in range(5)], "empty": {}, "none": None},
]


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("layout", ["lines", "indented", "sorted"])
def test_streamed_json_has_the_bytes_of_the_written_json(doc: Any, layout: Any) -> None:
    out = io.StringIO()
    json_stream(doc, out, layout)
    assert out.getvalue() == write(doc, layout)
    json.loads(out.getvalue())


def test_the_audit_streams_entry_by_entry_with_the_same_bytes(sample: dict[str, Any]) -> None:
    for doc in (sample, scale_document()):
        out = Chunks()
        stream("audit", "json", doc, out)
        assert out.getvalue() == render_audit(AuditFormat.JSON, doc)
        assert json.loads(out.getvalue()) == doc
        entries = sum(len(v) for v in doc.values() if isinstance(v, list))
        assert out.writes > entries  # one write per entry at least, never the whole text
        parts = [e for v in doc.values() for e in (v if isinstance(v, list) else [v])]
        biggest = max(len(json.dumps(e, ensure_ascii=False)) for e in parts)
        assert out.longest < biggest + 100


def test_streamed_csv_has_the_rows_of_the_rendered_csv(sample: dict[str, Any]) -> None:
    for doc in (sample, scale_document()):
        out = Chunks()
        stream("audit", "csv", doc, out)
        assert out.getvalue() == render_audit(AuditFormat.CSV, doc)
        rows = out.getvalue().count("\n")
        assert out.writes >= rows  # row by row
        assert out.longest < 2000


def _account(subjects: int, instances: int, per_subject: int) -> dict[str, Any]:
    """A document where each subject can open `per_subject` scopes of all the instances."""
    listed = [{"id": f"0717_{n:06d}", "name": f"vm-{n}", "region": "us-south",
               "resource_group": {"id": "rg", "name": "prod"}} for n in range(instances)]
    scopes = [{"id": f"instances:{k}", "instances": list(range(instances))}
              for k in range(per_subject)]
    people = [{"iam_id": f"IBMid-{n:06d}", "email": f"user{n}@example.com",
               "can_open": [{"scope": f"instances:{k}", "through": [{"policy_id": "p1"}]}
                            for k in range(per_subject)],
               "unknown": [], "one_short": {}} for n in range(subjects)]
    return {"subjects": people, "instances": listed, "scopes": scopes}


def test_csv_memory_does_not_grow_with_the_rows() -> None:
    """Ten times the rows, from the same size of document, need no more memory: the rows go to
    the stream as they are made."""

    class Discard(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    def peak(subjects: int, instances: int) -> int:
        doc = _account(subjects, instances, 2)
        tracemalloc.start()
        stream("audit", "csv", doc, Discard())
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    few, many = peak(10, 300), peak(100, 300)  # 3,000 and 30,000 rows
    assert many < few + 100_000  # a subject's set of ids, not its rows


def test_csv_cells_are_safe_for_spreadsheets_and_terminals(sample: dict[str, Any]) -> None:
    doc = copy.deepcopy(sample)
    subject = next(s for s in doc["subjects"] if s["can_open"])
    subject["email"] = "=HYPERLINK(\"http://x\")\x1b[2J"
    rows = list(csv.reader(io.StringIO(render_audit(AuditFormat.CSV, doc))))
    cells = [c for r in rows for c in r]
    assert "'=HYPERLINK(\"http://x\")\\x1b[2J" in cells
    assert not any(c.startswith(("=", "+", "@")) or "\x1b" in c for c in cells)


def _huge(sample: dict[str, Any], n: int, text: str) -> dict[str, Any]:
    doc = copy.deepcopy(sample)
    template = next(s for s in doc["subjects"] if s["can_open"])
    for k in range(n):
        extra = copy.deepcopy(template)
        extra["iam_id"] = f"IBMid-{k:08d}"
        extra["email"] = f"{text}{k}@example.com"
        doc["subjects"].append(extra)
    doc["findings"] = [dict(doc["findings"][0], detail=text * 50)] * n if doc["findings"] else []
    doc["gaps"] = [{"what": text * 20, "reason": text * 20}] * n
    return doc


@pytest.mark.parametrize("text", ["person", "\u202e`|<b>x</b>", "a" * 3000])
def test_markdown_fits_a_comment_whatever_the_size(sample: dict[str, Any], text: str) -> None:
    doc = _huge(sample, 3000, text)
    out = render_audit(AuditFormat.MARKDOWN, doc)
    assert len(out) <= LIMIT
    assert out.startswith("## iamcheck audit")
    assert "The full report: `iamcheck audit --format json`" in out
    assert "more rows not shown here" in out
    assert "\u202e" not in out and "<b>" not in out.replace("`", "\0").split("\0")[0::2][0]
    small = render_audit(AuditFormat.MARKDOWN, sample)
    assert "more rows not shown here" not in small  # a small account is shown whole
