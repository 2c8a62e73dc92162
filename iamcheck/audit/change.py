"""`audit --plan PLAN.json` and `audit --with-policy FILE`, step by step: check the input (the
files are read and parsed before any IBM call), read the account (or load the snapshot), turn
the files into changes on it, decide before and after, compare. The result is the DiffResult
of `iamcheck diff`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamcheck.audit.run import AuditOptions, Selection, read_or_load
from iamcheck.change import changes_from_plan, changes_from_policy_bodies, review_changes
from iamcheck.change.changes import Change
from iamcheck.change.policy_file import load_policy_bodies
from iamcheck.change.terraform import PlanError, load_plan
from iamcheck.connection import Connection
from iamcheck.diff.run import DiffResult
from iamcheck.errors import BadInput
from iamcheck.inputs import instance_ref, instant, user_ref
from iamcheck.model import AccountData
from iamcheck.requirement import requirement_from
from iamcheck.strict_json import read_bounded


@dataclass(frozen=True)
class ChangeFiles:
    plan: Path | None = None
    with_policy: Path | None = None


def _text(path: Path, option: str) -> str:
    try:
        return read_bounded(path, option).decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{option} {path}: not UTF-8 text") from None


@dataclass(frozen=True)
class _Parsed:
    plan: dict[str, Any] | None
    bodies: list[Any] | None
    source: str


def parse(files: ChangeFiles) -> _Parsed:
    """Both files read and checked as JSON of the right shape, before the account is read."""
    plan = bodies = None
    try:
        if files.plan is not None:
            plan = load_plan(_text(files.plan, "--plan"))
    except PlanError as err:
        raise BadInput(f"--plan {files.plan}: {err}") from None
    try:
        if files.with_policy is not None:
            bodies = load_policy_bodies(_text(files.with_policy, "--with-policy"))
    except PlanError as err:
        raise BadInput(f"--with-policy {files.with_policy}: {err}") from None
    return _Parsed(plan, bodies, files.with_policy.name if files.with_policy else "policy")


def changes_of(parsed: _Parsed, account: AccountData) -> tuple[Change, ...]:
    out: tuple[Change, ...] = ()
    if parsed.plan is not None:
        try:
            out += changes_from_plan(parsed.plan, account)
        except PlanError as err:
            raise BadInput(f"--plan: {err}") from None
    if parsed.bodies is not None:
        out += changes_from_policy_bodies(parsed.bodies, parsed.source)
    return out


def review(conn: Connection, opts: AuditOptions, files: ChangeFiles) -> DiffResult:
    if files.plan is None and files.with_policy is None:
        raise BadInput("audit: --plan or --with-policy names the changes to review")
    if opts.expect is not None or opts.only_expected:
        raise BadInput("--expect cannot be combined with --plan or --with-policy")
    sel = Selection(
        instances=tuple(instance_ref(i) for i in opts.instances),
        resource_groups=opts.resource_groups,
        regions=opts.regions,
        users=tuple(user_ref(u) for u in opts.users),
        access_groups=opts.access_groups,
    )
    when = instant(opts.at) if opts.at is not None else datetime.now(UTC)
    parsed = parse(files)
    req = requirement_from(opts.requirement)
    account = read_or_load(conn, req, opts.snapshot)
    return DiffResult(review_changes(account, req, changes_of(parsed, account), when, sel))
