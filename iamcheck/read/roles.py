"""The role catalogue as R2 (rev 2) reads it: `/v2/roles?service_name=<service>` first; the
child catalogue (`is.instance` for `is.instance.instance.operate`) only when no role of the first
answer carries some required action; then `format=display` only for the policies whose roles
neither answer expands (`RoleBook.needs_display`). Every read it skips is one the pair does not
need."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from iamcheck.decide.roles import RoleBook
from iamcheck.ibm import iam_policy
from iamcheck.ibm.session import IbmSession
from iamcheck.model import Gap, Policy, Role
from iamcheck.read.relevant import can_matter
from iamcheck.requirement import Requirement

# (gap, default, fn, *args): how a read is made and what a refusal leaves
Reader = Callable[..., Any]


def child_catalogues(requirement: Requirement, actions: Sequence[str]) -> tuple[str, ...]:
    """The child services whose catalogues may list `actions`: `is.instance` for
    `is.instance.instance.operate` under service `is` (IBM documents the VPC roles there)."""
    prefix = requirement.service + "."
    out = [prefix + action[len(prefix):].split(".", 1)[0] for action in actions
           if action.startswith(prefix) and "." in action[len(prefix):]]
    return tuple(dict.fromkeys(out))


def read_catalogue(session: IbmSession, account_id: str, requirement: Requirement,
                   read: Reader) -> list[Role]:
    """The service's roles, and the child catalogues' when the service's own answer leaves a
    required action unexpanded. `read(gap, default, fn, *args)` makes one read."""
    service = requirement.service
    roles: list[Role] = read(Gap(f"the roles of '{service}'", ""), [], iam_policy.list_roles,
                             session, account_id, service)
    missing = RoleBook(roles, requirement).unexpanded_actions()
    for child in child_catalogues(requirement, missing):
        found: list[Role] = read(Gap(f"the roles of '{child}'", ""), [], iam_policy.list_roles,
                                 session, account_id, child)
        roles += [replace(r, catalogue=child) for r in found]
    return roles


def with_display(session: IbmSession, requirement: Requirement, roles: Sequence[Role],
                 policies: Sequence[Policy], pool: ThreadPoolExecutor,
                 read: Reader, account_id: str) -> list[Policy]:
    """`policies`, each whose roles no catalogue expands read again with format=display (R2);
    a refused read leaves the policy as it was (its roles then stay uncertain, never a deny).
    Only a policy that can reach the requirement's service is read: one on another service
    supplies none of its actions, whatever its roles."""
    book = RoleBook(roles, requirement)
    wanted = [p for p in policies if p.state == "active" and not p.display_roles
              and can_matter(p, requirement.service, account_id) and book.needs_display(p)]
    if not wanted:
        return list(policies)

    def enrich(policy: Policy) -> Policy:
        gap = Gap(f"the roles of policy {policy.id}", "", frozenset())  # uncertain, not a gap
        shown: Policy | None = read(gap, None, iam_policy.get_policy_display, session,
                                    policy.id)
        return replace(policy, display_roles=shown.display_roles) if shown else policy

    done = dict(zip((p.id for p in wanted), pool.map(enrich, wanted), strict=True))
    return [done.get(p.id, p) if p.state == "active" else p for p in policies]
