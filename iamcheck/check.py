"""`check`: read only what one (subject, instance) pair needs, then decide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from iamcheck.decide import Decision, Verdict, decide
from iamcheck.errors import BadInput, NotAuthorized
from iamcheck.ibm import access_groups, global_search, iam_policy, user_management, vpc
from iamcheck.ibm.session import IbmSession
from iamcheck.inputs import InstanceRef, UserRef
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Gap,
    GroupRule,
    Instance,
    Membership,
    Policy,
    Role,
    ServiceId,
    User,
)
from iamcheck.requirement import Requirement
from iamcheck.rights import GROUPS, INSTANCES, USERS, OwnAccess, Refusals, read_own_access

# Realms whose users cannot come in through an IdP's dynamic rule (P3).
NON_FEDERATED_REALMS = frozenset({"", "IBMid", "SL"})


@dataclass(frozen=True)
class CheckResult:
    decision: Decision
    account_id: str
    subject: User | ServiceId
    instance: Instance
    roles: tuple[Role, ...] = ()


def resolve_subject(
    session: IbmSession, account_id: str, ref: UserRef | None, caller_iam_id: str
) -> User | ServiceId:
    iam_id = caller_iam_id if ref is None else (ref.value if ref.kind == "iam_id" else None)
    if iam_id is not None and iam_id.startswith("iam-ServiceId-"):
        return ServiceId(iam_id=iam_id, name="")
    shown = ref.value if ref else caller_iam_id
    try:
        user = user_management.find_user(
            session, account_id, iam_id=iam_id, email=None if iam_id else ref.value if ref else None
        )
    except NotAuthorized as err:
        raise NotAuthorized(f"{err}; to check '{shown}' grant it {USERS.role}") from None
    if user is None and iam_id is None and not read_own_access(session, account_id).holds(USERS):
        # IBM lists only the caller to an identity without a role on User Management
        raise NotAuthorized(f"--user: iamcheck may not look up '{shown}': grant its API key's "
                            f"identity {USERS.role}")
    if user is None:
        raise BadInput(f"--user: no user '{shown}' in account {account_id}")
    return user


def resolve_instance(session: IbmSession, account_id: str, ref: InstanceRef) -> Instance:
    regions = {r.name: r for r in vpc.list_regions(session)}
    crn = ref.value if ref.kind == "crn" else None
    tags_by_crn: dict[str, frozenset[str]] = {}
    if crn is None:
        field = "name" if ref.kind == "name" else "resource_id"
        # one search finds the instance and its access tags (no second read for the tags)
        tags_by_crn = global_search.access_tags_by_crn(
            session, account_id, f"{global_search.INSTANCES} AND {field}:{ref.value}"
        )
        found = list(tags_by_crn)
        if not found and not read_own_access(session, account_id).holds(INSTANCES):
            # the search lists only what the caller may read
            raise NotAuthorized(f"--instance: iamcheck finds no VPC instance with {ref.kind} "
                                f"'{ref.value}' that it may read; if it exists, grant its API "
                                f"key's identity {INSTANCES.role}")
        if not found:
            raise BadInput(
                f"--instance: no VPC instance with {ref.kind} '{ref.value}' in account {account_id}"
            )
        if len(found) > 1:
            raise BadInput(
                f"--instance: '{ref.value}' names {len(found)} instances; "
                f"give one CRN: {', '.join(sorted(found))}"
            )
        crn = found[0]
    region_name = crn.split(":")[5].rsplit("-", 1)[0]
    instance_id = crn.rsplit(":", 1)[1]
    region = regions.get(region_name)
    try:
        instance = vpc.get_instance(session, region, instance_id) if region else None
    except NotAuthorized as err:
        raise NotAuthorized(f"{err}; grant it {INSTANCES.role}") from None
    if instance is None:
        raise BadInput(f"--instance: no VPC instance '{ref.value}' in account {account_id}")
    if crn in tags_by_crn:
        instance = _with_tags(instance, tags_by_crn[crn])
    return instance


def run_check(
    session: IbmSession,
    requirement: Requirement,
    user: UserRef | None,
    instance_ref: InstanceRef,
    at: datetime | None = None,
) -> CheckResult:
    """The verdict for one pair in at most 8 requests plus one per group of the user; more
    only to explain a verdict that is not allow, or to check iamcheck's own rights when the
    user is someone else (README, "Performance", gives the count)."""
    caller = session.caller()
    account_id = session.settings.account_id or caller.account_id
    at = at or datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
        subject_f = pool.submit(resolve_subject, session, account_id, user, caller.iam_id)
        instance_f = pool.submit(resolve_instance, session, account_id, instance_ref)
        refused = Refusals()  # V5: a refused read keeps the verdicts it touches unknown
        roles_f = pool.submit(
            refused.read_or_gap, Gap(f"the roles of '{requirement.service}'", ""),
            iam_policy.list_roles, session, account_id, requirement.service, default=[]
        )
        subject = subject_f.result()
        who = frozenset({subject.iam_id})
        access_f = (pool.submit(read_own_access, session, account_id)
                    if subject.iam_id != caller.iam_id else None)
        groups_f = pool.submit(
            refused.read_or_gap, Gap(f"the access groups of {subject.iam_id}", "", who),
            access_groups.list_groups, session, account_id, iam_id=subject.iam_id, default=[]
        )
        own_f = pool.submit(
            refused.read_or_gap, Gap(f"the policies of {subject.iam_id}", "", who),
            iam_policy.list_policies, session, account_id, iam_id=subject.iam_id, default=[]
        )
        groups = _with_public(groups_f.result())
        policies = own_f.result() + _group_policies(
            session, account_id, groups, pool, "active", refused
        )
        instance = instance_f.result()
        # found by name or id, the instance came with its access tags from the search
        if instance_ref.kind == "crn" and any(p.tags for p in policies):
            tags = refused.read_or_gap(
                Gap(f"the access tags of {instance.crn}", "", instances=frozenset({instance.id})),
                global_search.access_tags_of, session, account_id, instance.crn, default=None
            )
            instance = _with_tags(instance, tags) if tags is not None else instance
        roles = roles_f.result()
        access = access_f.result() if access_f is not None else None
        if access is not None:
            refused.ready.extend(access.subject_gaps(subject.iam_id))
        data = _account(account_id, at, subject, groups, [], policies, roles, instance,
                        refused.ready)
        decision = decide(data, requirement, subject.iam_id, instance, at)
        if decision.verdict is not Verdict.ALLOW:
            # Only now is it worth reading what can change the explanation or the verdict:
            # deleted policies (near misses, P2) and groups the user could join by rule (P3).
            # The account's deleted policies are few: one paged read, not one per group.
            deleted_f = pool.submit(
                Refusals().read_or_gap,  # deleted ones only explain: no gap
                Gap("", "", who), iam_policy.list_policies, session, account_id,
                state="deleted", default=[]
            )
            extra = _federated_groups(session, account_id, subject, groups, refused, access)
            policies += _group_policies(session, account_id, extra, pool, "active", refused)
            theirs = {g.id for g in groups + extra}
            policies += [p for p in deleted_f.result()
                         if p.subject_value("iam_id") == subject.iam_id
                         or p.subject_value("access_group_id") in theirs]
            data = _account(account_id, at, subject, groups, extra, policies, roles, instance,
                            refused.ready)
            decision = decide(data, requirement, subject.iam_id, instance, at)
    return CheckResult(decision, account_id, subject, instance, tuple(roles))


def _with_public(groups: list[AccessGroup]) -> list[AccessGroup]:
    if any(g.id == PUBLIC_ACCESS_GROUP_ID for g in groups):
        return groups
    return [*groups, AccessGroup(id=PUBLIC_ACCESS_GROUP_ID, name="Public Access")]


def _group_policies(
    session: IbmSession,
    account_id: str,
    groups: list[AccessGroup],
    pool: ThreadPoolExecutor,
    state: str,
    refused: Refusals | None = None,
) -> list[Policy]:
    # Refused active policies leave a gap on the group; deleted ones only explain: dropped.
    sink = refused if refused is not None and state == "active" else Refusals()

    def read(group: AccessGroup) -> list[Policy]:
        gap = Gap(f"the policies of access group '{group.name or group.id}'", "",
                  frozenset({group.id}))
        return sink.read_or_gap(gap, iam_policy.list_policies, session, account_id,
                                access_group_id=group.id, state=state, default=[])

    chunks = pool.map(read, groups)
    return [p for chunk in chunks for p in chunk]


def _federated_groups(
    session: IbmSession,
    account_id: str,
    subject: User | ServiceId,
    member_of: list[AccessGroup],
    refused: Refusals | None = None,
    access: OwnAccess | None = None,
) -> list[AccessGroup]:
    """Groups the user is not in but whose dynamic rule names the user's realm (P3)."""
    if not isinstance(subject, User) or subject.realm in NON_FEDERATED_REALMS:
        return []
    refused = refused or Refusals()
    gap = Gap(f"the access groups {subject.iam_id} could join by a dynamic rule", "",
              frozenset({subject.iam_id}))
    if not (access or read_own_access(session, account_id)).holds(GROUPS):
        refused.ready.append(replace(gap, reason=f"iamcheck's identity lacks {GROUPS.role}: "
                                     "it cannot read the groups' dynamic rules"))
        return []
    known = {g.id for g in member_of}
    out = []
    for group, has_rules in access_groups.list_groups_flagged(session, account_id):
        if group.id in known or not has_rules:
            continue
        rules: list[GroupRule] = refused.read_or_gap(
            gap, access_groups.list_rules, session, account_id, group, default=[]
        )
        if any(r.realm_name == subject.realm for r in rules):
            out.append(AccessGroup(group.id, group.name, group.description, tuple(rules)))
    return out


def _with_tags(instance: Instance, tags: frozenset[str]) -> Instance:
    return replace(instance, access_tags=tags)


def _account(
    account_id: str,
    at: datetime,
    subject: User | ServiceId,
    member_of: list[AccessGroup],
    could_join: list[AccessGroup],
    policies: list[Policy],
    roles: list[Role],
    instance: Instance,
    gaps: list[Gap] | None = None,
) -> AccountData:
    members = tuple(
        Membership(g.id, subject.iam_id) for g in member_of if g.id != PUBLIC_ACCESS_GROUP_ID
    )
    return AccountData(
        account_id=account_id,
        read_at=at,
        users=(subject,) if isinstance(subject, User) else (),
        service_ids=(subject,) if isinstance(subject, ServiceId) else (),
        groups=(*member_of, *could_join),
        memberships=members,
        policies=tuple(policies),
        roles=tuple(roles),
        instances=(instance,),
        gaps=tuple(gaps or ()),
    )
