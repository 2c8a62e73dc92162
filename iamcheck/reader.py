"""Reading an account through the IBM modules: every collection once, independent reads at once."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from iamcheck.ibm import access_groups, global_search, iam_policy, resource_manager, user_management, vpc
from iamcheck.ibm.session import IbmSession
from iamcheck.model import AccessGroup, AccountData, Instance, Membership, Policy, ServiceId

SERVICE_ID_PREFIX = "iam-ServiceId-"

T = TypeVar("T")
U = TypeVar("U")


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, session: IbmSession, enabled: bool | None = None) -> None:
        self._session = session
        self._enabled = sys.stderr.isatty() if enabled is None else enabled

    def step(self, label: str) -> None:
        if self._enabled:
            print(f"\r\033[Kreading {label} ({self._session.requests} requests)", end="",
                  file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._enabled:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def parallel(pool: ThreadPoolExecutor, fn: Callable[[T], U], items: Iterable[T]) -> list[U]:
    return list(pool.map(fn, items))


def read_account(session: IbmSession, account_id: str, service_name: str,
                 progress: Progress | None = None) -> AccountData:
    """The whole account: its number of calls grows with pages, not with users x groups."""
    progress = progress or Progress(session, enabled=False)
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
        users = pool.submit(user_management.list_users, session, account_id)
        groups = pool.submit(access_groups.list_groups, session, account_id)
        active = pool.submit(iam_policy.list_policies, session, account_id)
        deleted = pool.submit(iam_policy.list_policies, session, account_id, state="deleted")
        roles = pool.submit(iam_policy.list_roles, session, account_id, service_name)
        rgs = pool.submit(resource_manager.list_resource_groups, session, account_id)
        regions = pool.submit(vpc.list_regions, session)
        progress.step("users, groups, policies, roles")
        group_list = groups.result()
        members = pool.map(lambda g: access_groups.list_members(session, g), group_list)
        rules = pool.map(lambda g: access_groups.list_rules(session, account_id, g), group_list)
        instances = pool.map(lambda r: vpc.list_instances(session, r), regions.result())
        policies = active.result() + deleted.result()
        tags = (global_search.access_tags_by_crn(session, account_id)
                if any(p.tags for p in policies) else None)
        progress.step("members, rules, instances")
        named = [m for chunk in members for m in chunk]
        memberships = [m for m, _ in named]
        groups_with_rules = [_with_rules(g, r) for g, r in zip(group_list, rules, strict=True)]
        all_instances = [i for chunk in instances for i in chunk]
    progress.done()
    return AccountData(
        account_id=account_id,
        read_at=datetime.now(UTC),
        users=tuple(users.result()),
        service_ids=service_ids(named, policies),
        groups=tuple(groups_with_rules),
        memberships=tuple(memberships),
        policies=tuple(policies),
        roles=tuple(roles.result()),
        resource_groups=tuple(rgs.result()),
        instances=tuple(_tagged(i, tags) for i in all_instances),
    )


def service_ids(members: list[tuple[Membership, str]], policies: list[Policy],
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


def _with_rules(group: AccessGroup, rules: list[object]) -> AccessGroup:
    from dataclasses import replace

    return replace(group, rules=tuple(rules))  # type: ignore[arg-type]


def _tagged(instance: Instance, tags: dict[str, frozenset[str]] | None) -> Instance:
    if not tags or instance.crn not in tags:
        return instance
    from dataclasses import replace

    return replace(instance, access_tags=tags[instance.crn])


def subject_policies(session: IbmSession, account_id: str, iam_id: str,
                     groups: list[AccessGroup], pool: ThreadPoolExecutor) -> list[Policy]:
    """The policies whose subject is `iam_id` or one of `groups` (active and deleted)."""
    calls: list[Callable[[], list[Policy]]] = []
    for state in ("active", "deleted"):
        calls.append(lambda s=state: iam_policy.list_policies(session, account_id, iam_id=iam_id, state=s))
        for g in groups:
            calls.append(lambda s=state, g=g: iam_policy.list_policies(
                session, account_id, access_group_id=g.id, state=s))
    return [p for chunk in pool.map(lambda c: c(), calls) for p in chunk]


def memberships_of(iam_id: str, groups: list[AccessGroup]) -> tuple[Membership, ...]:
    return tuple(Membership(group_id=g.id, iam_id=iam_id) for g in groups)
