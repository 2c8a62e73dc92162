"""The per-subject review export, from the demo audit: one row per (subject, scope)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamcheck.audit.document import audit_document
from iamcheck.audit.run import AuditReport, Selection, run_audit
from iamcheck.requirement import load_requirement
from iamcheck.review.export import (
    NOT_RECORDED,
    rows_document,
    rows_from_document,
    rows_from_report,
    write_csv,
)
from tests.support.seed_model import account_from_seed

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
INES = "IBMid-6650001005"


@pytest.fixture(scope="module")
def report() -> AuditReport:
    seed = json.loads((ROOT / "iamcheck/emulator/seed/demo.json").read_text(encoding="utf-8"))
    return run_audit(account_from_seed(seed, read_at=AT), load_requirement(), Selection(), AT)


def test_every_holder_once_per_scope(report: AuditReport) -> None:
    rows = rows_from_report(report)
    keys = [(r.subject, r.scope_label, r.verdict) for r in rows]
    assert len(keys) == len(set(keys))
    result = report.result
    for inst in result.instances:
        holders = {r.subject for r in rows if r.verdict == "allow"
                   and any(inst.id in s.instance_ids for s in result.scopes(r.subject)
                           if s.label == r.scope_label)}
        assert holders == set(result.holders(inst.id))
    for subject in result.subjects:  # a subject's scopes may overlap; together they are exact
        covered = {i for s in result.scopes(subject) for i in s.instance_ids}
        assert covered == set(result.allowed(subject))
        assert sum(1 for r in rows if r.subject == subject and r.verdict == "allow") == \
            len(result.scopes(subject))


def test_paths_until_and_reasons(report: AuditReport) -> None:
    rows = rows_from_report(report)
    ines = [r for r in rows if r.subject == INES and r.verdict == "allow"]
    assert len(ines) == 1
    assert ines[0].how == ("direct",)
    assert ines[0].policy_ids == ("7b3e0008-2f1a-4c6d-9e8b-5a0c7d2e0008",)
    assert ines[0].until == datetime(2036, 12, 31, 23, 59, 59, tzinfo=UTC)
    unknown = [r for r in rows if r.verdict == "unknown"]
    assert unknown and all(r.reasons for r in unknown)
    assert {"group", "public", "direct"} <= {h for r in rows for h in r.how}


def test_the_document_gives_the_same_allow_rows(report: AuditReport) -> None:
    # The document does not say which memberships came from a dynamic rule: "group" there.
    from_report = {(r.subject, r.scope_label, r.policy_ids,
                    tuple("group" if h == "dynamic rule" else h for h in r.how))
                   for r in rows_from_report(report) if r.verdict == "allow"}
    assert any("dynamic rule" in r.how for r in rows_from_report(report))
    doc_rows = rows_from_document(audit_document(report))
    from_doc = {(r.subject, r.scope_label, r.policy_ids, r.how) for r in doc_rows
                if r.verdict == "allow"}
    assert from_doc == from_report
    assert all(r.reasons == (NOT_RECORDED,) for r in doc_rows if r.verdict == "unknown")


def test_csv_neutralises_formulas(report: AuditReport) -> None:
    from dataclasses import replace

    row = replace(rows_from_report(report)[0], label='=HYPERLINK("http://x","y")',
                  groups=("+ops", "@team"))
    text = write_csv([row])
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][0] == "subject"
    assert parsed[1][1] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert parsed[1][9] == "'+ops; @team"


def test_json_rows_keep_the_same_content(report: AuditReport) -> None:
    rows = rows_from_report(report)
    doc = json.loads(json.dumps(rows_document(rows)))
    assert len(doc["rows"]) == len(rows)
    ines = next(r for r in doc["rows"] if r["subject"] == INES)
    assert ines["until"] == "2036-12-31T23:59:59+00:00" and ines["how"] == ["direct"]


def test_last_used_is_the_latest_permit_of_the_policies() -> None:
    from dataclasses import replace
    from datetime import timedelta

    from tests.unit.decide_builders import (
        ALICE,
        CONSOLE,
        OPERATOR,
        REQ,
        account,
        instance,
        policy,
        user,
    )
    from tests.unit.decide_builders import AT as BAT

    operate = replace(policy("p-op", ALICE, OPERATOR), last_permit_at=BAT - timedelta(days=3),
                      last_permit_frequency=2)
    console = replace(policy("p-con", ALICE, CONSOLE), last_permit_at=BAT - timedelta(days=30),
                      last_permit_frequency=1)
    data = account(users=[user(ALICE)], policies=[operate, console], instances=[instance()])
    (row,) = rows_from_report(run_audit(data, REQ, Selection(), BAT))
    assert set(row.policy_ids) == {"p-op", "p-con"}
    assert row.last_used == BAT - timedelta(days=3)
    assert row.until is None
