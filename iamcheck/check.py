"""`check`: read only what one (subject, instance) pair needs, then decide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from iamcheck.decide import Decision, Verdict, decide
from iamcheck.errors import BadInput
from iamcheck.ibm import access_groups, global_search, iam_policy, user_management, vpc
from iamcheck.ibm.session import IbmSession
from iamcheck.inputs import InstanceRef, UserRef
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Instance,
    Membership,
    Policy,
    Role,
    ServiceId,
    User,
)
from iamcheck.requirement import Requirement

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
    user = user_management.find_user(
        session, account_id, iam_id=iam_id, email=None if iam_id else ref.value if ref else None
    )
    if user is None:
        shown = ref.value if ref else caller_iam_id
        raise BadInput(f"--user: no user '{shown}' in account {account_id}")
    return user


def resolve_instance(session: IbmSession, account_id: str, ref: InstanceRef) -> Instance:
    regions = {r.name: r for r in vpc.list_regions(session)}
    crn = ref.value if ref.kind == "crn" else None
    if crn is None:
        field = "name" if ref.kind == "name" else "resource_id"
        found = global_search.find_instances(session, account_id, field, ref.value)
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
    instance = vpc.get_instance(session, region, instance_id) if region else None
    if instance is None:
        raise BadInput(f"--instance: no VPC instance '{ref.value}' in account {account_id}")
    return instance


def run_check(
    session: IbmSession,
    requirement: Requirement,
    user: UserRef | None,
    instance_ref: InstanceRef,
    at: datetime | None = None,
) -> CheckResult:
    caller = session.caller()
    account_id = session.settings.account_id or caller.account_id
    at = at or datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
        subject_f = pool.submit(resolve_subject, session, account_id, user, caller.iam_id)
        instance_f = pool.submit(resolve_instance, session, account_id, instance_ref)
        roles_f = pool.submit(iam_policy.list_roles, session, account_id, requirement.service)
        subject = subject_f.result()
        groups_f = pool.submit(
            access_groups.list_groups, session, account_id, iam_id=subject.iam_id
        )
        own_f = pool.submit(iam_policy.list_policies, session, account_id, iam_id=subject.iam_id)
        groups = _with_public(groups_f.result())
        policies = own_f.result() + _group_policies(session, account_id, groups, pool, "active")
        instance = instance_f.result()
        if any(p.tags for p in policies):
            tags = global_search.access_tags_of(session, account_id, instance.crn)
            instance = _with_tags(instance, tags)
        roles = roles_f.result()
        data = _account(account_id, at, subject, groups, [], policies, roles, instance)
        decision = decide(data, requirement, subject.iam_id, instance, at)
        if decision.verdict is not Verdict.ALLOW:
            # Only now is it worth reading what can change the explanation or the verdict:
            # deleted policies (near misses, P2) and groups the user could join by rule (P3).
            extra = _federated_groups(session, account_id, subject, groups)
            policies += _group_policies(session, account_id, extra, pool, "active")
            policies += iam_policy.list_policies(
                session, account_id, iam_id=subject.iam_id, state="deleted"
            )
            policies += _group_policies(session, account_id, groups + extra, pool, "deleted")
            data = _account(account_id, at, subject, groups, extra, policies, roles, instance)
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
) -> list[Policy]:
    chunks = pool.map(
        lambda g: iam_policy.list_policies(session, account_id, access_group_id=g.id, state=state),
        groups,
    )
    return [p for chunk in chunks for p in chunk]


def _federated_groups(
    session: IbmSession, account_id: str, subject: User | ServiceId, member_of: list[AccessGroup]
) -> list[AccessGroup]:
    """Groups the user is not in but whose dynamic rule names the user's realm (P3)."""
    if not isinstance(subject, User) or subject.realm in NON_FEDERATED_REALMS:
        return []
    known = {g.id for g in member_of}
    out = []
    for group in access_groups.list_groups(session, account_id):
        if group.id in known:
            continue
        rules = access_groups.list_rules(session, account_id, group)
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
    )
