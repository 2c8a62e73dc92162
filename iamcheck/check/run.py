"""`check`, step by step: check the input (before any IBM call), read only what one (subject,
instance) pair needs (or take it from a snapshot), decide, build the document."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from iamcheck.check.document import check_document
from iamcheck.claims import load_claims
from iamcheck.connection import Connection, open_session
from iamcheck.decide import Decision, Verdict, decide
from iamcheck.errors import BadInput, ExitCode
from iamcheck.ibm import access_groups, global_search, iam_policy
from iamcheck.ibm.session import IbmSession
from iamcheck.inputs import InstanceRef, UserRef, instance_ref, instant, user_ref
from iamcheck.model import (
    AccessGroup,
    AccountData,
    Claims,
    Gap,
    GroupRule,
    Instance,
    LayerGap,
    Role,
    ServiceId,
    User,
)
from iamcheck.read import snapshot as snapshots
from iamcheck.read.access import AccessReader, Holder
from iamcheck.read.gaps import Refusals
from iamcheck.read.layers import (
    ContextRules,
    Profiles,
    layer_gaps,
    read_context_rules,
    read_profiles,
)
from iamcheck.read.lookup import AccountLookup, Lookup
from iamcheck.read.one_subject import one_subject_account
from iamcheck.read.rights import GROUPS, OwnAccess, own_access
from iamcheck.read.roles import read_catalogue, with_display
from iamcheck.requirement import Requirement, requirement_from

VERDICT_EXIT = {Verdict.ALLOW: ExitCode.OK, Verdict.DENY: ExitCode.FINDING,
                Verdict.UNKNOWN: ExitCode.UNKNOWN}


@dataclass(frozen=True)
class CheckResult:
    decision: Decision
    account_id: str
    subject: User | ServiceId
    instance: Instance
    roles: tuple[Role, ...] = ()
    layer_gaps: tuple[LayerGap, ...] = ()  # V5: profiles or CBR rules it could not read

    @property
    def exit_code(self) -> ExitCode:
        return VERDICT_EXIT[self.decision.verdict]


@dataclass(frozen=True)
class CheckOptions:
    """What the command line gave, unchecked."""

    instance: str
    user: str | None = None
    at: str | None = None
    requirement: Path | None = None
    snapshot: Path | None = None
    claims: Path | None = None
    strict_context: bool = False


def check(conn: Connection, opts: CheckOptions) -> CheckResult:
    uref = user_ref(opts.user) if opts.user is not None else None
    iref = instance_ref(opts.instance)
    when = instant(opts.at) if opts.at is not None else datetime.now(UTC)
    req = requirement_from(opts.requirement)
    claims = load_claims(opts.claims)
    if opts.snapshot is not None:
        return check_offline(snapshots.load(opts.snapshot), req, uref, iref, when, claims,
                             opts.strict_context)
    with open_session(conn) as session:
        return run_check(session, req, uref, iref, when, claims, opts.strict_context)


def check_offline(account: AccountData, req: Requirement, uref: UserRef | None,
                  iref: InstanceRef, when: datetime, claims: Claims | None = None,
                  strict_context: bool = False) -> CheckResult:
    if uref is None:
        raise BadInput("--user is required with --from-snapshot (a snapshot has no caller)")
    lookup = AccountLookup(account)
    subject = lookup.subject(uref)
    instance = lookup.instances([iref])[0]
    decision = decide(account, req, subject.iam_id, instance, when, claims=claims,
                      strict_context=strict_context)
    return CheckResult(decision, account.account_id, subject, instance, account.roles,
                       account.layer_gaps)


__all__ = ["CheckOptions", "CheckResult", "check", "check_document", "run_check"]


def run_check(
    session: IbmSession,
    requirement: Requirement,
    user: UserRef | None,
    instance_ref: InstanceRef,
    at: datetime | None = None,
    claims: Claims | None = None,
    strict_context: bool = False,
    profiles: bool = True,
) -> CheckResult:
    """The verdict for one pair in at most 8 requests plus one per group of the user, plus the
    CBR rules on `is` (1) and one per zone those covering the instance name; more only to
    explain a verdict that is not allow (then, for a user, the trusted profiles: 1 per page,
    1 per profile for its claim rules, 1 per profile with a SAML rule for its policies), or to
    check iamcheck's own rights when the user is someone else (README, "Performance").
    `profiles=False` leaves trusted profiles out (the console opens with the caller's own key,
    which no profile changes)."""
    caller = session.caller()
    account_id = session.settings.account_id or caller.account_id
    at = at or datetime.now(UTC)
    lookup = Lookup(session, account_id)
    refused = Refusals()  # V5: a refused read keeps the verdicts it touches unknown
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool, \
            ThreadPoolExecutor(max_workers=2) as layers:  # they wait on `pool`, never it on them
        subject_f = pool.submit(lookup.subject, user or UserRef("iam_id", caller.iam_id))
        instance_f = pool.submit(lookup.instance, instance_ref)
        def read_one(gap: Gap, default: object, fn: Callable[..., object],
                     *args: object) -> object:
            return refused.read(gap, fn, *args, default=default)

        roles_f = pool.submit(read_catalogue, session, account_id, requirement, read_one)
        subject = subject_f.result()
        who = frozenset({subject.iam_id})
        access_f = (pool.submit(own_access, session, account_id)
                    if subject.iam_id != caller.iam_id else None)
        reader = AccessReader(session, account_id, pool, refused)
        read = reader.access(Holder("iam_id", subject.iam_id))
        groups, policies = list(read.groups), list(read.policies)
        instance = instance_f.result()
        # found by name or id, the instance came with its access tags from the search
        if instance_ref.kind == "crn" and any(p.tags for p in policies):
            tags = refused.read(
                Gap(f"the access tags of {instance.crn}", "", instances=frozenset({instance.id})),
                global_search.access_tags_of, session, account_id, instance.crn, default=None
            )
            instance = replace(instance, access_tags=tags) if tags is not None else instance
        context_f = layers.submit(read_context_rules, session, account_id, pool, (instance,))
        roles = roles_f.result()
        access = access_f.result() if access_f is not None else None
        if access is not None:
            for gap in access.subject_gaps(subject.iam_id):
                refused.add(gap)
        policies = with_display(session, requirement, roles, policies, pool, read_one,
                                    account_id)
        context = context_f.result()
        data = with_layers(one_subject_account(account_id, at, subject, groups, policies, roles,
                                               (instance,), gaps=refused.gaps()),
                           Profiles(), context)
        decision = decide(data, requirement, subject.iam_id, instance, at, claims=claims,
                          strict_context=strict_context)
        if decision.verdict is not Verdict.ALLOW:
            # Only now is it worth reading what can change the explanation or the verdict:
            # deleted policies (near misses, P2) and groups the user could join by rule (P3).
            # The account's deleted policies are few: one paged read, not one per group.
            deleted_f = pool.submit(
                Refusals().read,  # deleted ones only explain: no gap
                Gap("", "", who), iam_policy.list_policies, session, account_id,
                state="deleted", default=[]
            )
            profiles_f = (layers.submit(read_profiles, session, account_id, pool, links=False,
                                      policies=True)
                          if profiles and isinstance(subject, User) else None)
            extra = _federated_groups(session, account_id, subject, groups, refused, access)
            policies += reader.group_policies(extra)
            theirs = {g.id for g in groups + extra}
            policies += [p for p in deleted_f.result()
                         if p.subject_value("iam_id") == subject.iam_id
                         or p.subject_value("access_group_id") in theirs]
            policies = with_display(session, requirement, roles, policies, pool, read_one,
                                    account_id)
            applicable = profiles_f.result() if profiles_f is not None else Profiles()
            data = with_layers(one_subject_account(
                account_id, at, subject, groups, policies, roles, (instance,), could_join=extra,
                gaps=refused.gaps()), applicable, context)
            decision = decide(data, requirement, subject.iam_id, instance, at, claims=claims,
                              strict_context=strict_context)
    return CheckResult(decision, account_id, subject, instance, tuple(roles), data.layer_gaps)


def with_layers(data: AccountData, profiles: Profiles, context: ContextRules) -> AccountData:
    """The one-subject account with the profiles (and their policies) and CBR rules read."""
    return replace(data, policies=data.policies + profiles.policies, profiles=profiles.profiles,
                   cbr_rules=context.rules, cbr_zones=context.zones,
                   layer_gaps=layer_gaps(profiles, context))


def _federated_groups(
    session: IbmSession,
    account_id: str,
    subject: User | ServiceId,
    member_of: list[AccessGroup],
    refused: Refusals,
    access: OwnAccess | None = None,
) -> list[AccessGroup]:
    """Groups with dynamic rules the user is not in (P3, rev 2): IBM does not tell through
    which identity provider a user signs in, so every rule of every such group is a path
    (certain or not by --claims). Service IDs never join by rule."""
    if not isinstance(subject, User):
        return []
    gap = Gap(f"the access groups {subject.iam_id} could join by a dynamic rule", "",
              frozenset({subject.iam_id}))
    if not (access or own_access(session, account_id)).holds(GROUPS):
        refused.add(gap, f"iamcheck's identity lacks {GROUPS.role}: it cannot read the groups' "
                    "dynamic rules")
        return []
    known = {g.id for g in member_of}
    flagged: list[tuple[AccessGroup, bool]] = refused.read(
        gap, access_groups.list_groups_flagged, session, account_id, default=[])
    out = []
    for group, has_rules in flagged:
        if group.id in known or not has_rules:
            continue
        rules: list[GroupRule] = refused.read(
            gap, access_groups.list_rules, session, account_id, group, default=[]
        )
        if rules:
            out.append(AccessGroup(group.id, group.name, group.description, tuple(rules)))
    return out
