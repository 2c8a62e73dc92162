"""Planning a grant. Pure: no I/O, no clock.

For each subject, decide() says today, per instance of the scope, which required actions the
subject holds for sure (R1-R3, P1-P4, S1-S8). An action held on every instance needs nothing; for
the others, the requirement's grant roles (resolved against the account's /v2/roles by CRN
suffix, R4) are taken in order, each only if it carries an action still missing. The result is at
most one v2 policy per subject, on `serviceName` plus the scope's attribute, with IBM's one-time
window when asked.

A group is evaluated as a member that has nothing but the group's own policies: a grant to a
group must give every member access through the group itself, whatever else each member holds,
and the Public Access group is a finding to fix, never access to build on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from iamcheck.decide import Decision, Reason, Verdict, decide
from iamcheck.decide.conditions import holds
from iamcheck.decide.tri import Tri
from iamcheck.grant.policy import (
    ONCE,
    clip,
    create_command,
    iso,
    marker,
    policy_json,
    role_suffix,
    tag_of,
    window_rule,
)
from iamcheck.model import (
    AccessGroup,
    AccountData,
    Attribute,
    Claims,
    Instance,
    Membership,
    Policy,
    Role,
    ServiceId,
    User,
)
from iamcheck.read.one_subject import one_subject_account
from iamcheck.requirement import Requirement

PlanStatus = Literal["allowed", "create", "cannot"]
SubjectKind = Literal["user", "service_id", "access_group"]
ScopeKind = Literal["instance", "resource_group", "account"]
ALLOWED: PlanStatus = "allowed"
CREATE: PlanStatus = "create"
CANNOT: PlanStatus = "cannot"
MEMBER_PREFIX = "iamcheck-member-of-"  # the stand-in member a group is evaluated as
NEW_INSTANCE = "iamcheck-new-instance"  # evaluated when the scope has no instance yet


class PlanError(ValueError):
    """The requirement cannot be granted in this account (e.g. a grant role is missing)."""


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str  # iam_id, or access group id
    label: str  # email, service ID name, group name
    state: str = ""  # a user's state (V4)

    @property
    def attribute(self) -> Attribute:
        key = "access_group_id" if self.kind == "access_group" else "iam_id"
        return Attribute(key, "stringEquals", self.id)

    @property
    def evaluated_as(self) -> str:
        """The iam_id decide() evaluates: for a group, its stand-in member."""
        return MEMBER_PREFIX + self.id if self.kind == "access_group" else self.id

    @property
    def cli_name(self) -> str:
        """How `ibmcloud iam` names the subject: email, group name, service ID."""
        if self.kind == "service_id":
            return self.id.removeprefix("iam-")
        return self.label or self.id


@dataclass(frozen=True)
class GrantScope:
    kind: ScopeKind
    value: str  # instance id, resource group id, or "" for every instance of the account
    name: str = ""
    instances: tuple[Instance, ...] = ()

    @property
    def label(self) -> str:
        if self.kind == "instance":
            return f"instance {self.name or self.value}"
        if self.kind == "resource_group":
            return f"resource group {self.name or self.value}"
        return "all instances of the account"

    def attributes(self, requirement: Requirement, account_id: str) -> tuple[Attribute, ...]:
        attrs = [Attribute("accountId", "stringEquals", account_id),
                 Attribute("serviceName", "stringEquals", requirement.service)]
        if self.kind == "instance":
            attrs.append(Attribute(requirement.instance_attribute, "stringEquals", self.value))
        elif self.kind == "resource_group":
            attrs.append(Attribute("resourceGroupId", "stringEquals", self.value))
        return tuple(attrs)

    def cli_flags(self, requirement: Requirement) -> tuple[str, ...]:
        if self.kind == "instance":
            return ("--attributes", f"{requirement.instance_attribute}={self.value}")
        if self.kind == "resource_group":
            return ("--resource-group-id", self.value)
        return ()

    def new_instance(self) -> Instance:
        """An instance created in the scope tomorrow: what an empty scope is evaluated on."""
        group = self.value if self.kind == "resource_group" else ""
        return Instance(id=NEW_INSTANCE, crn="", name="(a new instance)", region="", zone="",
                        resource_group_id=group, vpc_id="", status="")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PlannedPolicy:
    subject: Subject
    scope: GrantScope
    roles: tuple[Role, ...]
    policy: Policy  # the model value of what will be created (no id yet)
    cli: str

    @property
    def marker(self) -> str:
        return tag_of(self.policy.description) or ""

    def body(self) -> dict[str, Any]:
        """The exact JSON body of POST /v2/policies."""
        return policy_json(self.policy)


@dataclass(frozen=True)
class SubjectPlan:
    subject: Subject
    status: PlanStatus  # allowed: nothing to do
    reason: str
    before: tuple[Decision, ...]  # per instance of the scope, today
    missing: tuple[str, ...] = ()  # actions missing on at least one instance
    policy: PlannedPolicy | None = None
    predicted: tuple[Decision, ...] = ()  # per instance, with the planned policy added


@dataclass(frozen=True)
class GrantPlan:
    account_id: str
    requirement: Requirement
    scope: GrantScope
    at: datetime
    subjects: tuple[SubjectPlan, ...]
    window: Window | None = None

    @property
    def to_create(self) -> tuple[PlannedPolicy, ...]:
        return tuple(s.policy for s in self.subjects if s.policy is not None)


def grant_roles(requirement: Requirement, roles: Iterable[Role]) -> tuple[Role, ...]:
    """The requirement's grant roles as the account's /v2/roles names them (R4)."""
    roles = list(roles)
    out = []
    for wanted in requirement.grant_roles:
        found = [r for r in roles if wanted.matches(r.crn)]
        if not found:
            raise PlanError(f"the roles of service '{requirement.service}' in this account have "
                            f"none whose CRN ends in '{wanted.crn_suffix}' ({wanted.display_name})")
        # Prefer the CRN in the requirement's own service segment when both exist.
        found.sort(key=lambda r: r.crn.split(":")[4:5] != [requirement.service])
        out.append(found[0])
    return tuple(out)


def evaluate(account: AccountData, requirement: Requirement, subject: Subject,
             instances: Sequence[Instance], at: datetime,
             claims: Claims | None = None) -> tuple[Decision, ...]:
    return tuple(decide(account, requirement, subject.evaluated_as, inst, at, claims=claims)
                 for inst in instances)


def overall(decisions: Iterable[Decision]) -> Verdict:
    """deny if any instance is denied, else unknown if any is unknown, else allow."""
    verdicts = {d.verdict for d in decisions}
    for verdict in (Verdict.DENY, Verdict.UNKNOWN):
        if verdict in verdicts:
            return verdict
    return Verdict.ALLOW


def held(decision: Decision) -> frozenset[str]:
    return frozenset(g.action for g in decision.grants)


def missing_actions(actions: Sequence[str], decisions: Sequence[Decision]) -> tuple[str, ...]:
    """Required actions not surely held on some instance (uncertain paths do not count, V2)."""
    return tuple(a for a in actions if any(a not in held(d) for d in decisions))


def held_for_window(decision: Decision, policies: Mapping[str, Policy],
                    window: Window | None) -> frozenset[str]:
    """The actions `decision` holds now through policies that also hold for the whole asked
    window: without a window (asked for good), only policies without a rule; with one, also a
    one-time window that is still open at its end (a once window is one interval). A weekly or
    other recurring rule never counts: it has gaps."""
    return frozenset(g.action for g in decision.grants
                     if _lasts_for(policies.get(g.policy_id), window))


def _lasts_for(policy: Policy | None, window: Window | None) -> bool:
    if policy is None or policy.rule is None:
        return True
    return (window is not None and policy.pattern == ONCE
            and holds(policy.rule, window.end) is Tri.YES)


def missing_for_window(actions: Sequence[str], decisions: Sequence[Decision],
                       policies: Sequence[Policy], window: Window | None) -> tuple[str, ...]:
    """Required actions held now on every instance, but not for the whole asked window."""
    by_id = {p.id: p for p in policies}
    return tuple(a for a in actions
                 if all(a in held(d) for d in decisions)
                 and any(a not in held_for_window(d, by_id, window) for d in decisions))


def choose_roles(missing: Sequence[str], roles: Sequence[Role]) -> tuple[tuple[Role, ...],
                                                                         tuple[str, ...]]:
    """The grant roles, in order, that each carry an action still missing; and what none does."""
    needed = list(missing)
    chosen = []
    for role in roles:
        if any(a in role.actions for a in needed):
            chosen.append(role)
            needed = [a for a in needed if a not in role.actions]
    return tuple(chosen), tuple(needed)


def plan_subject(account: AccountData, subject: Subject, scope: GrantScope,
                 requirement: Requirement, roles: Sequence[Role], at: datetime,
                 window: Window | None = None, claims: Claims | None = None,
                 reason: str = "") -> SubjectPlan:
    """What to create for `subject`, from `account` as read for it (its policies, its groups',
    the scope's instances)."""
    instances = account.instances or (scope.new_instance(),)
    before = evaluate(account, requirement, subject, instances, at, claims)
    missing = missing_actions(requirement.actions, before)
    short_lived = missing_for_window(requirement.actions, before, account.policies, window)
    if not missing and short_lived:
        missing = short_lived
        until = "without an end" if window is None else f"until {iso(window.end)}"
        window_note = (f"allowed now, but not {until} as asked: {', '.join(short_lived)} "
                       "held only through a time-bound policy; adding it for the asked window")
    else:
        window_note = ""
    if not missing:
        if overall(before) is Verdict.ALLOW:
            return SubjectPlan(subject, ALLOWED, f"already allowed on {scope.label}", before)
        why = first_reason(before)
        return SubjectPlan(subject, CANNOT, f"{why.text} ({why.rule})" if why else "", before)
    chosen, uncovered = choose_roles(missing, roles)
    if uncovered:
        return SubjectPlan(subject, CANNOT, f"no role that {requirement.id} grants carries "
                           f"{', '.join(uncovered)}", before, missing)
    planned = planned_policy(account.account_id, subject, scope, requirement, chosen, window,
                             reason)
    predicted = evaluate(with_policy(account, planned.policy), requirement, subject, instances,
                         at, claims)
    if overall(before) is Verdict.UNKNOWN:
        why = first_reason(before)
        window_note = ("uncertain now" + (f" ({why.text}, {why.rule})" if why else "")
                       + ": the subject may already have access; the policy makes it certain"
                       + (f"; {window_note}" if window_note else ""))
    short = sum(1 for d in before if any(a not in held(d) for a in missing))
    reason = window_note or (f"missing {', '.join(missing)} on {short} of {len(before)} "
                             f"instance{'s' if len(before) != 1 else ''}")
    return SubjectPlan(subject, CREATE, reason, before, missing, planned, predicted)


def planned_policy(account_id: str, subject: Subject, scope: GrantScope, requirement: Requirement,
                   roles: Sequence[Role], window: Window | None,
                   reason: str = "") -> PlannedPolicy:
    resource = scope.attributes(requirement, account_id)
    role_ids = tuple(r.crn for r in roles)
    tag = marker(subject.attribute, resource, role_ids)
    names = [r.display_name or role_suffix(r.crn) for r in roles]
    why = requirement.title[:1].lower() + requirement.title[1:]
    because = f" reason: {reason};" if reason else ""  # first: clipping never cuts it
    text = f"{tag}{because} created by iamcheck for {subject.label}: {', '.join(names)}"
    text += f" on {scope.label}"
    text += f", to {why}" + (f", until {iso(window.end)}" if window else "")
    policy = Policy(id="", type="access", state="active", subject=(subject.attribute,),
                    resource=resource, role_ids=role_ids,
                    rule=window_rule(window.start, window.end) if window else None,
                    pattern=ONCE if window else None, description=clip(text))
    cli = create_command(subject.kind, subject.cli_name, names, requirement.service,
                         scope.cli_flags(requirement), with_file=window is not None)
    return PlannedPolicy(subject, scope, tuple(roles), policy, cli)


def subject_account(subject: Subject, account_id: str, at: datetime,
                    groups: Sequence[AccessGroup], policies: Sequence[Policy],
                    roles: Sequence[Role], instances: Sequence[Instance]) -> AccountData:
    """The account as far as `subject` is concerned: itself, the groups it is in now (with the
    Public Access group), their policies and its own. For a group: a stand-in member of that
    group alone, with the group's policies alone."""
    if subject.kind == "access_group":
        member = User(subject.evaluated_as, f"(any member of {subject.label})", "ACTIVE")
        own = tuple(p for p in policies if p.subject_value("access_group_id") == subject.id)
        return AccountData(account_id, at, users=(member,),
                           groups=(AccessGroup(subject.id, subject.label),),
                           memberships=(Membership(subject.id, member.iam_id),),
                           policies=own, roles=tuple(roles), instances=tuple(instances))
    who: User | ServiceId = (User(subject.id, subject.label, subject.state)
                             if subject.kind == "user" else ServiceId(subject.id, subject.label))
    return one_subject_account(account_id, at, who, groups, policies, roles, instances)


def with_policy(account: AccountData, policy: Policy, policy_id: str = "planned") -> AccountData:
    return replace(account, policies=(*account.policies, replace(policy, id=policy_id)))


def first_reason(decisions: Iterable[Decision]) -> Reason | None:
    """Why the first instance that is not allowed is not: the decision's own first reason."""
    for decision in decisions:
        if decision.verdict is not Verdict.ALLOW and decision.reasons:
            return decision.reasons[0]
    return None
