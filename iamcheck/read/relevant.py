"""Which access groups' members and rules an audit must read (issue 17).

A group can change a verdict, a near miss or a finding only through the policies it holds: its
members get them, a dynamic rule may admit someone to them (P3), deleted ones are near misses
(P2). A group that holds no access policy reaching the requirement's service (directly, or all
services) supplies no action on it, whatever its role, so who is in it changes nothing. Roles
are not weighed here on purpose: a role that is one action short is a near miss, and a policy
whose scope iamcheck only doubts is an uncertain path; both must keep their members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iamcheck.decide.matching import OTHER, read_scope
from iamcheck.model import AccessGroup, Policy


@dataclass(frozen=True)
class MemberReads:
    """Whose members (and dynamic rules) `read_account` lists: every group's (a snapshot, or an
    audit whose output names people or groups: --user, --access-group, --expect), or only those
    of the groups that can matter to the requirement's service."""

    every: bool = True


EVERY = MemberReads(every=True)
THAT_MATTER = MemberReads(every=False)


def can_matter(policy: Policy, service: str, account_id: str) -> bool:
    """Could this policy supply, or nearly supply, an action of `service`? Active or deleted,
    any role: only a policy on another service (or an authorization policy) cannot."""
    if policy.type != "access":
        return False
    return read_scope(policy, service, "", account_id).scope != OTHER


def groups_that_matter(groups: Iterable[AccessGroup], policies: Iterable[Policy],
                       service: str, account_id: str) -> frozenset[str]:
    """The ids of the groups (Public Access included) that hold a policy that can matter."""
    ids = {g.id for g in groups}
    holding = {gid for p in policies
               if (gid := p.subject_value("access_group_id")) is not None and gid in ids
               and can_matter(p, service, account_id)}
    return frozenset(holding)


__all__ = ["EVERY", "THAT_MATTER", "MemberReads", "can_matter", "groups_that_matter"]
