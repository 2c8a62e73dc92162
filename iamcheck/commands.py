"""What each command does between parsing (cli/) and deciding (decide/): validate input
before any call, read through the IBM modules or a snapshot, decide, build the document."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamcheck import snapshot as snapshots
from iamcheck.audit import AuditReport, Expectations, Selection, load_expectations, run_audit
from iamcheck.connection import Connection, open_session
from iamcheck.errors import BadInput
from iamcheck.inputs import InstanceRef, UserRef, instance_ref, instant, user_ref
from iamcheck.model import AccountData, Instance, ServiceId, User
from iamcheck.report import audit_document, check_document
from iamcheck.requirement import Requirement, RequirementError, load_requirement


def requirement_from(path: Path | None) -> Requirement:
    try:
        return load_requirement(path)
    except RequirementError as err:
        raise BadInput(f"--requirement: {err}") from None


def _subject_doc(subject: User | ServiceId) -> dict[str, Any]:
    if isinstance(subject, User):
        return {
            "iam_id": subject.iam_id,
            "kind": "user",
            "email": subject.email,
            "name": f"{subject.firstname} {subject.lastname}".strip(),
            "state": subject.state,
        }
    return {
        "iam_id": subject.iam_id,
        "kind": "service_id",
        "email": "",
        "name": subject.name,
        "state": "",
    }


def _instance_doc(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "name": instance.name,
        "crn": instance.crn,
        "region": instance.region,
        "zone": instance.zone,
        "status": instance.status,
        "resource_group_id": instance.resource_group_id,
    }


def check_command(
    conn: Connection,
    *,
    user: str | None,
    instance: str,
    at: str | None,
    requirement: Path | None,
    snapshot: Path | None,
) -> dict[str, Any]:
    uref = user_ref(user) if user is not None else None
    iref = instance_ref(instance)
    when = instant(at) if at is not None else datetime.now(UTC)
    req = requirement_from(requirement)
    if snapshot is not None:
        return _check_offline(snapshots.load(snapshot), req, uref, iref, when)
    from iamcheck.check import run_check

    with open_session(conn) as session:
        result = run_check(session, req, uref, iref, when)
    return check_document(
        result.decision,
        _subject_doc(result.subject),
        _instance_doc(result.instance),
        result.account_id,
        result.roles,
    )


def _check_offline(
    account: AccountData, req: Requirement, uref: UserRef | None, iref: InstanceRef, when: datetime
) -> dict[str, Any]:
    from iamcheck.decide import decide

    if uref is None:
        raise BadInput("--user is required with --from-snapshot (a snapshot has no caller)")
    subject = _find_subject(account, uref)
    matches = [
        i
        for i in account.instances
        if {"crn": i.crn, "id": i.id, "name": i.name}[iref.kind] == iref.value
    ]
    if not matches:
        raise BadInput(f"--instance: no VPC instance '{iref.value}' in the snapshot")
    if len(matches) > 1:
        raise BadInput(f"--instance: '{iref.value}' names {len(matches)} instances; give a CRN")
    decision = decide(account, req, subject.iam_id, matches[0], when)
    return check_document(
        decision,
        _subject_doc(subject),
        _instance_doc(matches[0]),
        account.account_id,
        account.roles,
    )


def _find_subject(account: AccountData, ref: UserRef) -> User | ServiceId:
    for user in account.users:
        if (
            (user.email.lower() == ref.value.lower())
            if ref.kind == "email"
            else (user.iam_id == ref.value)
        ):
            return user
    for sid in account.service_ids:
        if sid.iam_id == ref.value:
            return sid
    raise BadInput(f"--user: no user '{ref.value}' in account {account.account_id}")


def read_or_load(
    conn: Connection, req: Requirement, snapshot: Path | None, progress: bool | None = None
) -> AccountData:
    if snapshot is not None:
        return snapshots.load(snapshot)
    from iamcheck.reader import Progress, read_account

    with open_session(conn) as session:
        account_id = session.settings.account_id or session.caller().account_id
        return read_account(session, account_id, req.service, Progress(session, progress))


def audit_command(
    conn: Connection,
    *,
    selection: dict[str, list[str]],
    expect: Path | None,
    only_expected: bool,
    at: str | None,
    requirement: Path | None,
    snapshot: Path | None,
) -> tuple[AuditReport, dict[str, Any]]:
    sel = Selection(
        instances=tuple(instance_ref(i) for i in selection.get("instance", [])),
        resource_groups=tuple(selection.get("resource_group", [])),
        regions=tuple(selection.get("region", [])),
        users=tuple(user_ref(u) for u in selection.get("user", [])),
        access_groups=tuple(selection.get("access_group", [])),
    )
    expectations: Expectations | None = None
    if expect is not None:
        expectations = load_expectations(expect, only_expected)
    elif only_expected:
        raise BadInput("--only-expected needs --expect FILE")
    when = instant(at) if at is not None else datetime.now(UTC)
    req = requirement_from(requirement)
    account = read_or_load(conn, req, snapshot)
    report = run_audit(account, req, sel, when, expectations)
    return report, audit_document(report)


def snapshot_command(conn: Connection, *, output: Path, requirement: Path | None) -> AccountData:
    req = requirement_from(requirement)
    account = read_or_load(conn, req, None)
    snapshots.save(account, output)
    return account
