"""Every policy that reaches a subject, read against one instance: what a decision weighs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from iamcheck.decide.context import Context
from iamcheck.decide.federation import describe as describe_rule
from iamcheck.decide.matching import OTHER, SERVICE, ResourceMatch
from iamcheck.decide.roles import RoleUse
from iamcheck.decide.tri import Tri
from iamcheck.decide.verdict import Grant, UncertainKind, UncertainPath, Via
from iamcheck.model import Instance, Policy


@dataclass(frozen=True)
class Seen:
    """One policy through one path, against one instance."""

    policy: Policy
    via: Via
    match: ResourceMatch
    rule: Tri
    uses: tuple[RoleUse, ...]

    @property
    def active(self) -> bool:
        return self.policy.state == "active"  # P2

    def usable(self, action: str) -> tuple[RoleUse, ...]:
        """Roles that carry `action` and may sit on this policy's scope (S2)."""
        return tuple(u for u in self.uses if action in u.actions
                     and (self.match.scope == SERVICE or u.platform))

    def maybe_usable(self, action: str) -> tuple[RoleUse, ...]:
        """Roles that may carry `action` (R2: nothing read expands them) on this scope."""
        return tuple(u for u in self.uses if action in u.maybe
                     and (self.match.scope == SERVICE or u.platform))

    def blocked(self, action: str) -> tuple[RoleUse, ...]:
        """Roles that carry `action` but cannot act on an all-services scope (S2)."""
        return tuple(u for u in self.uses if action in u.actions and u not in self.usable(action))

    @property
    def certain(self) -> bool:
        return (self.active and self.via.certain and self.match.status is Tri.YES
                and self.rule is Tri.YES)

    @property
    def possible(self) -> bool:
        """Nothing rules it out, though something may be in doubt."""
        return self.active and self.match.status is not Tri.NO and self.rule is not Tri.NO


def survey(ctx: Context, subject: str, instance: Instance,
           keep: Callable[[Policy], bool] | None = None) -> Iterator[Seen]:
    """Every policy that reaches the subject, read against the instance (only those `keep`
    accepts, when given)."""
    directory = ctx.directory
    for via in directory.vias(subject):
        for policy in directory.policies(via, subject):
            if keep is not None and not keep(policy):
                continue
            item = seen(ctx, policy, via, instance)
            if item is not None:
                yield item


def seen(ctx: Context, policy: Policy, via: Via, instance: Instance) -> Seen | None:
    """One policy reaching the subject by `via`, read against the instance; None for another
    service's policy, which says nothing about this requirement."""
    scope = ctx.scope(policy)
    if scope.scope == OTHER:
        return None
    return Seen(policy, via, scope.match(instance), ctx.rule(policy), ctx.uses(policy))


def grants_of(seen: Seen, actions: tuple[str, ...]) -> list[Grant]:
    if not seen.certain:
        return []
    return [Grant(action, seen.policy.id, seen.via, use.role_id, use.name)
            for action in actions for use in seen.usable(action)]


def uncertain_of(ctx: Context, seen: Seen, wanted: tuple[str, ...]) -> UncertainPath | None:
    """An uncertain path (V2) that could supply some of `wanted`, or None."""
    if not seen.possible:
        return None
    unexpanded = tuple(a for a in wanted if not seen.usable(a) and seen.maybe_usable(a))
    if seen.certain:
        could = unexpanded  # only roles nothing read expands stand in the way (R2)
    else:
        could = tuple(a for a in wanted if seen.usable(a) or seen.maybe_usable(a))
    if not could:
        return None
    policy, via, match = seen.policy, seen.via, seen.match
    roles = names(seen.usable(could[0]) or seen.maybe_usable(could[0]) if len(could) == 1
                  else seen.uses)
    service_doubts = [d.detail for d in match.doubts if d.rule == "S2"]
    other_doubts = [d.detail for d in match.doubts if d.rule != "S2"]
    if not via.certain and via.kind == "public":
        return UncertainPath(
            UncertainKind.PUBLIC_ACCESS, could, "P3",
            f"policy {policy.id} gives {roles} to the Public Access group; IBM documents "
            f"public access only for Cloud Object Storage, so whether IAM honours it for "
            f"'{ctx.requirement.service}' is not known (if it does, everyone has it)",
            policy.id, via)
    if not via.certain:
        return UncertainPath(
            UncertainKind.DYNAMIC_GROUP, could, "P3",
            f"policy {policy.id} gives {roles} to group {via.group_name or via.group_id}, which "
            f"the user joins only if dynamic rule {rule_text(via)} admits them at a federated "
            f"login; " + ("the claims given cannot settle it" if via.by_claims
                          else "iamcheck is not given the user's claims (--claims)"),
            policy.id, via)
    if service_doubts:
        return UncertainPath(
            UncertainKind.SERVICE_NAME, could, "S2",
            f"policy {policy.id} gives {roles} {via.describe()}, but {service_doubts[0]}; "
            f"whether that reaches the instance is not documented", policy.id, via)
    if other_doubts:
        return UncertainPath(
            UncertainKind.ATTRIBUTE, could, "S8",
            f"policy {policy.id} gives {roles} {via.describe()}, but "
            + "; ".join(other_doubts), policy.id, via)
    if seen.rule is not Tri.YES:
        state = ctx.rule_state(policy)
        return UncertainPath(
            UncertainKind.RULE, could, "P4",
            f"policy {policy.id} gives {roles} {via.describe()}, but "
            + (state.detail if state else "its rule cannot be evaluated"), policy.id, via)
    unexpanded_roles = names(tuple(u for u in seen.uses if u.maybe))
    return UncertainPath(
        UncertainKind.ROLE, could, "R2",
        f"policy {policy.id} gives {unexpanded_roles} {via.describe()}, but no role catalogue "
        f"read (nor the policy's own display roles) says which actions "
        f"{'it carries' if ' + ' not in unexpanded_roles else 'they carry'}", policy.id, via)


def rule_text(via: Via) -> str:
    """A rule path in words: name, id, realm, expiration, conditions (P3, P5)."""
    ident = f" ({via.rule_id})" if via.rule_id else ""
    hours = f", membership for {via.expiration_hours} h after login" \
        if via.expiration_hours else ""
    return (f"'{via.dynamic_rule}'{ident}: anyone who "
            f"{describe_rule(via.realm, via.conditions)}{hours}")


def names(uses: tuple[RoleUse, ...]) -> str:
    shown = [u.name for u in uses]
    return " + ".join(shown) if shown else "no role"


def scope_text(policy: Policy) -> str:
    """The policy's resource in a short readable form (accountId left out)."""
    parts = []
    for attr in policy.resource:
        if attr.key == "accountId":
            continue
        value = "|".join(attr.value) if isinstance(attr.value, tuple) else str(attr.value)
        sep = "=" if attr.operator == "stringEquals" else f" {attr.operator} "
        parts.append(f"{attr.key}{sep}{value}")
    parts += [f"tag {t.key}:{t.value}" for t in policy.tags]
    return ", ".join(parts) or "all resources"
