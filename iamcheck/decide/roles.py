"""Roles are bundles of actions (R2): expand a policy's role ids to the required actions.

A role id resolves by its exact CRN among the roles read from /v2/roles; failing that, a service
role resolves by the end of its CRN, `serviceRole:<Name>`, whatever the service segment (R4:
`iam::::serviceRole:VirtualServerConsoleAdmin` and `is::::serviceRole:VirtualServerConsoleAdmin`
are the same Console Administrator).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iamcheck.model import Role
from iamcheck.requirement import Requirement


@dataclass(frozen=True)
class RoleUse:
    """One role of a policy, as far as the requirement is concerned."""

    role_id: str  # as the policy writes it
    role: Role | None  # None: not a role of the requirement's service
    actions: frozenset[str]  # the required actions it carries
    by_suffix: bool = False  # resolved through R4, not by its exact CRN

    @property
    def name(self) -> str:
        return self.role.display_name if self.role else self.role_id

    @property
    def platform(self) -> bool:
        """A platform (system) role: the only kind an all-services policy can carry (S2)."""
        return self.role is not None and self.role.kind == "system"


def _suffix(crn: str) -> tuple[str, ...]:
    parts = crn.split(":")
    return tuple(parts[-2:]) if len(parts) >= 2 and parts[-2] == "serviceRole" else ()


def _segment(crn: str) -> str:
    parts = crn.split(":")
    return parts[4] if len(parts) > 4 else ""


class RoleBook:
    def __init__(self, roles: Iterable[Role], requirement: Requirement) -> None:
        self.service = requirement.service
        self.required = frozenset(requirement.actions)
        self._by_crn: dict[str, Role] = {}
        self._by_suffix: dict[tuple[str, ...], Role] = {}
        for role in roles:
            self._by_crn.setdefault(role.crn, role)
            key = _suffix(role.crn)
            if role.kind == "service" and key:
                known = self._by_suffix.get(key)
                # Prefer the CRN in the requirement's own service segment when both exist.
                if known is None or (_segment(known.crn) != self.service
                                     and _segment(role.crn) == self.service):
                    self._by_suffix[key] = role
        self._uses: dict[tuple[str, ...], tuple[RoleUse, ...]] = {}

    def resolve(self, role_id: str) -> tuple[Role | None, bool]:
        """The role a role id names, and whether it took the R4 suffix rule to find it."""
        role = self._by_crn.get(role_id)
        if role is not None:
            return role, False
        key = _suffix(role_id)
        role = self._by_suffix.get(key) if key else None
        return role, role is not None

    def uses(self, role_ids: tuple[str, ...]) -> tuple[RoleUse, ...]:
        cached = self._uses.get(role_ids)
        if cached is None:
            cached = tuple(self._use(role_id) for role_id in dict.fromkeys(role_ids))
            self._uses[role_ids] = cached
        return cached

    def _use(self, role_id: str) -> RoleUse:
        role, by_suffix = self.resolve(role_id)
        if role is None:
            return RoleUse(role_id, None, frozenset())
        if role.kind == "custom" and role.service_name not in (None, "", self.service):
            return RoleUse(role_id, role, frozenset(), by_suffix)  # another service's role
        return RoleUse(role_id, role, role.actions & self.required, by_suffix)
