"""`audit`: select subjects and instances of an account, decide them all, weigh expectations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from iamcheck.decide import AccountResult, Finding, Verdict, decide_account, risks
from iamcheck.errors import BadInput
from iamcheck.inputs import InstanceRef, UserRef, instance_ref, user_ref
from iamcheck.model import AccountData, Instance
from iamcheck.requirement import Requirement


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


@dataclass(frozen=True)
class Violation:
    kind: (
        str  # "missing" (expected, not allowed) | "unexpected" (allowed, not expected) | "unknown"
    )
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


def _group_ids(account: AccountData, names: tuple[str, ...], option: str) -> set[str]:
    by_name = {g.name.lower(): g.id for g in account.groups}
    ids = {g.id for g in account.groups}
    out = set()
    for name in names:
        if name in ids:
            out.add(name)
        elif name.lower() in by_name:
            out.add(by_name[name.lower()])
        else:
            raise BadInput(f"{option}: no access group '{name}' in account {account.account_id}")
    return out


def _user_ids(account: AccountData, refs: tuple[UserRef, ...], option: str) -> list[str]:
    emails = {u.email.lower(): u.iam_id for u in account.users}
    known = {u.iam_id for u in account.users} | {s.iam_id for s in account.service_ids}
    out = []
    for ref in refs:
        iam_id = emails.get(ref.value.lower()) if ref.kind == "email" else ref.value
        if iam_id is None or iam_id not in known:
            raise BadInput(f"{option}: no user '{ref.value}' in account {account.account_id}")
        out.append(iam_id)
    return out


def _members(account: AccountData, group_ids: set[str]) -> list[str]:
    return [m.iam_id for m in account.memberships if m.group_id in group_ids]


def select_subjects(account: AccountData, sel: Selection) -> tuple[str, ...] | None:
    if not sel.users and not sel.access_groups:
        return None
    chosen = _user_ids(account, sel.users, "--user")
    chosen += _members(account, _group_ids(account, sel.access_groups, "--access-group"))
    return tuple(dict.fromkeys(chosen))


def select_instances(account: AccountData, sel: Selection) -> tuple[Instance, ...]:
    chosen = list(account.instances)
    if sel.instances:
        chosen = [i for i in chosen if any(_names(i, ref) for ref in sel.instances)]
        for ref in sel.instances:
            if not any(_names(i, ref) for i in account.instances):
                raise BadInput(
                    f"--instance: no VPC instance '{ref.value}' in account {account.account_id}"
                )
    if sel.resource_groups:
        by_name = {g.name: g.id for g in account.resource_groups}
        ids = {by_name.get(g, g) for g in sel.resource_groups}
        unknown = ids - {g.id for g in account.resource_groups}
        if unknown:
            raise BadInput(
                f"--resource-group: no resource group '{sorted(unknown)[0]}' in "
                f"account {account.account_id}"
            )
        chosen = [i for i in chosen if i.resource_group_id in ids]
    if sel.regions:
        chosen = [i for i in chosen if i.region in sel.regions]
    return tuple(chosen)


def _names(instance: Instance, ref: InstanceRef) -> bool:
    return {"crn": instance.crn, "id": instance.id, "name": instance.name}[ref.kind] == ref.value


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
    chosen = _user_ids(account, expect.users, f"--expect ({expect.source})")
    chosen += _members(account, _group_ids(account, expect.groups, f"--expect ({expect.source})"))
    return tuple(dict.fromkeys(chosen))


def weigh(
    result: AccountResult,
    expected: tuple[str, ...],
    only_expected: bool,
    source: str = "",
) -> ExpectationResult:
    violations: list[Violation] = []
    wanted = set(expected)
    for instance in result.instances:
        for subject in expected:
            verdict = result.verdict(subject, instance.id)
            if verdict is Verdict.DENY:
                violations.append(
                    Violation(
                        "missing", subject, instance.id, "expected to open the console, cannot"
                    )
                )
            elif verdict is Verdict.UNKNOWN:
                violations.append(
                    Violation(
                        "unknown",
                        subject,
                        instance.id,
                        "expected to open the console; not decidable",
                    )
                )
        if only_expected:
            for subject in result.holders(instance.id):
                if subject not in wanted:
                    violations.append(
                        Violation(
                            "unexpected",
                            subject,
                            instance.id,
                            "can open the console but is not expected to",
                        )
                    )
            for subject in result.maybe_holders(instance.id):
                if subject not in wanted:
                    violations.append(
                        Violation(
                            "unknown",
                            subject,
                            instance.id,
                            "may be able to open the console; not expected to",
                        )
                    )
    return ExpectationResult(expected, tuple(violations), source)


__all__ = [
    "AuditReport",
    "Expectations",
    "Selection",
    "instance_ref",
    "load_expectations",
    "run_audit",
]
