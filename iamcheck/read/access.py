"""The access of one subject: its own active policies, the access groups it is in now (the
Public Access group always among them, P3) and their policies. check, grant, revoke and console
read it here, and nowhere else.

With a `Refusals`, a refused read leaves a gap on that subject (or group) and the rest is read;
without one, a refusal ends the run (exit 4): grant never plans on what it could not read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from iamcheck.ibm import access_groups, iam_policy
from iamcheck.ibm.session import IbmSession
from iamcheck.model import AccessGroup, Gap, Policy, PolicyState
from iamcheck.read.gaps import Refusals
from iamcheck.read.one_subject import with_public

T = TypeVar("T")


@dataclass(frozen=True)
class Holder:
    """Who policies name: an identity (user or service ID, by iam_id) or an access group."""

    kind: Literal["iam_id", "access_group_id"]  # the policy subject attribute
    id: str

    @property
    def in_groups(self) -> bool:
        return self.kind == "iam_id"


@dataclass(frozen=True)
class SubjectAccess:
    groups: tuple[AccessGroup, ...]  # the groups it is in now, Public Access included
    policies: tuple[Policy, ...]  # its own and those groups' active policies


class AccessReader:
    def __init__(self, session: IbmSession, account_id: str, pool: ThreadPoolExecutor,
                 refusals: Refusals | None = None) -> None:
        self.session = session
        self.account_id = account_id
        self.pool = pool
        self.refusals = refusals

    def access(self, holder: Holder) -> SubjectAccess:
        groups = self.pool.submit(self.groups_of, holder) if holder.in_groups else None
        own = self.pool.submit(self.own_policies, holder)
        member_of = tuple(groups.result()) if groups is not None else ()
        return SubjectAccess(member_of, tuple(own.result() + self.group_policies(member_of)))

    def own_policies(self, holder: Holder, state: PolicyState = "active") -> list[Policy]:
        gap = Gap(f"the policies of {holder.id}", "", frozenset({holder.id}))
        return self._read(gap, iam_policy.list_policies, self.session, self.account_id,
                          state=state, **{holder.kind: holder.id})

    def groups_of(self, holder: Holder) -> list[AccessGroup]:
        gap = Gap(f"the access groups of {holder.id}", "", frozenset({holder.id}))
        return with_public(self._read(gap, access_groups.list_groups, self.session,
                                      self.account_id, iam_id=holder.id))

    def group_policies(self, groups: Sequence[AccessGroup]) -> list[Policy]:
        def read(group: AccessGroup) -> list[Policy]:
            gap = Gap(f"the policies of access group '{group.name or group.id}'", "",
                      frozenset({group.id}))
            return self._read(gap, iam_policy.list_policies, self.session, self.account_id,
                              access_group_id=group.id)

        return [p for chunk in self.pool.map(read, groups) for p in chunk]

    def _read(self, gap: Gap, fn: Callable[..., list[T]], *args: Any, **kwargs: Any) -> list[T]:
        if self.refusals is None:
            return fn(*args, **kwargs)
        return self.refusals.read(gap, fn, *args, default=[], **kwargs)
