"""What grant and revoke read: who the subjects are, which instances the scope holds, and each
subject's active policies (its own and its groups'), as AccountData for decide(), all through
iamcheck.read.

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

from iamcheck.errors import BadInput
from iamcheck.grant.plan import GrantScope, ScopeKind, Subject, subject_account
from iamcheck.ibm import global_search
from iamcheck.inputs import InstanceRef, UserRef
from iamcheck.model import AccountData, Instance, Policy, Role, User
from iamcheck.read.access import AccessReader, Holder
from iamcheck.read.lookup import Lookup


@dataclass(frozen=True)
class ScopeRef:
    """The scope as typed: --instance, --resource-group or --all-instances."""

    kind: ScopeKind
    instance: InstanceRef | None = None
    value: str = ""  # resource group name or id


def resolve_users(lookup: Lookup, refs: Sequence[UserRef]) -> list[Subject]:
    out = []
    for ref in refs:
        found = lookup.subject(ref, "USER")
        if isinstance(found, User):
            out.append(Subject("user", found.iam_id, found.email or found.iam_id, found.state))
        else:
            out.append(Subject("service_id", found.iam_id, found.iam_id))
    return out


def resolve_groups(lookup: Lookup, names: Sequence[str]) -> list[Subject]:
    out = []
    for name in names:
        group = lookup.access_group(name)
        if group.is_public:
            raise BadInput("--access-group: iamcheck never grants to the Public Access group: "
                           "its policies reach everyone, signed in or not (P3)")
        out.append(Subject("access_group", group.id, group.name))
    return out


def resolve_scope(lookup: Lookup, ref: ScopeRef) -> GrantScope:
    if ref.kind == "instance":
        assert ref.instance is not None
        inst = lookup.instance(ref.instance)
        return GrantScope("instance", inst.id, inst.name, (inst,))
    group = lookup.resource_group(ref.value) if ref.kind == "resource_group" else None
    instances = lookup.instances_in(group)
    return GrantScope(ref.kind, group.id if group else "", group.name if group else "",
                      instances)


def holder(subject: Subject) -> Holder:
    return Holder("access_group_id" if subject.kind == "access_group" else "iam_id", subject.id)


class Reader:
    """Reads each subject's access on the scope. Access tags are read once, when needed."""

    def __init__(self, lookup: Lookup, scope: GrantScope, roles: Sequence[Role]) -> None:
        self.session = lookup.session
        self.account_id = lookup.account_id
        self.scope = scope
        self.roles = tuple(roles)
        self._tags: dict[str, frozenset[str]] | None = None
        self._lock = threading.Lock()

    def policies_of(self, subject: Subject) -> list[Policy]:
        """The subject's own active policies (for a group: the group's)."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            reader = AccessReader(self.session, self.account_id, pool)
            return reader.own_policies(holder(subject))

    def access(self, subject: Subject, at: datetime) -> AccountData:
        """The account as far as `subject` on the scope is concerned (plan.subject_account)."""
        with ThreadPoolExecutor(max_workers=self.session.settings.concurrency) as pool:
            read = AccessReader(self.session, self.account_id, pool).access(holder(subject))
        return subject_account(subject, self.account_id, at, read.groups, read.policies,
                               self.roles, self._instances(read.policies))

    def _instances(self, policies: Sequence[Policy]) -> tuple[Instance, ...]:
        if not any(p.tags for p in policies):
            return self.scope.instances
        with self._lock:
            if self._tags is None:
                self._tags = global_search.access_tags_by_crn(self.session, self.account_id)
            tags = self._tags
        return tuple(replace(i, access_tags=tags[i.crn]) if tags.get(i.crn) else i
                     for i in self.scope.instances)


__all__ = ["Reader", "ScopeRef", "resolve_groups", "resolve_scope", "resolve_users"]
