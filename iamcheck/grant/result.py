"""What a grant or revoke ended with, as typed values: the documents and the exit code are
computed from these, never read back from a document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from iamcheck.decide import Decision, Verdict
from iamcheck.errors import ExitCode
from iamcheck.grant.apply import DELETED, GONE, Applied
from iamcheck.grant.plan import GrantPlan, SubjectPlan, overall
from iamcheck.grant.revoke import RevokePlan


@dataclass(frozen=True)
class Remaining:
    """A policy that still gives the access a revoke was asked to take away."""

    policy_id: str
    via: str  # "direct", or the access group's name
    how: str  # what deletes it on purpose


@dataclass(frozen=True)
class GrantResult:
    plan: GrantPlan
    dry_run: bool
    applied: Mapping[str, Applied] = field(default_factory=dict)
    after: Mapping[str, Sequence[Decision]] = field(default_factory=dict)  # decided again
    log: str | None = None
    declined: bool = False

    def final_verdict(self, sp: SubjectPlan) -> Verdict:
        """Decided again after the change; else predicted by a dry run; else as it is now."""
        again = self.after.get(sp.subject.id)
        if again is not None:
            return overall(again)
        return overall(sp.predicted if self.dry_run and sp.predicted else sp.before)

    @property
    def exit_code(self) -> ExitCode:
        """0 when every subject ends allowed (verified, or predicted by a dry run)."""
        allowed = all(self.final_verdict(sp) is Verdict.ALLOW for sp in self.plan.subjects)
        return ExitCode.OK if allowed and not self.declined else ExitCode.FINDING


@dataclass(frozen=True)
class RevokeResult:
    plan: RevokePlan
    dry_run: bool
    role_names: Mapping[str, str]
    results: Mapping[str, Sequence[Applied]] | None = None  # None: nothing was applied
    after: Mapping[str, Sequence[Decision]] = field(default_factory=dict)
    log: str | None = None
    declined: bool = False
    # per subject, the policies through which console access remains after the revoke
    remaining: Mapping[str, Sequence[Remaining]] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        """0 when every planned delete is done (or would be), nothing on the scope was kept and
        no subject named with a scope keeps console access through another policy."""
        if self.declined or any(sr.kept for sr in self.plan.subjects) or any(
                self.remaining.values()):
            return ExitCode.FINDING
        done = (a for applied in (self.results or {}).values() for a in applied)
        if any(a.outcome not in (DELETED, GONE) for a in done):
            return ExitCode.FINDING
        return ExitCode.OK
