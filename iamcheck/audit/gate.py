"""What makes an audit's gate fail, pure: findings scoped to the selection, `--fail-on`, the gaps
that touch the selection. AuditReport.exit_code reads these, and JUnit and SARIF render the same
document fields, so the exit code and the CI reporters agree by construction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from iamcheck.decide import Finding
from iamcheck.decide.context import Context
from iamcheck.decide.tri import Tri
from iamcheck.errors import BadInput
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Gap, Instance
from iamcheck.requirement import Requirement

SEVERITIES = ("high", "warning", "info")
# Findings about a path anyone may take (a dynamic rule's claims, a trusted profile's rules):
# a selected person may join it without a recorded membership.
_ANYONE = frozenset({"dynamic_group", "trusted_profile"})
KINDS = ("public_access", "dynamic_group", "trusted_profile", "expired_but_active",
         "template_managed")


def fail_on(values: Iterable[str]) -> tuple[str, ...]:
    """`--fail-on` values: a severity (that severity or worse) or a finding kind."""
    out = []
    for value in values:
        text = value.strip().lower().replace("-", "_")
        if text not in SEVERITIES and text not in KINDS:
            raise BadInput(f"--fail-on {value!r}: give a severity ({', '.join(SEVERITIES)}) or "
                           f"a finding kind ({', '.join(KINDS)})")
        out.append(text)
    return tuple(dict.fromkeys(out))


def fails(finding: Finding, rules: tuple[str, ...]) -> bool:
    """True when a `--fail-on` value matches: its kind, or a severity at or above the given one."""
    if finding.kind in rules:
        return True
    rank = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 0
    return any(r in SEVERITIES and rank <= SEVERITIES.index(r) for r in rules)


def scoped_findings(findings: Iterable[Finding], account: AccountData, requirement: Requirement,
                    at: datetime, instances: tuple[Instance, ...],
                    subjects: tuple[str, ...] | None) -> tuple[Finding, ...]:
    """The findings whose policy may cover a selected instance and, when people were selected,
    is on one of them (directly, or on a group one of them is in; Public Access is everyone's,
    and a dynamic rule or a trusted profile may admit anyone)."""
    every = len(instances) == len(account.instances)
    if every and subjects is None:
        return tuple(findings)
    ctx = Context(account, requirement, at)
    policies = {p.id: p for p in account.policies}
    reach: set[str] | None = None
    if subjects is not None:
        chosen = set(subjects)
        reach = chosen | {m.group_id for m in account.memberships if m.iam_id in chosen}
        reach.add(PUBLIC_ACCESS_GROUP_ID)
    out = []
    for finding in findings:
        if reach is not None and finding.subject not in reach and finding.kind not in _ANYONE:
            continue
        policy = policies.get(finding.policy_id)
        if policy is None or every:
            out.append(finding)  # nothing to scope it by: keep it rather than hide it
            continue
        scope = ctx.scope(policy)
        if any(scope.match(i).status is not Tri.NO for i in instances):
            out.append(finding)
    return tuple(out)


def scoped_gaps(gaps: Iterable[Gap], instances: tuple[Instance, ...]) -> tuple[Gap, ...]:
    """The gaps that can reach a verdict on a selected instance (a gap about what was not
    listed reaches every selection: what is missing may be in it)."""
    out = []
    for gap in gaps:
        if not instances or not gap.instances or any(gap.touches_instance(i.id)
                                                      for i in instances):
            out.append(gap)
    return tuple(out)
