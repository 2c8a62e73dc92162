"""Reading a whole account through the IBM modules: every collection once, independent reads
at the same time, bounded by --concurrency."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from iamcheck.ibm import (
    access_groups,
    global_search,
    iam_policy,
    resource_manager,
    user_management,
    vpc,
)
from iamcheck.ibm.session import IbmSession
from iamcheck.model import AccountData, Instance, Membership, Policy, ServiceId

SERVICE_ID_PREFIX = "iam-ServiceId-"


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, session: IbmSession, enabled: bool | None = None) -> None:
        self._session = session
        self._enabled = sys.stderr.isatty() if enabled is None else enabled

    def step(self, label: str) -> None:
        if self._enabled:
            print(
                f"\r\033[Kreading {label} ({self._session.requests} requests)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def done(self) -> None:
        if self._enabled:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def read_account(
    session: IbmSession, account_id: str, service_name: str, progress: Progress | None = None
) -> AccountData:
    """The whole account. Its number of calls grows with pages, not with users x groups:
    users, groups, policies (active and deleted), roles, resource groups and regions are one
    paged list each; then each group's members and rules, and each region's instances; access
    tags are read in bulk, and only when some policy uses them."""
    progress = progress or Progress(session, enabled=False)
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
        users = pool.submit(user_management.list_users, session, account_id)
        groups = pool.submit(access_groups.list_groups, session, account_id)
        active = pool.submit(iam_policy.list_policies, session, account_id)
        deleted = pool.submit(iam_policy.list_policies, session, account_id, state="deleted")
        roles = pool.submit(iam_policy.list_roles, session, account_id, service_name)
        resource_groups = pool.submit(resource_manager.list_resource_groups, session, account_id)
        regions = pool.submit(vpc.list_regions, session)
        progress.step("users, groups, policies and roles")
        group_list = groups.result()
        members = [pool.submit(access_groups.list_members, session, g) for g in group_list]
        rules = [pool.submit(access_groups.list_rules, session, account_id, g) for g in group_list]
        per_region = [pool.submit(vpc.list_instances, session, r) for r in regions.result()]
        policies = active.result() + deleted.result()
        tags = (
            global_search.access_tags_by_crn(session, account_id)
            if any(p.tags for p in policies)
            else {}
        )
        progress.step("members, rules and instances")
        named = [m for f in members for m in f.result()]
        full_groups = [
            replace(g, rules=tuple(r.result())) for g, r in zip(group_list, rules, strict=True)
        ]
        instances = [_tagged(i, tags) for f in per_region for i in f.result()]
    progress.done()
    return AccountData(
        account_id=account_id,
        read_at=datetime.now(UTC),
        users=tuple(users.result()),
        service_ids=service_ids(named, policies),
        groups=tuple(full_groups),
        memberships=tuple(m for m, _ in named),
        policies=tuple(policies),
        roles=tuple(roles.result()),
        resource_groups=tuple(resource_groups.result()),
        instances=tuple(instances),
    )


def service_ids(
    members: list[tuple[Membership, str]],
    policies: list[Policy],
) -> tuple[ServiceId, ...]:
    """Service IDs that can hold access: group members and policy subjects."""
    names: dict[str, str] = {}
    for member, name in members:
        if member.iam_id.startswith(SERVICE_ID_PREFIX):
            names[member.iam_id] = names.get(member.iam_id) or name
    for policy in policies:
        iam_id = policy.subject_value("iam_id")
        if iam_id and iam_id.startswith(SERVICE_ID_PREFIX):
            names.setdefault(iam_id, "")
    return tuple(ServiceId(iam_id=i, name=n) for i, n in names.items())


def _tagged(instance: Instance, tags: dict[str, frozenset[str]]) -> Instance:
    found = tags.get(instance.crn)
    return replace(instance, access_tags=found) if found else instance


__all__ = ["Progress", "read_account"]
