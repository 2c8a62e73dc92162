"""Console grants nobody uses: policies that supply a required action and have not permitted
anything for N days, or never (issue 16).

IBM returns `last_permit_at` (date-time, null when IAM has no record of a permit) and
`last_permit_frequency` (how many permits since IAM started keeping track) with
`GET /v2/policies?format=include_last_permit` (IBM docs, "Auditing unused policies",
iam-audit-policies). A policy read without them is not judged: no finding, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from iamcheck.decide.roles import RoleBook
from iamcheck.model import AccountData, Policy
from iamcheck.requirement import Requirement

DEFAULT_UNUSED_DAYS = 90
UnusedKind = Literal["unused", "never_used"]


@dataclass(frozen=True)
class UnusedFinding:
    kind: UnusedKind
    policy_id: str
    subject: str  # the iam_id or access_group_id the policy is for
    actions: tuple[str, ...]  # the required actions it supplies
    last_permit_at: datetime | None
    days: int | None  # days since the last permit; None when never
    detail: str


def _serves(policy: Policy, service: str) -> bool:
    names = [a for a in policy.resource if a.key == "serviceName"]
    return not names or any(a.value == service for a in names)


def _subject(policy: Policy) -> str:
    return next((str(a.value) for a in policy.subject), "")


def unused_console_policies(account: AccountData, requirement: Requirement, at: datetime,
                            days: int = DEFAULT_UNUSED_DAYS) -> tuple[UnusedFinding, ...]:
    if days < 1:
        raise ValueError("days must be at least 1")
    book = RoleBook(account.roles, requirement)
    out: list[UnusedFinding] = []
    for policy in _active(account.policies):
        if policy.last_permit_frequency is None and policy.last_permit_at is None:
            continue  # not read with format=include_last_permit
        actions = sorted({a for use in book.uses(policy.role_ids) for a in use.actions})
        if not actions or not _serves(policy, requirement.service):
            continue
        finding = _judge(policy, tuple(actions), at, days)
        if finding is not None:
            out.append(finding)
    return tuple(out)


def _active(policies: Iterable[Policy]) -> Iterable[Policy]:
    return (p for p in policies if p.state == "active" and p.type == "access")


def _judge(policy: Policy, actions: tuple[str, ...], at: datetime,
           days: int) -> UnusedFinding | None:
    last = policy.last_permit_at
    if last is None:
        return UnusedFinding("never_used", policy.id, _subject(policy), actions, None, None,
                             f"policy {policy.id} supplies {', '.join(actions)}; IAM has no "
                             "record of it permitting anything")
    idle = at - last
    if idle < timedelta(days=days):
        return None
    return UnusedFinding("unused", policy.id, _subject(policy), actions, last, idle.days,
                         f"policy {policy.id} supplies {', '.join(actions)}; last permitted "
                         f"{last.date().isoformat()} ({idle.days} days ago)")
