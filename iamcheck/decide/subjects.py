"""Who a subject is (P3): its own iam_id, its access groups, the Public Access group.

Static members and memberships IBM reports as current (how="dynamic") are certain. A group the
user could join only through a dynamic rule naming the user's realm is uncertain: iamcheck cannot
see the identity provider's claims. The Public Access group counts for everyone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from iamcheck.decide.verdict import Via
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Gap, Policy, User

DIRECT, GROUP, PUBLIC = "direct", "group", "public"


@dataclass(frozen=True)
class Identity:
    iam_id: str
    kind: str  # "user" | "service_id" | "unknown"
    user: User | None = None

    @property
    def cannot_sign_in(self) -> bool:
        """V4: a user whose state is not ACTIVE. Service IDs have no state."""
        return self.user is not None and self.user.state != "ACTIVE"

    def label(self) -> str:
        if self.user is not None:
            return f"user {self.user.email or self.iam_id}"
        return "service ID " + self.iam_id if self.kind == "service_id" else self.iam_id


class Directory:
    """Indexes of the account's people, groups and access policies, built once."""

    def __init__(self, account: AccountData) -> None:
        self.users = {u.iam_id: u for u in reversed(account.users)}
        self.service_ids = {s.iam_id: s for s in account.service_ids}
        self.group_names = {g.id: g.name for g in account.groups}
        self._member_of: dict[str, set[str]] = defaultdict(set)
        for member in account.memberships:
            self._member_of[member.iam_id].add(member.group_id)
        self._by_realm: dict[str, dict[str, str]] = defaultdict(dict)
        for group in sorted(account.groups, key=lambda g: g.id):
            for rule in sorted(group.rules, key=lambda r: (r.name, r.id)):
                self._by_realm[rule.realm_name].setdefault(group.id, rule.name)
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

    def identity(self, iam_id: str) -> Identity:
        if iam_id in self.users:
            return Identity(iam_id, "user", self.users[iam_id])
        return Identity(iam_id, "service_id" if iam_id in self.service_ids else "unknown")

    def certain_groups(self, iam_id: str) -> tuple[str, ...]:
        """Groups the subject is in for sure, the Public Access group excepted."""
        return tuple(sorted(self._member_of.get(iam_id, set()) - {PUBLIC_ACCESS_GROUP_ID}))

    def uncertain_groups(self, iam_id: str) -> dict[str, str]:
        """Group id -> dynamic rule name, for groups a rule on the user's realm could admit."""
        user = self.users.get(iam_id)
        if user is None or not user.realm:
            return {}
        member = self._member_of.get(iam_id, set())
        return {gid: rule for gid, rule in self._by_realm.get(user.realm, {}).items()
                if gid not in member and gid != PUBLIC_ACCESS_GROUP_ID}

    def group_via(self, group_id: str, rule: str = "") -> Via:
        name = self.group_names.get(group_id, "")
        if group_id == PUBLIC_ACCESS_GROUP_ID:
            return Via(PUBLIC, group_id, name or "Public Access")
        return Via(GROUP, group_id, name, certain=not rule, dynamic_rule=rule)

    def vias(self, iam_id: str) -> tuple[Via, ...]:
        """Every way a policy can reach the subject: direct, groups, public, possible groups."""
        out = [Via(DIRECT)]
        out += [self.group_via(gid) for gid in self.certain_groups(iam_id)]
        out.append(self.group_via(PUBLIC_ACCESS_GROUP_ID))
        out += [self.group_via(gid, rule) for gid, rule in self.uncertain_groups(iam_id).items()]
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
    """Every user and service ID, in account order, once each."""
    return tuple(dict.fromkeys([u.iam_id for u in account.users]
                               + [s.iam_id for s in account.service_ids]))
