"""The one call `audit --plan` and `--with-policy` need: decide before and after the changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from iamcheck.audit.run import Selection, run_audit
from iamcheck.change.apply import apply
from iamcheck.change.changes import Change
from iamcheck.change.diff import AuditDiff, diff_reports
from iamcheck.model import AccountData
from iamcheck.requirement import Requirement


def review_changes(account: AccountData, requirement: Requirement, changes: Iterable[Change],
                   at: datetime, selection: Selection | None = None) -> AuditDiff:
    """Who gains and who loses console access if `changes` are applied to `account`; the
    changes it cannot model are named in the diff and make the verdicts they touch unknown."""
    chosen = selection or Selection()
    after, unmodelled = apply(account, changes)
    before_report = run_audit(account, requirement, chosen, at)
    after_report = run_audit(after, requirement, chosen, at)
    return diff_reports(before_report, after_report, [f"{u.name}: {u.reason}" for u in unmodelled])
