"""What grant and revoke read from IBM Cloud: who the subjects are, which instances the scope
holds, and each subject's active policies (its own and its groups'), as AccountData for decide().

Only what can make an action surely held is read: the subject's policies and those of the groups
it is in now (the Public Access group included, P3). Groups a user could join by a dynamic rule
and deleted policies only explain a denial (check reads them); they never make a grant smaller.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from iamcheck.check import resolve_instance
from iamcheck.errors import BadInput
from iamcheck.grant.plan import Scope, Subject, subject_account
from iamcheck.ibm import access_groups, global_search, iam_policy, resource_manager, vpc
from iamcheck.ibm import user_management as users
from iamcheck.ibm.session import IbmSession
from iamcheck.inputs import InstanceRef, UserRef
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Instance,
    Policy,
    ResourceGroup,
    Role,
)

SERVICE_ID_PREFIX = "iam-ServiceId-"


@dataclass(frozen=True)
class ScopeRef:
    """The scope as typed: --instance, --resource-group or --all-instances."""

    kind: str  # "instance" | "resource_group" | "account"
    instance: InstanceRef | None = None
    value: str = ""  # resource group name or id


def resolve_users(session: IbmSession, account_id: str, refs: Sequence[UserRef]) -> list[Subject]:
    out = []
    for ref in refs:
        if ref.kind == "iam_id" and ref.value.startswith(SERVICE_ID_PREFIX):
            out.append(Subject("service_id", ref.value, ref.value))
            continue
        user = users.find_user(session, account_id,
                               iam_id=ref.value if ref.kind == "iam_id" else None,
                               email=ref.value if ref.kind == "email" else None)
        if user is None:
            raise BadInput(f"USER: no user '{ref.value}' in account {account_id}")
        out.append(Subject("user", user.iam_id, user.email or user.iam_id, user.state))
    return out


def resolve_groups(session: IbmSession, account_id: str, names: Sequence[str]) -> list[Subject]:
    if not names:
        return []
    groups = access_groups.list_groups(session, account_id)
    out = []
    for name in names:
        found = ([g for g in groups if g.id == name] or [g for g in groups if g.name == name]
                 or [g for g in groups if g.name.lower() == name.lower()])
        if not found:
            raise BadInput(f"--access-group: no access group '{name}' in account {account_id}")
        if len(found) > 1:
            raise BadInput(f"--access-group: '{name}' names {len(found)} groups; give its id")
        if found[0].is_public:
            raise BadInput("--access-group: iamcheck never grants to the Public Access group: "
                           "its policies reach everyone, signed in or not (P3)")
        out.append(Subject("access_group", found[0].id, found[0].name))
    return out


def resolve_scope(session: IbmSession, account_id: str, ref: ScopeRef) -> Scope:
    if ref.kind == "instance":
        assert ref.instance is not None
        inst = resolve_instance(session, account_id, ref.instance)
        return Scope("instance", inst.id, inst.name, (inst,))
    regions = vpc.list_regions(session)
    group_id, name = "", ""
    if ref.kind == "resource_group":
        group = _resource_group(session, account_id, ref.value)
        group_id, name = group.id, group.name
    with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
        chunks = pool.map(lambda r: vpc.list_instances(session, r, group_id or None), regions)
        instances = tuple(i for chunk in chunks for i in chunk)
    return Scope(ref.kind, group_id, name, instances)


def _resource_group(session: IbmSession, account_id: str, text: str) -> ResourceGroup:
    groups = resource_manager.list_resource_groups(session, account_id)
    found = ([g for g in groups if g.id == text] or [g for g in groups if g.name == text]
             or [g for g in groups if g.name.lower() == text.lower()])
    if len(found) != 1:
        known = ", ".join(sorted(g.name for g in groups))
        raise BadInput(f"--resource-group: no single resource group '{text}' in account "
                       f"{account_id} (there are: {known})")
    return found[0]


class Reader:
    """Reads each subject's access on the scope. Access tags are read once, when needed."""

    def __init__(self, session: IbmSession, account_id: str, scope: Scope,
                 roles: Sequence[Role]) -> None:
        self.session = session
        self.account_id = account_id
        self.scope = scope
        self.roles = tuple(roles)
        self._tags: dict[str, frozenset[str]] | None = None
        self._lock = threading.Lock()

    def policies_of(self, subject: Subject) -> list[Policy]:
        """The subject's own active policies (for a group: the group's)."""
        key = "access_group_id" if subject.kind == "access_group" else "iam_id"
        return iam_policy.list_policies(self.session, self.account_id, **{key: subject.id})

    def access(self, subject: Subject, at: datetime) -> AccountData:
        """The account as far as `subject` on the scope is concerned (plan.subject_account)."""
        groups: list[AccessGroup] = []
        if subject.kind != "access_group":
            groups = access_groups.list_groups(self.session, self.account_id, iam_id=subject.id)
            if not any(g.is_public for g in groups):
                groups.append(AccessGroup(PUBLIC_ACCESS_GROUP_ID, "Public Access"))
        with ThreadPoolExecutor(max_workers=self.session.settings.concurrency) as pool:
            own = pool.submit(self.policies_of, subject)
            chunks = pool.map(lambda g: iam_policy.list_policies(
                self.session, self.account_id, access_group_id=g.id), groups)
            policies = own.result() + [p for chunk in chunks for p in chunk]
        return subject_account(subject, self.account_id, at, groups, policies, self.roles,
                               self._instances(policies))

    def _instances(self, policies: Sequence[Policy]) -> tuple[Instance, ...]:
        if not any(p.tags for p in policies):
            return self.scope.instances
        with self._lock:
            if self._tags is None:
                self._tags = global_search.access_tags_by_crn(self.session, self.account_id)
            tags = self._tags
        return tuple(replace(i, access_tags=tags[i.crn]) if tags.get(i.crn) else i
                     for i in self.scope.instances)
