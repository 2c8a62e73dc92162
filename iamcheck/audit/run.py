"""`audit`, step by step: check the input, read the whole account (or load a snapshot), select
subjects and instances, decide them all, weigh the expectations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from iamcheck.connection import Connection, open_session
from iamcheck.decide import AccountResult, Finding, Verdict, decide_account, risks
from iamcheck.errors import BadInput, ExitCode
from iamcheck.inputs import InstanceRef, UserRef, instance_ref, instant, user_ref
from iamcheck.model import AccountData, Instance
from iamcheck.read import snapshot as snapshots
from iamcheck.read.lookup import AccountLookup
from iamcheck.requirement import Requirement, requirement_from


@dataclass(frozen=True)
class Selection:
    instances: tuple[InstanceRef, ...] = ()
    resource_groups: tuple[str, ...] = ()  # ids or names
    regions: tuple[str, ...] = ()
    users: tuple[UserRef, ...] = ()
    access_groups: tuple[str, ...] = ()  # ids or names: their members


@dataclass(frozen=True)
class Expectations:
    users: tuple[UserRef, ...]
    groups: tuple[str, ...]  # access group names or ids: all their members
    only_expected: bool = False
    source: str = ""


# missing: expected, not allowed; unexpected: allowed, not expected; unknown: undecided
ViolationKind = Literal["missing", "unexpected", "unknown"]


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    subject: str
    instance_id: str
    detail: str


@dataclass(frozen=True)
class ExpectationResult:
    expected: tuple[str, ...]  # iam_ids
    violations: tuple[Violation, ...]
    source: str = ""  # the expectations file

    @property
    def failed(self) -> bool:
        return any(v.kind != "unknown" for v in self.violations)

    @property
    def undecided(self) -> bool:
        return any(v.kind == "unknown" for v in self.violations)


@dataclass(frozen=True)
class AuditReport:
    account: AccountData
    requirement: Requirement
    at: datetime
    result: AccountResult
    findings: tuple[Finding, ...]
    expectations: ExpectationResult | None = None

    @property
    def exit_code(self) -> ExitCode:
        """0, or with expectations: 1 when one is unmet, 3 when one is undecided."""
        if self.expectations is not None and self.expectations.failed:
            return ExitCode.FINDING
        if self.expectations is not None and self.expectations.undecided:
            return ExitCode.UNKNOWN
        return ExitCode.OK


def run_audit(
    account: AccountData,
    requirement: Requirement,
    selection: Selection,
    at: datetime,
    expect: Expectations | None = None,
) -> AuditReport:
    subjects = select_subjects(account, selection)
    instances = select_instances(account, selection)
    expected = expected_subjects(account, expect) if expect is not None else ()
    if subjects is not None:
        subjects = tuple(dict.fromkeys(subjects + expected))
    result = decide_account(account, requirement, at, subjects=subjects, instances=instances)
    outcome = None
    if expect is not None:
        outcome = weigh(result, expected, expect.only_expected, expect.source)
    return AuditReport(account, requirement, at, result, risks(account, requirement, at), outcome)


def _members(account: AccountData, group_ids: set[str]) -> list[str]:
    return [m.iam_id for m in account.memberships if m.group_id in group_ids]


def _chosen(lookup: AccountLookup, users: tuple[UserRef, ...], groups: tuple[str, ...],
            option: str) -> tuple[str, ...]:
    chosen = [lookup.subject(ref, option).iam_id for ref in users]
    chosen += _members(lookup.account, {lookup.access_group(g, option).id for g in groups})
    return tuple(dict.fromkeys(chosen))


def select_subjects(account: AccountData, sel: Selection) -> tuple[str, ...] | None:
    if not sel.users and not sel.access_groups:
        return None
    lookup = AccountLookup(account)
    return tuple(dict.fromkeys(_chosen(lookup, sel.users, (), "--user")
                               + _chosen(lookup, (), sel.access_groups, "--access-group")))


def select_instances(account: AccountData, sel: Selection) -> tuple[Instance, ...]:
    lookup = AccountLookup(account)
    chosen = lookup.instances(sel.instances) if sel.instances else list(account.instances)
    if sel.resource_groups:
        ids = {lookup.resource_group(g).id for g in sel.resource_groups}
        chosen = [i for i in chosen if i.resource_group_id in ids]
    if sel.regions:
        chosen = [i for i in chosen if i.region in sel.regions]
    return tuple(chosen)


def load_expectations(path: Path, only_expected: bool) -> Expectations:
    """A text file (one email, iam_id or `group:NAME` per line, # comments) or a JSON list."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BadInput(f"--expect: cannot read {path} ({err.strerror})") from None
    except UnicodeDecodeError:
        raise BadInput(f"--expect: {path} is not UTF-8 text") from None
    if path.suffix == ".json":
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as err:
            raise BadInput(f"--expect: {path} is not JSON (line {err.lineno}: {err.msg})") from None
        except RecursionError:
            raise BadInput(f"--expect: {path} is not JSON (nested too deeply)") from None
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise BadInput(f"--expect: {path} must hold a JSON list of strings")
    else:
        entries = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    users, groups = [], []
    for n, entry in enumerate(e for e in entries if e):
        if entry.startswith("group:"):
            if not entry[6:].strip():
                raise BadInput(f"--expect: {path}: entry {n + 1} names no group")
            groups.append(entry[6:].strip())
        else:
            users.append(user_ref(entry, option=f"--expect: {path}: entry {n + 1}"))
    if not users and not groups:
        raise BadInput(f"--expect: {path} names nobody")
    return Expectations(tuple(users), tuple(groups), only_expected, str(path))


def expected_subjects(account: AccountData, expect: Expectations) -> tuple[str, ...]:
    return _chosen(AccountLookup(account), expect.users, expect.groups,
                   f"--expect ({expect.source})")


def weigh(
    result: AccountResult,
    expected: tuple[str, ...],
    only_expected: bool,
    source: str = "",
) -> ExpectationResult:
    violations: list[Violation] = []
    wanted = set(expected)
    for instance in result.instances:
        def found(kind: ViolationKind, subject: str, detail: str, at: str = instance.id) -> None:
            violations.append(Violation(kind, subject, at, detail))

        for subject in expected:
            verdict = result.verdict(subject, instance.id)
            if verdict is Verdict.DENY:
                found("missing", subject, "expected to open the console, cannot")
            elif verdict is Verdict.UNKNOWN:
                found("unknown", subject, "expected to open the console; not decidable")
        if only_expected:
            for subject in result.holders(instance.id):
                if subject not in wanted:
                    found("unexpected", subject, "can open the console but is not expected to")
            for subject in result.maybe_holders(instance.id):
                if subject not in wanted:
                    found("unknown", subject, "may be able to open the console; not expected to")
    return ExpectationResult(expected, tuple(violations), source)


@dataclass(frozen=True)
class AuditOptions:
    """What the command line gave, unchecked."""

    instances: tuple[str, ...] = ()
    resource_groups: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    access_groups: tuple[str, ...] = ()
    expect: Path | None = None
    only_expected: bool = False
    at: str | None = None
    requirement: Path | None = None
    snapshot: Path | None = None


def audit(conn: Connection, opts: AuditOptions) -> AuditReport:
    """Check the input, read the account (or load the snapshot), decide, weigh expectations."""
    sel = Selection(
        instances=tuple(instance_ref(i) for i in opts.instances),
        resource_groups=opts.resource_groups,
        regions=opts.regions,
        users=tuple(user_ref(u) for u in opts.users),
        access_groups=opts.access_groups,
    )
    expectations: Expectations | None = None
    if opts.expect is not None:
        expectations = load_expectations(opts.expect, opts.only_expected)
    elif opts.only_expected:
        raise BadInput("--only-expected needs --expect FILE")
    when = instant(opts.at) if opts.at is not None else datetime.now(UTC)
    req = requirement_from(opts.requirement)
    # people or groups named on the command line need every group's members to be found
    named = bool(sel.users or sel.access_groups or expectations is not None)
    account = read_or_load(conn, req, opts.snapshot, every_group=named)
    return run_audit(account, req, sel, when, expectations)


def read_or_load(conn: Connection, req: Requirement, snapshot: Path | None,
                 every_group: bool = True) -> AccountData:
    """The snapshot, or the account read; `every_group=False` reads the members only of the
    groups that can matter to the requirement (read/relevant.py)."""
    if snapshot is not None:
        return snapshots.load(snapshot)
    from iamcheck.read.account import Progress, read_account
    from iamcheck.read.relevant import EVERY, THAT_MATTER

    with open_session(conn) as session:
        account_id = session.settings.account_id or session.caller().account_id
        return read_account(session, account_id, req.service, Progress(session),
                            EVERY if every_group else THAT_MATTER)
