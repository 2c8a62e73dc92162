"""Who a subject is (P3, P5, V4): its own iam_id, its access groups, the Public Access group,
the dynamic rules that may admit a user, and the trusted profiles a user may apply.

Static members and memberships IBM reports as current (how="dynamic") are certain. For a user
who is not in a group with dynamic rules, each rule is a path that is uncertain (P3): IBM does
not say through which identity provider a user signs in. With --claims the rule is evaluated
(federation.admits): certain when it admits the user, gone when it does not. Service IDs and
trusted profiles never join through rules. A Public Access policy is certain only for Cloud
Object Storage, the one service IBM documents public access for (P3, rev 2).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final, Literal

from iamcheck.decide.federation import admits
from iamcheck.decide.tri import Tri
from iamcheck.decide.verdict import Via
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccountData,
    Claims,
    Gap,
    GroupRule,
    Policy,
    ProfileRule,
    TrustedProfile,
    User,
)

DIRECT: Final = "direct"
GROUP: Final = "group"
PUBLIC: Final = "public"
PROFILE: Final = "profile"
PUBLIC_SERVICE = "cloud-object-storage"  # the only service IBM documents public access for
SAML_RULE = "Profile-SAML"

# V4: states decided by policies, and states that cannot open a console whatever the policies say.
SIGNS_IN = frozenset({"ACTIVE", "DISABLED_CLASSIC_INFRASTRUCTURE"})
CANNOT_SIGN_IN = frozenset({"PENDING", "PROCESSING", "VPN_ONLY", "SUSPENDED", "INVALID"})


IdentityKind = Literal["user", "service_id", "profile", "unknown"]


@dataclass(frozen=True)
class Identity:
    iam_id: str
    kind: IdentityKind
    user: User | None = None
    profile: TrustedProfile | None = None

    @property
    def cannot_sign_in(self) -> bool:
        """V4: a user whose state keeps them out. Service IDs and profiles have no state."""
        return self.user is not None and self.user.state in CANNOT_SIGN_IN

    @property
    def state_unknown(self) -> bool:
        """V4: a state iamcheck does not know: never allow, never deny because of it."""
        return (self.user is not None and self.user.state not in SIGNS_IN
                and self.user.state not in CANNOT_SIGN_IN)

    def label(self) -> str:
        if self.user is not None:
            return f"user {self.user.email or self.iam_id}"
        if self.profile is not None:
            return f"trusted profile {self.profile.name or self.iam_id}"
        return "service ID " + self.iam_id if self.kind == "service_id" else self.iam_id


@dataclass(frozen=True)
class ProfileRoute:
    """P5: a trusted profile a user may apply through one of its claim rules."""

    profile: TrustedProfile
    rule: ProfileRule
    admits: Tri  # MAYBE without claims; YES/NO with them (MAYBE if they cannot settle it)
    claimed: bool = False  # the --claims file covers the user

    @property
    def via(self) -> Via:
        return Via(PROFILE, self.profile.iam_id, self.profile.name,
                   certain=self.admits is Tri.YES, dynamic_rule=self.rule.name,
                   rule_id=self.rule.id, realm=self.rule.realm_name,
                   expiration_hours=self.rule.expiration_hours, conditions=self.rule.conditions,
                   by_claims=self.claimed)


class Directory:
    """Indexes of the account's people, groups, profiles and access policies, built once."""

    def __init__(self, account: AccountData, service: str = "is",
                 claims: Claims | None = None) -> None:
        self.users = {u.iam_id: u for u in reversed(account.users)}
        self.service_ids = {s.iam_id: s for s in account.service_ids}
        self.profiles = {p.iam_id: p for p in reversed(account.profiles)}
        self.group_names = {g.id: g.name for g in account.groups}
        self.claims = claims
        self.public_certain = service == PUBLIC_SERVICE
        self._member_of: dict[str, set[str]] = defaultdict(set)
        for member in account.memberships:
            self._member_of[member.iam_id].add(member.group_id)
        self._rules: list[tuple[str, GroupRule]] = [
            (group.id, rule) for group in sorted(account.groups, key=lambda g: g.id)
            if group.id != PUBLIC_ACCESS_GROUP_ID
            for rule in sorted(group.rules, key=lambda r: (r.name, r.id))]
        self._saml: list[tuple[TrustedProfile, ProfileRule]] = [
            (profile, rule) for profile in sorted(self.profiles.values(), key=lambda p: p.iam_id)
            for rule in sorted(profile.rules, key=lambda r: (r.name, r.id))
            if rule.type in (SAML_RULE, "")]
        self._direct: dict[str, list[Policy]] = defaultdict(list)
        self._group: dict[str, list[Policy]] = defaultdict(list)
        for policy in account.policies:
            if policy.type != "access":
                continue  # authorization policies are service-to-service
            if (iam_id := policy.subject_value("iam_id")) is not None:
                self._direct[iam_id].append(policy)
            elif (group_id := policy.subject_value("access_group_id")) is not None:
                self._group[group_id].append(policy)
        self.gaps = account.gaps
        self._dynamic: dict[str, tuple[Via, ...]] = {}
        self._routes: dict[str, tuple[ProfileRoute, ...]] = {}

    def identity(self, iam_id: str) -> Identity:
        if iam_id in self.users:
            return Identity(iam_id, "user", self.users[iam_id])
        if iam_id in self.profiles:
            return Identity(iam_id, "profile", profile=self.profiles[iam_id])
        return Identity(iam_id, "service_id" if iam_id in self.service_ids else "unknown")

    def certain_groups(self, iam_id: str) -> tuple[str, ...]:
        """Groups the subject is in for sure (memberships IBM reports), Public Access excepted."""
        return tuple(sorted(self._member_of.get(iam_id, set()) - {PUBLIC_ACCESS_GROUP_ID}))

    def dynamic_vias(self, iam_id: str) -> tuple[Via, ...]:
        """P3: one path per dynamic rule of a group the user is not in now; certain when the
        claims admit the user, absent when they do not, uncertain otherwise. Users only."""
        found = self._dynamic.get(iam_id)
        if found is None:
            found = self._dynamic[iam_id] = self._dynamic_vias(iam_id)
        return found

    def _dynamic_vias(self, iam_id: str) -> tuple[Via, ...]:
        user = self.users.get(iam_id)
        if user is None:
            return ()
        claims = self.claims.for_user(user) if self.claims else None
        member = self._member_of.get(iam_id, set())
        out: list[Via] = []
        for group_id, rule in self._rules:
            if group_id in member:
                continue
            result = admits(rule.realm_name, rule.conditions, claims)
            if result is Tri.NO:
                continue
            out.append(Via(GROUP, group_id, self.group_names.get(group_id, ""),
                           certain=result is Tri.YES, dynamic_rule=rule.name, rule_id=rule.id,
                           realm=rule.realm_name, expiration_hours=rule.expiration_hours,
                           conditions=rule.conditions, by_claims=claims is not None))
        return tuple(out)

    def uncertain_groups(self, iam_id: str) -> dict[str, str]:
        """Group id -> rule name, for groups a dynamic rule may (or, by claims, does) admit."""
        out: dict[str, str] = {}
        for via in self.dynamic_vias(iam_id):
            out.setdefault(via.group_id, via.dynamic_rule)
        return out

    def profile_routes(self, iam_id: str) -> tuple[ProfileRoute, ...]:
        """P5: the profiles a user may apply through a claim rule (not those claims exclude)."""
        found = self._routes.get(iam_id)
        if found is None:
            found = self._routes[iam_id] = self._profile_routes(iam_id)
        return found

    def _profile_routes(self, iam_id: str) -> tuple[ProfileRoute, ...]:
        user = self.users.get(iam_id)
        if user is None:
            return ()
        claims = self.claims.for_user(user) if self.claims else None
        out: list[ProfileRoute] = []
        for profile, rule in self._saml:
            result = admits(rule.realm_name, rule.conditions, claims)
            if result is not Tri.NO:
                out.append(ProfileRoute(profile, rule, result, claims is not None))
        return tuple(out)

    def group_via(self, group_id: str, rule: str = "") -> Via:
        name = self.group_names.get(group_id, "")
        if group_id == PUBLIC_ACCESS_GROUP_ID:
            return Via(PUBLIC, group_id, name or "Public Access", certain=self.public_certain)
        return Via(GROUP, group_id, name, certain=not rule, dynamic_rule=rule)

    def vias(self, iam_id: str) -> tuple[Via, ...]:
        """Every way a policy can reach the subject: direct, groups, public, rule paths."""
        out = [Via(DIRECT)]
        out += [self.group_via(gid) for gid in self.certain_groups(iam_id)]
        out.append(self.group_via(PUBLIC_ACCESS_GROUP_ID))
        out += self.dynamic_vias(iam_id)
        return tuple(out)

    def policies(self, via: Via, iam_id: str) -> list[Policy]:
        if via.kind == DIRECT:
            return self._direct.get(iam_id, [])
        return self._group.get(via.group_id, [])

    def direct_policies(self, iam_id: str) -> list[Policy]:
        return self._direct.get(iam_id, [])

    def group_policies(self, group_id: str) -> list[Policy]:
        return self._group.get(group_id, [])

    def subject_gaps(self, iam_id: str) -> tuple[Gap, ...]:
        """Gaps whose subject side touches the subject, itself or one of its groups (V5)."""
        touched: list[Gap] = []
        for gap in self.gaps:
            if gap.touches_subject((iam_id,)):
                touched.append(gap)
                continue
            groups = {*self.certain_groups(iam_id), *self.uncertain_groups(iam_id),
                      PUBLIC_ACCESS_GROUP_ID}
            if gap.touches_subject(groups):
                touched.append(gap)
        return tuple(touched)


def gap_touches_instance(gap: Gap, instance_id: str) -> bool:
    return gap.touches_instance(instance_id)


def all_subjects(account: AccountData) -> tuple[str, ...]:
    """Every user, service ID and trusted profile, in account order, once each."""
    return tuple(dict.fromkeys([u.iam_id for u in account.users]
                               + [s.iam_id for s in account.service_ids]
                               + [p.iam_id for p in account.profiles]))
