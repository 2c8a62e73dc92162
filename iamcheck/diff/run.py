"""`diff`, step by step: check the input, read the two files (snapshots or audit documents),
decide each snapshot with the same audit, compare, gate.

The comparison itself is pure (iamcheck/change/diff.py); `audit --plan` and `--with-policy`
give the same DiffResult (iamcheck/audit/change.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from iamcheck.audit.document import audit_document
from iamcheck.audit.run import AuditReport, Selection, run_audit
from iamcheck.change.diff import AuditDiff, DiffError, diff_documents
from iamcheck.errors import BadInput, ExitCode
from iamcheck.inputs import instant
from iamcheck.model import AccountData
from iamcheck.read import snapshot as snapshots
from iamcheck.requirement import Requirement, requirement_from
from iamcheck.strict_json import load_file

FailOn = Literal["gained", "lost"]
FAIL_ON: tuple[FailOn, ...] = ("gained", "lost")


@dataclass(frozen=True)
class DiffResult:
    diff: AuditDiff
    fail_on: tuple[FailOn, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        """With --fail-on: 1 on a certain gain (loss), 3 when one is only possible or a change
        could not be modelled; 0 otherwise, and always without --fail-on."""
        if not self.fail_on:
            return ExitCode.OK
        gate = self.diff.gate(self.fail_on)
        return {"fail": ExitCode.FINDING, "unknown": ExitCode.UNKNOWN}.get(gate, ExitCode.OK)


@dataclass(frozen=True)
class DiffOptions:
    """What the command line gave, unchecked."""

    old: Path
    new: Path
    fail_on: tuple[str, ...] = ()
    requirement: Path | None = None
    at: str | None = None


def fail_on_values(given: tuple[str, ...]) -> tuple[FailOn, ...]:
    out: list[FailOn] = []
    for value in given:
        match = next((f for f in FAIL_ON if f == value), None)
        if match is None:
            raise BadInput(f"--fail-on: {value[:40]!r} is not one of {', '.join(FAIL_ON)}")
        out.append(match)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class _Side:
    document: dict[str, Any]
    account: AccountData | None  # a snapshot: the cause of each transition can be named


def _side(path: Path, which: str, requirement: Requirement, at: datetime) -> _Side:
    option = f"diff {which}"
    doc = load_file(path, option)
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if kind == snapshots.KIND:
        if doc.get("schema_version") != snapshots.SCHEMA_VERSION:
            raise BadInput(f"{option} {path}: snapshot schema_version "
                           f"{doc.get('schema_version')!r}; this iamcheck reads "
                           f"{snapshots.SCHEMA_VERSION}")
        try:
            account = snapshots.from_json(doc["account"])
        except (KeyError, TypeError, ValueError) as err:
            raise BadInput(f"{option} {path}: the snapshot is damaged "
                           f"({type(err).__name__})") from None
        report: AuditReport = run_audit(account, requirement, Selection(), at)
        return _Side(audit_document(report), account)
    if kind == "iamcheck-audit":
        return _Side(doc, None)
    raise BadInput(f"{option} {path}: neither an iamcheck snapshot nor an audit JSON document")


def compare(old: _Side, new: _Side) -> AuditDiff:
    accounts = (old.document.get("account_id"), new.document.get("account_id"))
    if accounts[0] != accounts[1]:
        raise BadInput(f"diff: OLD and NEW are reads of different accounts "
                       f"({str(accounts[0])[:40]} and {str(accounts[1])[:40]})")
    try:
        return diff_documents(old.document, new.document, old.account, new.account)
    except DiffError as err:
        raise BadInput(f"diff: {err}") from None


def diff(opts: DiffOptions) -> DiffResult:
    """Check the input, read both files, decide the snapshots, compare."""
    fail_on = fail_on_values(opts.fail_on)
    when = instant(opts.at) if opts.at is not None else datetime.now(UTC)
    req = requirement_from(opts.requirement)
    old = _side(opts.old, "OLD", req, when)
    new = _side(opts.new, "NEW", req, when)
    return DiffResult(compare(old, new), fail_on)
