"""Applying a plan: each change at most once, read back until IBM shows it, then the verdict
decided again from a fresh read.

A create is safe to repeat. Just before it, the subject's policies are listed and an equivalent
one is taken as it is (policy.find_equivalent); a create that IBM answers 409 (an identical policy
exists: an earlier attempt whose answer was lost did create it, or a concurrent grant did) counts
as already present. A delete that IBM answers 404 counts as already done. The audit log gets an
entry before each change (requested) and one after it (its outcome), so an interrupted run
leaves a trace of what it may have done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from iamcheck.decide import Decision, Verdict
from iamcheck.errors import IamcheckError, NotAuthorized
from iamcheck.grant.current import Reader
from iamcheck.grant.log import AuditLog
from iamcheck.grant.plan import PlannedPolicy, Subject, evaluate, overall
from iamcheck.grant.policy import covering_twin, find_equivalent, policy_json, redundant_twins
from iamcheck.ibm import iam_policy
from iamcheck.ibm.errors import Conflict, NotFound, Refused
from iamcheck.ibm.session import IbmSession
from iamcheck.model import Policy
from iamcheck.redact import redact_shapes
from iamcheck.requirement import Requirement

Outcome = Literal["created", "already_present", "deleted", "already_gone", "failed"]
CREATED: Outcome = "created"
PRESENT: Outcome = "already_present"
DELETED: Outcome = "deleted"
GONE: Outcome = "already_gone"
FAILED: Outcome = "failed"
FIRST_DELAY, MAX_DELAY = 0.1, 5.0  # seconds between read-backs, doubling
MAX_WAIT = 300.0  # IBM documents no bound; Terraform waits up to 5 minutes after a create


class WriteRefused(NotAuthorized):
    """IBM refused a write that iamcheck's own rights check let through (exit 4)."""


@dataclass(frozen=True)
class Applied:
    subject: Subject
    outcome: Outcome
    policy_id: str = ""
    detail: str = ""
    visible: bool = False  # read back: present after a create, deleted after a delete


def poll(check: Callable[[], bool], timeout: float,
         sleep: Callable[[float], None] = time.sleep) -> bool:
    """Call `check` until it is true, waiting longer each time; False when time runs out."""
    deadline = time.monotonic() + timeout
    delay = FIRST_DELAY
    while True:
        if check():
            return True
        if time.monotonic() + delay > deadline:
            return False
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


class Changes:
    """What every change of one run shares: the session, the reader, the log and its context."""

    def __init__(self, session: IbmSession, reader: Reader, log: AuditLog,
                 context: Mapping[str, Any], at: datetime,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.reader = reader
        self.log = log
        self.context = dict(context)
        self.at = at
        self.sleep = sleep
        self.timeout = min(session.settings.timeout, MAX_WAIT)

    def _record(self, event: str, outcome: str, subject: Subject, policy_id: str,
                body: dict[str, Any], detail: str = "") -> None:
        self.log.append({**self.context, "event": event, "outcome": outcome,
                         "subject": {"kind": subject.kind, "id": subject.id,
                                     "label": subject.label},
                         "policy_id": policy_id, "body": body, "detail": detail})

    # ---- grant

    def create(self, planned: PlannedPolicy) -> Applied:
        subject = planned.subject
        found = find_equivalent(self.reader.policies_of(subject), planned.policy, self.at)
        if found is not None:
            return Applied(subject, PRESENT, found.id, "an equivalent policy exists already",
                           self.read_back(found.id))
        body = planned.body()
        self._record("create", "requested", subject, "", body)
        try:
            created = iam_policy.create_policy(self.session, body)
        except Refused as err:  # the rights check passed, but IBM refuses: exit 4, IBM's reason
            self._record("create", FAILED, subject, "", body, redact_shapes(str(err)))
            raise WriteRefused(f"IBM refused to create the policy for {subject.label}: "
                               f"{redact_shapes(str(err))}") from None
        except Conflict as err:
            policy_id = iam_policy.conflicting_policy_id(err.details) or self._equivalent(planned)
            detail = "IBM answered 409: an identical policy exists"
            self._record("create", PRESENT, subject, policy_id, body, detail)
            return Applied(subject, PRESENT, policy_id, detail,
                           bool(policy_id) and self.read_back(policy_id))
        except IamcheckError as err:
            # The answer may be lost while the create went through: look before calling it failed.
            try:
                policy_id = self._equivalent(planned)
            except IamcheckError:
                policy_id = ""
            if policy_id:
                detail = f"IBM's answer was lost ({err}), but the policy exists"
                self._record("create", PRESENT, subject, policy_id, body, detail)
                return Applied(subject, PRESENT, policy_id, detail, self.read_back(policy_id))
            self._record("create", FAILED, subject, "", body, str(err))
            return Applied(subject, FAILED, "", f"{err} (the same command can be run again: "
                                                "it never creates a duplicate)")
        self._record("create", CREATED, subject, created.id, body)
        visible = self.read_back(created.id)
        return self._deduplicate(planned, created.id, visible)

    def _deduplicate(self, planned: PlannedPolicy, mine: str, visible: bool) -> Applied:
        """A grant racing this one may have created the same grant with another window (the
        window starts on the minute, so two runs across a minute boundary write different
        bodies, which IBM's 409 does not catch). Look again: whichever of the two covers what
        the other still gives stays, the other is deleted; both runs decide the same way."""
        subject = planned.subject
        try:
            policies = self.reader.policies_of(subject)
        except IamcheckError:
            return Applied(subject, CREATED, mine, "", visible)
        own = next((p for p in policies if p.id == mine), None)
        if own is None:
            return Applied(subject, CREATED, mine, "", visible)
        now = datetime.now(UTC)
        for other in redundant_twins(own, policies, now):
            self.delete(subject, other)  # logged as any delete
        keeper = covering_twin(own, policies, now)
        if keeper is None:
            return Applied(subject, CREATED, mine, "", visible)
        self.delete(subject, own)
        return Applied(subject, PRESENT, keeper.id, f"a concurrent grant created policy "
                       f"{keeper.id}, which covers this one; the duplicate {mine} was deleted",
                       True)

    def _equivalent(self, planned: PlannedPolicy) -> str:
        found = find_equivalent(self.reader.policies_of(planned.subject), planned.policy,
                                self.at)
        return found.id if found else ""

    def read_back(self, policy_id: str) -> bool:
        """Wait until IBM serves the new policy: it can answer 404 for a while after a create."""
        def visible() -> bool:
            try:
                iam_policy.get_policy(self.session, policy_id)
            except NotFound:
                return False
            return True
        return poll(visible, self.timeout, self.sleep)

    # ---- revoke

    def delete(self, subject: Subject, policy: Policy) -> Applied:
        body = policy_json(policy)
        self._record("delete", "requested", subject, policy.id, body)
        try:
            iam_policy.delete_policy(self.session, policy.id)
        except Refused as err:
            self._record("delete", FAILED, subject, policy.id, body, redact_shapes(str(err)))
            raise WriteRefused(f"IBM refused to delete policy {policy.id}: "
                               f"{redact_shapes(str(err))}") from None
        except NotFound:
            detail = "IBM answered 404: no such active policy (deleted already)"
            self._record("delete", GONE, subject, policy.id, body, detail)
            return Applied(subject, GONE, policy.id, detail, True)
        except IamcheckError as err:
            self._record("delete", FAILED, subject, policy.id, body, str(err))
            return Applied(subject, FAILED, policy.id, str(err))
        self._record("delete", DELETED, subject, policy.id, body)
        return Applied(subject, DELETED, policy.id, "", self.read_back_deleted(policy.id))

    def read_back_deleted(self, policy_id: str) -> bool:
        def deleted() -> bool:
            try:
                return iam_policy.get_policy(self.session, policy_id).state != "active"
            except NotFound:
                return True
        return poll(deleted, self.timeout, self.sleep)

    # ---- both

    def verify(self, subject: Subject, requirement: Requirement, present: set[str],
               absent: set[str]) -> tuple[Decision, ...]:
        """Decide again from a fresh read, once the listing shows the changes (or time is up)."""
        decided: tuple[Decision, ...] = ()

        def settled() -> bool:
            nonlocal decided
            data = self.reader.access(subject, datetime.now(UTC))
            instances = data.instances or (self.reader.scope.new_instance(),)
            decided = evaluate(data, requirement, subject, instances, datetime.now(UTC))
            ids = {p.id for p in data.policies}
            if absent & ids:
                return False
            # A racing grant may have replaced ours with its twin: allowed is settled too.
            return present <= ids or (bool(present) and overall(decided) is Verdict.ALLOW)

        poll(settled, self.timeout, self.sleep)
        return decided
