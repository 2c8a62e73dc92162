"""What the whole-account evaluation answers: cheap questions over per-subject bitsets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from iamcheck.decide.bitsets import Bits, InstanceIndex, members
from iamcheck.decide.context import Context
from iamcheck.decide.decide import decide_in, sorted_grants
from iamcheck.decide.federation import describe as describe_rule
from iamcheck.decide.survey import grants_of, seen, survey
from iamcheck.decide.verdict import Decision, Grant, Verdict, Via
from iamcheck.model import Policy, RuleClaim

# per required action: (instances a policy surely supplies it on, those it may)
Supply = tuple[tuple[Bits, Bits], ...]


@dataclass(frozen=True)
class Profile:
    """One subject's access over the evaluated instances (shared by look-alike subjects)."""

    allow: Bits
    unknown: Bits
    held: tuple[Bits, ...]  # per required action: where the subject surely holds it
    signed_out: bool  # V4


ExposureKind = Literal["dynamic_group", "profile"]
ScopeKind = Literal["all", "resource_group", "region", "access_tag", "instances"]


@dataclass(frozen=True)
class RuleExposure:
    """P3/P5: a dynamic rule of a group, or a claim rule of a trusted profile, and what
    entering it gives (by that group or profile alone)."""

    kind: ExposureKind
    holder_id: str  # the access group id, or the profile's iam_id
    holder_name: str
    rule_id: str
    rule_name: str
    realm: str
    conditions: tuple[RuleClaim, ...]
    expiration_hours: int
    gives: tuple[str, ...]  # instance ids it surely gives console access on
    may_give: tuple[str, ...]  # instance ids it may give it on (uncertain scope, rule, ...)
    admitted: tuple[str, ...]  # users the --claims file shows it admits (and not in it yet)
    undecided: tuple[str, ...]  # users who may enter it: not in it now, claims do not settle it

    def who(self) -> str:
        return "anyone who " + describe_rule(self.realm, self.conditions)


@dataclass(frozen=True)
class LinkHolder:
    """P5: a compute resource linked to a trusted profile: a holder of kind "profile link"."""

    profile_iam_id: str
    profile_name: str
    cr_type: str  # VSI | IKS_SA | ROKS_SA | CE
    crn: str
    link_name: str = ""
    namespace: str = ""
    resource_name: str = ""
    verdict: Verdict = Verdict.ALLOW
    kind: str = "profile link"

    def describe(self) -> str:
        where = "/".join(p for p in (self.namespace, self.resource_name) if p)
        return (f"{self.cr_type} {self.crn}{' ' + where if where else ''} (linked to trusted "
                f"profile {self.profile_name or self.profile_iam_id})")


@dataclass(frozen=True)
class Scope:
    """A readable piece of "the instances a subject can open"."""

    kind: ScopeKind
    value: str  # resource group id, region, tag, or "" for all/instances
    label: str  # e.g. "all instances in resource group prod (rg-...)"
    instance_ids: tuple[str, ...]


def _merged(grants: list[Grant]) -> tuple[Grant, ...]:
    """Each grant once (the same action, policy, path and role), sorted as decisions list them."""
    found: dict[tuple[object, ...], Grant] = {}
    for grant in grants:
        found.setdefault((grant.action, grant.policy_id, grant.via, grant.role_crn), grant)
    return tuple(sorted_grants(list(found.values())))


def _lowest(bits: Bits) -> int:
    """The position of the lowest bit set."""
    return (bits & -bits).bit_length() - 1


class AccountResult:
    def __init__(self, ctx: Context, index: InstanceIndex, subjects: tuple[str, ...],
                 profiles: dict[str, Profile],
                 supply: Callable[[Policy], Supply] | None = None) -> None:
        self._ctx = ctx
        self._index = index
        self.subjects = subjects
        self.instances = index.instances
        self.requirement = ctx.requirement
        self.at = ctx.at
        self._profiles = profiles
        self._supply = supply
        self._cover: dict[int, Bits] = {}  # by id(policy): the policies live as long as we do
        self._summaries: dict[Bits, tuple[Scope, ...]] = {}  # shared by look-alike subjects
        self._ids: dict[Bits, tuple[str, ...]] = {}
        self._bits: dict[tuple[str, ...], Bits] = {}  # a scope's instances, as a bitset
        self._policy_grants: dict[tuple[int, Via], tuple[Grant, ...]] = {}  # by id(policy)
        # the trusted profiles among the subjects (P5), whose links hold what they hold
        self._linked = [s for s in subjects if s in ctx.directory.profiles]

    def _bit(self, instance_id: str) -> int:
        position = self._index.position.get(instance_id)
        if position is None:
            raise KeyError(f"instance '{instance_id}' was not evaluated")
        return 1 << position

    def _profile(self, subject: str) -> Profile:
        try:
            return self._profiles[subject]
        except KeyError:
            raise KeyError(f"subject '{subject}' was not evaluated") from None

    def verdict(self, subject: str, instance_id: str) -> Verdict:
        profile, bit = self._profile(subject), self._bit(instance_id)
        if profile.allow & bit:
            return Verdict.ALLOW
        return Verdict.UNKNOWN if profile.unknown & bit else Verdict.DENY

    def decision(self, subject: str, instance_id: str) -> Decision:
        """The full decision with its explanation, as decide() gives it."""
        position = self._bit(instance_id).bit_length() - 1
        return decide_in(self._ctx, subject, self.instances[position])

    def grants(self, subject: str, instance_id: str) -> tuple[Grant, ...]:
        """decision(subject, instance_id).grants alone: only the policies whose bitsets
        cover the instance are read against it."""
        bit = self._bit(instance_id)
        instance = self.instances[bit.bit_length() - 1]
        keep = None if self._supply is None else (
            lambda policy: bool(self._covers(policy) & bit))
        actions = self.requirement.actions
        found = [g for item in survey(self._ctx, subject, instance, keep)
                 for g in grants_of(item, actions)]
        if (self._ctx.directory.profile_routes(subject) and self._profiles[subject].allow & bit
                and {g.action for g in found} != set(actions)):
            return self.decision(subject, instance_id).grants  # allowed through a profile (P5)
        return tuple(sorted_grants(found))

    def scope_grants(self, subject: str, scope: Scope) -> tuple[Grant, ...]:
        """Every grant that supplies a required action on some instance of `scope`: the
        attribution of a scope names each policy covering part of it, not only those that
        cover its first instance. Each policy is read at one instance it covers in the scope
        (what it grants does not depend on which)."""
        directory = self._ctx.directory
        if self._supply is None or directory.profile_routes(subject):
            return self._grants_at(subject, self._representatives(subject, scope))
        bits = self._scope_bits(scope)
        actions = self.requirement.actions
        found: list[Grant] = []
        for via in directory.vias(subject):
            for policy in directory.policies(via, subject):
                cover = self._covers(policy) & bits
                if not cover:
                    continue
                key = (id(policy), via)
                grants = self._policy_grants.get(key)
                if grants is None:  # the same wherever the policy surely supplies an action
                    item = seen(self._ctx, policy, via, self.instances[_lowest(cover)])
                    grants = self._policy_grants[key] = tuple(
                        grants_of(item, actions) if item is not None else ())
                found += grants
        return _merged(found)

    def _grants_at(self, subject: str, instance_ids: list[str]) -> tuple[Grant, ...]:
        return _merged([g for i in instance_ids for g in self.grants(subject, i)])

    def _scope_bits(self, scope: Scope) -> Bits:
        found = self._bits.get(scope.instance_ids)
        if found is None:
            found = self._bits[scope.instance_ids] = self._index.bits_of(set(scope.instance_ids))
        return found

    def _representatives(self, subject: str, scope: Scope) -> list[str]:
        """Few instances of the scope that together meet every policy covering part of it."""
        if self._supply is None:
            return list(scope.instance_ids)
        bits = self._scope_bits(scope)
        out: list[str] = []
        seen_bits = 0
        for policy in self._reaching(subject):
            cover = self._covers(policy) & bits
            if cover and not cover & seen_bits:  # no chosen instance meets this policy yet
                position = next(members(cover))
                out.append(self.instances[position].id)
                seen_bits |= 1 << position
        return out or list(scope.instance_ids[:1])

    def _reaching(self, subject: str) -> list[Policy]:
        """The policies that may reach the subject (own, groups, public, rule paths, and the
        trusted profiles it may apply)."""
        directory = self._ctx.directory
        out: list[Policy] = []
        for via in directory.vias(subject):
            out += directory.policies(via, subject)
        for route in directory.profile_routes(subject):
            for via in directory.vias(route.profile.iam_id):
                out += directory.policies(via, route.profile.iam_id)
        return out

    def link_holders(self, instance_id: str) -> tuple[LinkHolder, ...]:
        """P5: the compute resources linked to a trusted profile that can (allow) or may
        (unknown) open the instance; they act as the profile."""
        bit = self._bit(instance_id)
        out: list[LinkHolder] = []
        for subject in self._linked:
            profile = self._ctx.directory.profiles[subject]
            bits = self._profiles[subject]
            verdict = Verdict.ALLOW if bits.allow & bit else (
                Verdict.UNKNOWN if bits.unknown & bit else None)
            if verdict is not None:
                out += [LinkHolder(profile.iam_id, profile.name, link.cr_type, link.crn,
                                   link.name, link.namespace, link.resource_name, verdict)
                        for link in profile.links]
        return tuple(out)

    def rule_exposures(self) -> tuple[RuleExposure, ...]:
        """P3/P5: one entry per (group, dynamic rule) and (profile, claim rule), with the
        instances entering it gives console access on, and who may enter: the compact form of
        the many uncertain pairs these rules make."""
        directory, actions = self._ctx.directory, self.requirement.actions
        out: list[RuleExposure] = []
        for group in sorted(self._ctx.account.groups, key=lambda g: g.id):
            if not group.rules or self._supply is None:
                continue
            sure = possible = self._index.all
            for i in range(len(actions)):
                yes = maybe = 0
                for policy in directory.group_policies(group.id):
                    got_yes, got_maybe = self._supply(policy)[i]
                    yes, maybe = yes | got_yes, maybe | got_maybe
                sure, possible = sure & yes, possible & maybe
            for rule in group.rules:
                out.append(self._exposure("dynamic_group", group.id, group.name, rule.id,
                                          rule.name, rule.realm_name, rule.conditions,
                                          rule.expiration_hours, sure, possible & ~sure))
        for profile in sorted(directory.profiles.values(), key=lambda p: p.iam_id):
            bits = self._profiles.get(profile.iam_id)
            if bits is None:
                continue
            for prule in profile.rules:
                if prule.type not in ("Profile-SAML", ""):
                    continue
                out.append(self._exposure("profile", profile.iam_id, profile.name, prule.id,
                                          prule.name, prule.realm_name, prule.conditions,
                                          prule.expiration_hours, bits.allow, bits.unknown))
        return tuple(e for e in out if e.gives or e.may_give)

    def _exposure(self, kind: ExposureKind, holder: str, name: str, rule_id: str,
                  rule_name: str, realm: str, conditions: tuple[RuleClaim, ...], hours: int,
                  gives: Bits, may: Bits) -> RuleExposure:
        directory = self._ctx.directory
        admitted: list[str] = []
        undecided: list[str] = []
        for subject in self.subjects:
            if kind == "profile":
                found = [r.via.certain for r in directory.profile_routes(subject)
                         if r.profile.iam_id == holder and r.rule.id == rule_id]
            else:
                found = [v.certain for v in directory.dynamic_vias(subject)
                         if v.group_id == holder and v.rule_id == rule_id]
            if found:
                (admitted if found[0] else undecided).append(subject)
        return RuleExposure(kind, holder, name, rule_id, rule_name, realm, conditions, hours,
                            self._index.ids(gives), self._index.ids(may), tuple(admitted),
                            tuple(undecided))

    def decided_with_claims(self, subject: str) -> bool:
        """Whether the --claims file covers the subject (a user it names, or "*")."""
        claims = self._ctx.claims
        user = self._ctx.directory.users.get(subject)
        return claims is not None and user is not None and claims.for_user(user) is not None

    def _covers(self, policy: Policy) -> Bits:
        """Where the policy surely supplies some required action."""
        found = self._cover.get(id(policy))
        if found is None and self._supply is not None:
            found = 0
            for yes, _ in self._supply(policy):
                found |= yes
            self._cover[id(policy)] = found
        return found or 0

    def allowed(self, subject: str) -> tuple[str, ...]:
        """Ids of the instances the subject can open."""
        return self._index.ids(self._profile(subject).allow)

    def unknown(self, subject: str) -> tuple[str, ...]:
        return self._index.ids(self._profile(subject).unknown)

    def holders(self, instance_id: str) -> tuple[str, ...]:
        """Subjects that can open the instance."""
        bit = self._bit(instance_id)
        return tuple(s for s in self.subjects if self._profiles[s].allow & bit)

    def maybe_holders(self, instance_id: str) -> tuple[str, ...]:
        """Subjects whose access to the instance is unknown (V2, V5)."""
        bit = self._bit(instance_id)
        return tuple(s for s in self.subjects if self._profiles[s].unknown & bit)

    def one_action_short(self, instance_id: str) -> tuple[tuple[str, str], ...]:
        """(subject, the one action it lacks) for subjects that hold all but one action."""
        bit = self._bit(instance_id)
        actions = self.requirement.actions
        out = []
        for subject in self.subjects:
            profile = self._profiles[subject]
            if profile.signed_out or profile.allow & bit:
                continue
            lacking = [a for a, held in zip(actions, profile.held, strict=True) if not held & bit]
            if len(lacking) == 1:
                out.append((subject, lacking[0]))
        return tuple(out)

    def short_of(self, subject: str) -> dict[str, tuple[str, ...]]:
        """For each action: instances where the subject holds every other action but this one."""
        return {a: self._index.ids(bits) for a, bits in self._short_bits(subject).items()}

    def _short_bits(self, subject: str) -> dict[str, Bits]:
        profile = self._profile(subject)
        if profile.signed_out:
            return {}
        out: dict[str, Bits] = {}
        for i, action in enumerate(self.requirement.actions):
            others = self._index.all
            for j, held in enumerate(profile.held):
                if j != i:
                    others &= held
            bits = others & ~profile.held[i]
            if bits:
                out[action] = bits
        return out

    def counts(self) -> Counter[Verdict]:
        """How many pairs get each verdict."""
        total = len(self.instances)
        out: Counter[Verdict] = Counter()
        for subject in self.subjects:
            profile = self._profiles[subject]
            allow, unknown = profile.allow.bit_count(), profile.unknown.bit_count()
            out[Verdict.ALLOW] += allow
            out[Verdict.UNKNOWN] += unknown
            out[Verdict.DENY] += total - allow - unknown
        return out

    def pairs(self, verdict: Verdict = Verdict.ALLOW) -> Iterator[tuple[str, str]]:
        """Every (subject, instance id) pair with `verdict`."""
        for subject in self.subjects:
            profile = self._profiles[subject]
            if verdict is Verdict.ALLOW:
                bits = profile.allow
            elif verdict is Verdict.UNKNOWN:
                bits = profile.unknown
            else:
                bits = self._index.all & ~profile.allow & ~profile.unknown
            for position in members(bits):
                yield subject, self.instances[position].id

    def scopes(self, subject: str) -> tuple[Scope, ...]:
        """The instances the subject can open, summarised: all, whole resource groups,
        whole regions, whole access tags, then single instances."""
        return self._summary(self._profile(subject).allow)

    def unknown_scopes(self, subject: str) -> tuple[Scope, ...]:
        """unknown(), summarised like scopes()."""
        return self._summary(self._profile(subject).unknown)

    def short_scopes(self, subject: str) -> dict[str, tuple[Scope, ...]]:
        """short_of(), each action's instances summarised like scopes()."""
        return {a: self._summary(bits) for a, bits in self._short_bits(subject).items()}

    def allowed_count(self, subject: str) -> int:
        return self._profile(subject).allow.bit_count()

    def look_alike(self, subject: str) -> int:
        """Equal for subjects with the same own policies, groups, state and gaps: they share
        every verdict and every grant, so what is computed for one holds for the others."""
        return id(self._profile(subject))

    def _summary(self, bits: Bits) -> tuple[Scope, ...]:
        found = self._summaries.get(bits)
        if found is None:
            found = self._summaries[bits] = summarise(self._index, self._ctx, bits,
                                                      self._part_ids)
        return found

    def _part_ids(self, bits: Bits) -> tuple[str, ...]:
        # the same whole resource groups, regions and tags recur in many summaries
        found = self._ids.get(bits)
        if found is None:
            found = self._ids[bits] = self._index.ids(bits)
        return found


def summarise(index: InstanceIndex, ctx: Context, bits: Bits,
              part_ids: Callable[[Bits], tuple[str, ...]] | None = None) -> tuple[Scope, ...]:
    if not bits:
        return ()
    ids = part_ids or index.ids
    if bits == index.all:
        return (Scope("all", "", "all instances", ids(bits)),)
    names = {rg.id: rg.name for rg in ctx.account.resource_groups}
    out: list[Scope] = []
    left = bits
    families: tuple[tuple[ScopeKind, Any, str], ...] = (
        ("resource_group", index.by_value["resource_group_id"], "resource group"),
                ("region", index.by_value["region"], "region"),
                ("access_tag", index.by_tag, "access tag"))
    for kind, table, word in families:
        for value in sorted(table):
            part = table[value]
            if part and part & bits == part and part & left:
                shown = f"{names[value]} ({value})" if value in names else value
                out.append(Scope(kind, value, f"all instances with {word} {shown}"
                                 if kind == "access_tag" else f"all instances in {word} {shown}",
                                 ids(part)))
                left &= ~part
    if left:
        out.append(Scope("instances", "", "these instances", index.ids(left)))
    return tuple(out)
