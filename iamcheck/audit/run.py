"""`audit`, step by step: check the input, read the whole account (or load a snapshot), select
subjects and instances, decide them all, weigh the expectations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from iamcheck.audit.exposure import with_exposures
from iamcheck.audit.gate import fail_on as fail_on_rules
from iamcheck.audit.gate import fails, scoped_findings, scoped_gaps
from iamcheck.claims import load_claims
from iamcheck.connection import Connection, open_session
from iamcheck.decide import AccountResult, Finding, Verdict, decide_account, risks
from iamcheck.errors import BadInput, ExitCode, printable
from iamcheck.inputs import (
    InstanceRef,
    UserRef,
    instance_ref,
    instant,
    known_region,
    region_name,
    user_ref,
)
from iamcheck.model import AccountData, Claims, Gap, Instance
from iamcheck.read import snapshot as snapshots
from iamcheck.read.lookup import AccountLookup
from iamcheck.requirement import Requirement, requirement_from
from iamcheck.review.unused import DEFAULT_UNUSED_DAYS, unused_console_policies
from iamcheck.strict_json import JsonRefused, loads, read_bounded

MAX_EXPECT_BYTES = 4 * 1024 * 1024


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
    findings: tuple[Finding, ...]  # scoped to the selection
    expectations: ExpectationResult | None = None
    with_claims: bool = False  # a --claims file was given
    fail_on: tuple[str, ...] = ()  # --fail-on: severities and kinds of findings that fail
    gaps: tuple[Gap, ...] | None = None  # the gaps that touch the selection; None: every gap
    narrowed: bool = False  # a selection (--instance, --user...) chose part of the account

    @property
    def partial(self) -> tuple[Gap, ...]:
        """The gaps in the data read that touch the selection: any of them makes exit 3."""
        return self.account.gaps if self.gaps is None else self.gaps

    @property
    def failing_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if fails(f, self.fail_on))

    @property
    def exit_code(self) -> ExitCode:
        """1 when an expectation is unmet or a finding matches --fail-on; else 3 when the data
        read is partial (a gap touches the selection) or an expectation is undecided; else 0."""
        if self.expectations is not None and self.expectations.failed:
            return ExitCode.FINDING
        if self.failing_findings:
            return ExitCode.FINDING
        if self.partial:
            return ExitCode.UNKNOWN
        if self.expectations is not None and self.expectations.undecided:
            return ExitCode.UNKNOWN
        return ExitCode.OK


def run_audit(
    account: AccountData,
    requirement: Requirement,
    selection: Selection,
    at: datetime,
    expect: Expectations | None = None,
    claims: Claims | None = None,
    unused_days: int = DEFAULT_UNUSED_DAYS,
    strict_context: bool = False,
    fail_on: tuple[str, ...] = (),
) -> AuditReport:
    subjects = select_subjects(account, selection)
    instances = select_instances(account, selection)
    expected: tuple[str, ...] = ()
    unlisted: tuple[tuple[str, str], ...] = ()
    if expect is not None:
        expected, unlisted = expected_subjects(account, expect)
    chosen = subjects
    if subjects is not None:
        subjects = tuple(dict.fromkeys(subjects + expected))
    result = decide_account(account, requirement, at, subjects=subjects, instances=instances,
                            claims=claims, strict_context=strict_context)
    outcome = None
    if expect is not None:
        outcome = weigh(result, expected, expect.only_expected, expect.source, unlisted,
                        _reasons(result))
    findings = scoped_findings(
        with_exposures(risks(account, requirement, at), result)
        + unused_findings(account, requirement, at, unused_days),
        account, requirement, at, instances, chosen)
    narrowed = chosen is not None or len(instances) != len(account.instances)
    return AuditReport(account, requirement, at, result, findings, outcome,
                       with_claims=claims is not None, fail_on=fail_on,
                       gaps=scoped_gaps(account.gaps, instances), narrowed=narrowed)


def unused_findings(account: AccountData, requirement: Requirement, at: datetime,
                    days: int) -> tuple[Finding, ...]:
    """Console policies that have not permitted anything for `days` days, or never."""
    return tuple(Finding("unused_access", "warning", "", u.policy_id, u.subject, u.detail)
                 for u in unused_console_policies(account, requirement, at, days))


def _reasons(result: AccountResult) -> Callable[[str, str], str]:
    """The first reason of a pair's decision (state, missing role...), once per look-alike."""
    memo: dict[tuple[int, str], str] = {}

    def why(subject: str, instance_id: str) -> str:
        key = (result.look_alike(subject), instance_id)
        if key not in memo:
            reasons = result.decision(subject, instance_id).reasons
            memo[key] = "; ".join(f"[{r.rule}] {r.text}" for r in reasons[:2])
        return memo[key]

    return why


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
    # bounded, never blocking; a UTF-8 BOM (Windows editors) is dropped, JSON read strictly
    data = read_bounded(path, "--expect")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"--expect: {path} is not UTF-8 text") from None
    if path.suffix == ".json":
        try:
            entries = loads(text)
        except JsonRefused as err:
            raise BadInput(f"--expect: {path} is not JSON iamcheck reads ({err})") from None
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise BadInput(f"--expect: {path} must hold a JSON list of strings")
    else:
        try:
            text = read_bounded(path, "--expect", MAX_EXPECT_BYTES).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput(f"--expect: {printable(str(path))} is not UTF-8 text") from None
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


# Gaps after which a name that is not found may still exist: who was not listed.
_UNLISTED_PEOPLE = ("the account's users", "the account's access groups")


def expected_subjects(account: AccountData, expect: Expectations
                      ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The expected iam_ids, and (name, why) for each expected name iamcheck could not list:
    with a gap on users or groups, a name not found may exist, so it is unknown, not bad input."""
    lookup = AccountLookup(account)
    option = f"--expect ({expect.source})"
    unlisted_gap = next((g for g in account.gaps if g.what in _UNLISTED_PEOPLE), None)
    found: list[str] = []
    unlisted: list[tuple[str, str]] = []
    for ref in expect.users:
        try:
            found.append(lookup.subject(ref, option).iam_id)
        except BadInput:
            if unlisted_gap is None:
                raise
            unlisted.append((ref.value, f"{unlisted_gap.what} could not be read in full "
                                        f"({unlisted_gap.reason})"))
    for group in expect.groups:
        try:
            found += _members(account, {lookup.access_group(group, option).id})
        except BadInput:
            if unlisted_gap is None:
                raise
            unlisted.append((f"group:{group}", f"{unlisted_gap.what} could not be read in "
                                               f"full ({unlisted_gap.reason})"))
    return tuple(dict.fromkeys(found)), tuple(unlisted)


def weigh(
    result: AccountResult,
    expected: tuple[str, ...],
    only_expected: bool,
    source: str = "",
    unlisted: tuple[tuple[str, str], ...] = (),
    why: Callable[[str, str], str] | None = None,
) -> ExpectationResult:
    """`why(subject, instance_id)` says why a subject cannot (or may not) open a console."""
    violations: list[Violation] = []
    wanted = set(expected)

    def reason(subject: str, instance_id: str) -> str:
        text = why(subject, instance_id) if why is not None else ""
        return f": {text}" if text else ""

    for instance in result.instances:
        def found(kind: ViolationKind, subject: str, detail: str, at: str = instance.id) -> None:
            violations.append(Violation(kind, subject, at, detail))

        for subject in expected:
            verdict = result.verdict(subject, instance.id)
            if verdict is Verdict.DENY:
                found("missing", subject, "expected to open the console, cannot"
                      + reason(subject, instance.id))
            elif verdict is Verdict.UNKNOWN:
                found("unknown", subject, "expected to open the console; not decidable"
                      + reason(subject, instance.id))
        for name, because in unlisted:
            found("unknown", name, f"expected to open the console; not found, and {because}")
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
    claims: Path | None = None
    unused_days: int = DEFAULT_UNUSED_DAYS
    strict_context: bool = False
    fail_on: tuple[str, ...] = ()


def audit(conn: Connection, opts: AuditOptions) -> AuditReport:
    """Check the input, read the account (or load the snapshot), decide, weigh expectations."""
    sel = Selection(
        instances=tuple(instance_ref(i) for i in opts.instances),
        resource_groups=opts.resource_groups,
        regions=tuple(region_name(r) for r in opts.regions),
        users=tuple(user_ref(u) for u in opts.users),
        access_groups=opts.access_groups,
    )
    expectations: Expectations | None = None
    if opts.expect is not None:
        expectations = load_expectations(opts.expect, opts.only_expected)
    elif opts.only_expected:
        raise BadInput("--only-expected needs --expect FILE")
    if opts.unused_days < 1:
        raise BadInput(f"--unused-days: {opts.unused_days} is not a number of days (1 or more)")
    rules = fail_on_rules(opts.fail_on)
    when = instant(opts.at) if opts.at is not None else datetime.now(UTC)
    req = requirement_from(opts.requirement)
    claims = load_claims(opts.claims)
    # people or groups named on the command line need every group's members to be found
    named = bool(sel.users or sel.access_groups or expectations is not None)
    account = read_or_load(conn, req, opts.snapshot, sel.regions, every_group=named)
    return run_audit(account, req, sel, when, expectations, claims, opts.unused_days,
                     opts.strict_context, rules)


def read_or_load(conn: Connection, req: Requirement, snapshot: Path | None,
                 regions: tuple[str, ...] = (), every_group: bool = True) -> AccountData:
    """The account, read or loaded; every `--region` must name a region (exit 2), checked
    against IBM's list before the account is read, or against the snapshot's instances.
    `every_group=False` reads the members only of the groups that can matter to the
    requirement (read/relevant.py)."""
    if snapshot is not None:
        data = snapshots.load(snapshot)
        in_snapshot = sorted({i.region for i in data.instances})
        for region in regions:
            known_region(region, in_snapshot, "--region (regions of the snapshot's instances)")
        return data
    from iamcheck.ibm import vpc
    from iamcheck.read.account import Progress, read_account
    from iamcheck.read.relevant import EVERY, THAT_MATTER

    with open_session(conn) as session:
        if regions:
            listed = [r.name for r in vpc.list_regions(session)]
            for region in regions:
                known_region(region, listed)
        account_id = session.settings.account_id or session.caller().account_id
        progress = Progress(session)
        try:
            return read_account(session, account_id, req, progress,
                                EVERY if every_group else THAT_MATTER)
        finally:  # an error's message is not drawn over by the bar
            progress.done()
