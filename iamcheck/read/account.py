"""The whole-account reader, through the IBM modules: every collection once, independent reads at
the same time, bounded by --concurrency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from iamcheck.ibm import (
    access_groups,
    global_search,
    iam_identity,
    iam_policy,
    resource_manager,
    user_management,
    vpc,
)
from iamcheck.ibm.session import IbmSession
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Gap,
    Instance,
    Membership,
    Policy,
    ServiceId,
)
from iamcheck.read.gaps import Later, Refusals
from iamcheck.read.layers import layer_gaps, read_context_rules, read_profiles
from iamcheck.read.progress import Progress
from iamcheck.read.relevant import THAT_MATTER, MemberReads, groups_that_matter
from iamcheck.read.rights import GROUPS, NOTHING_LISTED, OwnAccess, own_access
from iamcheck.read.roles import read_catalogue, with_display
from iamcheck.requirement import Requirement, load_requirement

SERVICE_ID_PREFIX = "iam-ServiceId-"


def read_account(
    session: IbmSession, account_id: str, service_name: str | Requirement,
    progress: Progress | None = None, member_reads: MemberReads = THAT_MATTER,
) -> AccountData:
    """The whole account. Its number of calls grows with pages, not with users x groups:
    users, service IDs, groups, policies (active and deleted), roles, resource groups and
    regions are one paged list each (R2: the child role catalogue too when the service's own
    leaves a required action unexpanded, and format=display for each policy that can reach the
    service whose roles neither expands);
    then each group's members, the rules of the groups IBM flags as having
    dynamic rules, and each region's instances; access tags are read in bulk, and only when some
    policy uses them. Members and rules are read only of the groups that can matter to
    `service_name` (read/relevant.py) unless `member_reads` asks for every group's.
    docs/performance.md gives the exact count.

    First iamcheck's own rights (exit 4 when it may read nothing an audit needs); a right it
    lacks, or a read IBM refuses, becomes a Gap that keeps the verdicts it touches unknown (V5).
    """
    progress = progress or Progress(session, enabled=False)
    requirement = (service_name if isinstance(service_name, Requirement)
                   else replace(load_requirement(), service=service_name))
    access = own_access(session, account_id)
    access.require_audit_rights()
    refused = Refusals()
    # `late` runs the tag search, which can start only once the policies are read, beside the
    # queue of one-page reads rather than behind it; the session bounds what is in flight.
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool, \
            ThreadPoolExecutor(max_workers=1) as late, \
            ThreadPoolExecutor(max_workers=2) as layers:  # they wait on `pool`, never it on them

        def read(gap: Gap | Later, default: Any, fn: Callable[..., Any], *args: Any,
                 **kwargs: Any) -> Future[Any]:
            return progress.track(pool.submit(
                lambda: refused.read(gap, fn, *args, default=default, **kwargs)))

        def listing(what: str) -> Gap:  # what was not listed: no verdict computed
            return Gap(what, "", subjects=NOTHING_LISTED)

        users = read(listing("the account's users"), [], user_management.list_users,
                     session, account_id)
        federated: set[str] = set()  # groups with dynamic rules: only theirs are read
        groups = read(Gap("the account's access groups", ""), [], _groups_flagged,
                      session, account_id, federated)
        unread: list[Policy] = []  # a refused policy list: which groups matter is not known
        active = read(Gap("the account's policies", ""), unread, iam_policy.list_policies,
                      session, account_id, last_permit=True)
        deleted = read(listing("the account's deleted policies"), unread,
                       iam_policy.list_policies, session, account_id, state="deleted")
        def read_now(gap: Gap, default: Any, fn: Callable[..., Any], *args: Any) -> Any:
            return refused.read(gap, fn, *args, default=default)

        roles = pool.submit(read_catalogue, session, account_id, requirement, read_now)
        resource_groups = read(listing("the account's resource groups"), [],
                               resource_manager.list_resource_groups, session, account_id)
        regions = read(listing("the VPC regions"), [], vpc.list_regions, session)
        listed_ids = read(listing("the account's service IDs"), [], iam_identity.list_service_ids,
                          session, account_id)
        profiles = layers.submit(read_profiles, session, account_id, pool)  # P5, V5
        context = layers.submit(read_context_rules, session, account_id, pool)  # G1, V5
        progress.step("users, groups, policies and roles")
        # Without a role on IAM Access Groups, members and rules are refused: not asked for.
        group_list = groups.result() if access.holds(GROUPS) else []
        # Paged chains first (they are sequential), then the many one-page reads.
        per_region = [read(listing(f"the VPC instances in {r.name}"), [], vpc.list_instances,
                           session, r) for r in regions.result()]
        known = active.result() is not unread and deleted.result() is not unread
        policies = with_display(session, requirement, roles.result(), active.result(), pool,
                                read_now, account_id) + deleted.result()
        if known and not member_reads.every:  # only the groups whose policies can reach the service
            matter = groups_that_matter(group_list, policies, requirement.service, account_id)
            group_list = [g for g in group_list if g.id in matter]
        members = [read(Later(f"the members of access group '{g.name}'", "others"), [],
                        access_groups.list_members, session, g)
                   for g in sorted(group_list, key=lambda g: g.id != PUBLIC_ACCESS_GROUP_ID)]
        rules = {g.id: read(Later(f"the dynamic rules of access group '{g.name}'", "others"), [],
                            access_groups.list_rules, session, account_id, g)
                 for g in group_list if g.id in federated}
        tags = late.submit(
            refused.read, Later("the access tags of the VPC instances", "instances"),
            global_search.access_tags_by_crn, session, account_id, default=None,
        ) if any(p.tags for p in policies) else None
        progress.step("members, rules and instances")
        named = [m for f in members for m in f.result()]
        full_groups = [
            replace(g, rules=tuple(rules[g.id].result())) if g.id in rules else g
            for g in groups.result()
        ] if access.holds(GROUPS) else groups.result()
        instances = [i for f in per_region for i in f.result()]
        if tags is not None:
            instances = _with_tags(instances, tags.result(), refused)
    progress.done()
    memberships = [m for m, _ in named]
    listed = {(m.group_id, m.iam_id) for m in memberships}
    memberships += [m for m in _own_memberships(access) if (m.group_id, m.iam_id) not in listed]
    data = AccountData(
        account_id=account_id,
        read_at=datetime.now(UTC),
        users=tuple(users.result()),
        service_ids=service_ids(named, policies, listed_ids.result()),
        groups=tuple(full_groups),
        memberships=tuple(memberships),
        policies=tuple(policies),
        roles=tuple(roles.result()),
        resource_groups=tuple(resource_groups.result()),
        instances=tuple(instances),
        profiles=profiles.result().profiles,
        cbr_zones=context.result().zones,
        cbr_rules=context.result().rules,
        layer_gaps=layer_gaps(profiles.result(), context.result()),
    )
    return replace(data, gaps=access.audit_gaps(data) + refused.gaps(data, access))


def _groups_flagged(session: IbmSession, account_id: str, federated: set[str]) -> list[AccessGroup]:
    """The account's groups; adds to `federated` those IBM flags as having dynamic rules."""
    flagged = access_groups.list_groups_flagged(session, account_id)
    federated.update(g.id for g, has_rules in flagged if has_rules)
    return [g for g, _ in flagged]


def _own_memberships(access: OwnAccess) -> list[Membership]:
    """The caller's groups, as read with its own rights (whatever the members lists say)."""
    return [Membership(g, access.iam_id) for g in sorted(access.group_ids or ())
            if g != PUBLIC_ACCESS_GROUP_ID]


def _with_tags(instances: list[Instance], tags: dict[str, frozenset[str]] | None,
               refused: Refusals) -> list[Instance]:
    """Access tags on each instance; an instance the search does not know has unknown tags."""
    if tags is None:  # the search was refused: already a gap on every instance
        return instances
    unseen = frozenset(i.id for i in instances if i.crn not in tags)
    if unseen:
        refused.add(Gap("the access tags of some VPC instances", "Global Search does not list "
                        "them (yet), so their tags are unknown", instances=unseen))
    return [_tagged(i, tags) for i in instances]


def service_ids(
    members: list[tuple[Membership, str]],
    policies: list[Policy],
    listed: Sequence[ServiceId] = (),
) -> tuple[ServiceId, ...]:
    """Service IDs that can hold access: every one IAM Identity lists (one with no policy and no
    group may hold it through Public Access), group members and policy subjects."""
    found: dict[str, ServiceId] = {s.iam_id: s for s in listed}
    for member, name in members:
        known = found.get(member.iam_id)
        if member.iam_id.startswith(SERVICE_ID_PREFIX) and not (known and known.name):
            found[member.iam_id] = ServiceId(iam_id=member.iam_id, name=name,
                                             id=known.id if known else "")
    for policy in policies:
        iam_id = policy.subject_value("iam_id")
        if iam_id and iam_id.startswith(SERVICE_ID_PREFIX):
            found.setdefault(iam_id, ServiceId(iam_id=iam_id, name=""))
    return tuple(found.values())


def _tagged(instance: Instance, tags: dict[str, frozenset[str]]) -> Instance:
    found = tags.get(instance.crn)
    return replace(instance, access_tags=found) if found else instance


__all__ = ["Progress", "read_account"]
