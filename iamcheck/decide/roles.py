"""Roles are bundles of actions (R2): expand a policy's role ids to the required actions.

A role id resolves by its exact CRN among the roles read from /v2/roles; failing that, a service
role resolves by the end of its CRN, `serviceRole:<Name>`, whatever the service segment (R4:
`iam::::serviceRole:VirtualServerConsoleAdmin` and `is::::serviceRole:VirtualServerConsoleAdmin`
are the same Console Administrator).

R2 (rev 2): IBM may list the VPC roles without their actions under `service_name=is`. So, per
required action, the catalogue that expands it is the service's own answer when some role there
carries it, else the child catalogues read as a fallback (`is.instance`, Role.catalogue) that do.
A role that no such catalogue lists is expanded from the policy's own enriched roles
(format=display, Policy.display_roles); failing that it *may* carry the action (`maybe`), which
makes the policy an uncertain path, never a silent deny.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from iamcheck.model import Policy, Role
from iamcheck.requirement import Requirement


@dataclass(frozen=True)
class RoleUse:
    """One role of a policy, as far as the requirement is concerned."""

    role_id: str  # as the policy writes it
    role: Role | None  # None: no catalogue (nor the policy's display roles) lists it
    actions: frozenset[str]  # the required actions it surely carries
    by_suffix: bool = False  # resolved through R4, not by its exact CRN
    maybe: frozenset[str] = frozenset()  # required actions nothing read can confirm or deny
    from_display: bool = False  # expanded from the policy's format=display roles

    @property
    def name(self) -> str:
        return self.role.display_name if self.role else self.role_id

    @property
    def platform(self) -> bool:
        """A platform (system) role: the only kind an all-services policy can carry (S2)."""
        if self.role is not None:
            return self.role.kind == "system"
        return ":role:" in self.role_id  # an unexpanded role whose CRN says it is a platform role


def _suffix(crn: str) -> tuple[str, ...]:
    parts = crn.split(":")
    return tuple(parts[-2:]) if len(parts) >= 2 and parts[-2] == "serviceRole" else ()


def _segment(crn: str) -> str:
    parts = crn.split(":")
    return parts[4] if len(parts) > 4 else ""


class _Catalogue:
    """The roles of one /v2/roles answer, by CRN and by R4 suffix."""

    def __init__(self, roles: Iterable[Role], service: str) -> None:
        self.by_crn: dict[str, Role] = {}
        self.by_suffix: dict[tuple[str, ...], Role] = {}
        for role in roles:
            self.by_crn.setdefault(role.crn, role)
            key = _suffix(role.crn)
            if role.kind == "service" and key:
                known = self.by_suffix.get(key)
                # Prefer the CRN in the requirement's own service segment when both exist.
                if known is None or (_segment(known.crn) != service
                                     and _segment(role.crn) == service):
                    self.by_suffix[key] = role

    def resolve(self, role_id: str) -> tuple[Role | None, bool]:
        role = self.by_crn.get(role_id)
        if role is not None:
            return role, False
        key = _suffix(role_id)
        role = self.by_suffix.get(key) if key else None
        return role, role is not None

    def carries(self, action: str) -> bool:
        """Whether one of IBM's own roles here carries the action: an account's custom roles
        always list their actions, so they say nothing about how the catalogue lists IBM's."""
        return any(action in role.actions for role in self.by_crn.values()
                   if role.kind != "custom")


class RoleBook:
    def __init__(self, roles: Iterable[Role], requirement: Requirement) -> None:
        self.service = requirement.service
        self.required = frozenset(requirement.actions)
        grouped: dict[str, list[Role]] = defaultdict(list)
        for role in roles:
            grouped[role.catalogue or self.service].append(role)
        own = _Catalogue(grouped.pop(self.service, []), self.service)
        children = [_Catalogue(grouped[name], self.service) for name in sorted(grouped)]
        self._all = [own, *children]
        # R2: per required action, the catalogues trusted to expand it
        self._sources: dict[str, list[_Catalogue]] = {}
        for action in requirement.actions:
            if own.carries(action):
                self._sources[action] = [own]
            else:
                self._sources[action] = [c for c in children if c.carries(action)]
        self._uses: dict[tuple[object, ...], tuple[RoleUse, ...]] = {}

    def unexpanded_actions(self) -> tuple[str, ...]:
        """Required actions no catalogue read carries. For the reader: when the service's own
        answer leaves some, read the child catalogue (`is.instance`) too (R2)."""
        return tuple(a for a in sorted(self.required) if not self._sources[a])

    def needs_display(self, policy: Policy) -> bool:
        """Whether some role of the policy is expanded by no catalogue read, so that the
        reader should read the policy with format=display (R2)."""
        return any(use.maybe for use in self.uses(policy.role_ids))

    def resolve(self, role_id: str) -> tuple[Role | None, bool]:
        """The role a role id names (own catalogue first), and whether it took R4 to find it."""
        for catalogue in self._all:
            role, by_suffix = catalogue.resolve(role_id)
            if role is not None:
                return role, by_suffix
        return None, False

    def uses(self, role_ids: tuple[str, ...],
             display: tuple[Role, ...] = ()) -> tuple[RoleUse, ...]:
        key = (role_ids, display)
        cached = self._uses.get(key)
        if cached is None:
            shown = {role.crn: role for role in display}
            cached = tuple(self._use(role_id, shown) for role_id in dict.fromkeys(role_ids))
            self._uses[key] = cached
        return cached

    def of(self, policy: Policy) -> tuple[RoleUse, ...]:
        """The roles of a policy, expanded with its own display roles where needed."""
        return self.uses(policy.role_ids, policy.display_roles)

    def _use(self, role_id: str, shown: dict[str, Role]) -> RoleUse:
        role, by_suffix = self.resolve(role_id)
        if role is not None and role.kind == "custom" and role.service_name not in (
                None, "", self.service):
            return RoleUse(role_id, role, frozenset(), by_suffix)  # another service's role
        if role is not None and role.kind == "custom":  # the account's own list of actions
            return RoleUse(role_id, role, self.required & role.actions, by_suffix)
        display = shown.get(role_id)
        carried: set[str] = set()
        maybe: set[str] = set()
        used_display = False
        for action in self.required:
            known = None
            for catalogue in self._sources[action]:
                found, _ = catalogue.resolve(role_id)
                if found is not None:
                    known = action in found.actions
                    break
            if known is None and display is not None:
                known, used_display = action in display.actions, True
            if known is None:
                maybe.add(action)
            elif known:
                carried.add(action)
        if role is None and display is not None:
            role = display
        return RoleUse(role_id, role, frozenset(carried), by_suffix, frozenset(maybe),
                       used_display)
