"""What iamcheck reads from IBM Cloud, as plain frozen values.

The IBM modules (iamcheck/ibm/) build these from SDK answers; the decision (iamcheck/decide/)
reads only these. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal

PUBLIC_ACCESS_GROUP_ID = "AccessGroupId-PublicAccess"

AttributeValue = str | bool | tuple[str, ...]
PolicyType = Literal["access", "authorization"]
PolicyState = Literal["active", "deleted"]
RoleKind = Literal["system", "service", "custom"]
MembershipHow = Literal["static", "dynamic"]
ConditionValue = str | bool | int | tuple[str | int, ...]


@dataclass(frozen=True)
class Attribute:
    """A subject or resource attribute (or an access tag) of a v2 policy."""

    key: str
    operator: str  # stringEquals, stringExists, stringMatch, stringEqualsAnyOf, stringMatchAnyOf
    value: AttributeValue


@dataclass(frozen=True)
class Condition:
    """One condition of a v2 policy rule, e.g. current_date_time dateTimeLessThanOrEquals ..."""

    key: str
    operator: str
    value: ConditionValue


@dataclass(frozen=True)
class ConditionGroup:
    operator: Literal["and", "or"]
    conditions: tuple[Rule, ...]


Rule = Condition | ConditionGroup


@dataclass(frozen=True)
class Policy:
    id: str
    type: PolicyType
    state: PolicyState
    subject: tuple[Attribute, ...]
    resource: tuple[Attribute, ...]
    role_ids: tuple[str, ...]
    tags: tuple[Attribute, ...] = ()
    rule: Rule | None = None
    pattern: str | None = None
    description: str = ""
    template_managed: bool = False  # created from an enterprise template

    def subject_value(self, key: str) -> str | None:
        for attr in self.subject:
            if attr.key == key and isinstance(attr.value, str):
                return attr.value
        return None


@dataclass(frozen=True)
class Role:
    crn: str
    display_name: str
    kind: RoleKind
    actions: frozenset[str]
    service_name: str | None = None  # custom roles name their service


@dataclass(frozen=True)
class User:
    iam_id: str
    email: str
    state: str  # ACTIVE, PENDING, SUSPENDED, ... as User Management spells it
    realm: str = ""
    user_id: str = ""
    firstname: str = ""
    lastname: str = ""


@dataclass(frozen=True)
class ServiceId:
    iam_id: str
    name: str
    id: str = ""


@dataclass(frozen=True)
class RuleClaim:
    claim: str
    operator: str
    value: str


@dataclass(frozen=True)
class GroupRule:
    """A dynamic rule: federated users of `realm_name` whose claims match join at login."""

    id: str
    name: str
    realm_name: str
    expiration_hours: int
    conditions: tuple[RuleClaim, ...] = ()


@dataclass(frozen=True)
class AccessGroup:
    id: str
    name: str
    description: str = ""
    rules: tuple[GroupRule, ...] = ()

    @property
    def is_public(self) -> bool:
        return self.id == PUBLIC_ACCESS_GROUP_ID


@dataclass(frozen=True)
class Membership:
    group_id: str
    iam_id: str
    how: MembershipHow = "static"  # "dynamic": IBM reports the rule-based membership as current


@dataclass(frozen=True)
class ResourceGroup:
    id: str
    name: str


@dataclass(frozen=True)
class Instance:
    id: str
    crn: str
    name: str
    region: str
    zone: str
    resource_group_id: str
    vpc_id: str
    status: str
    confidential_compute_mode: str = "disabled"
    access_tags: frozenset[str] = frozenset()  # "key:value" strings
    image_name: str = ""
    image_id: str = ""
    boot_volume_id: str = ""  # its operating_system survives the image's deletion
    os_name: str = ""
    os_family: str = ""
    os_display_name: str = ""
    architecture: str = ""


class Every(Enum):
    """The reach of a gap that touches every subject (or every instance)."""

    EVERY = "every"


EVERY = Every.EVERY
# What a gap reaches on one side: every subject (instance), or exactly these ids (none if empty).
Reach = frozenset[str] | Literal[Every.EVERY]


def reaches(reach: Reach, ids: Iterable[str]) -> bool:
    return reach is EVERY or not reach.isdisjoint(ids)


@dataclass(frozen=True)
class Gap:
    """Something that could not be read in full. Verdicts it touches cannot be allow (V5).

    It touches the verdicts of the subjects (iam_ids or access group ids) in `subjects` on the
    instances in `instances`; a gap about what was not listed reaches no verdict it computed.
    """

    what: str
    reason: str
    subjects: Reach = EVERY
    instances: Reach = EVERY

    def touches_subject(self, ids: Iterable[str]) -> bool:
        return reaches(self.subjects, ids)

    def touches_instance(self, instance_id: str) -> bool:
        return reaches(self.instances, (instance_id,))


@dataclass(frozen=True)
class AccountData:
    account_id: str
    read_at: datetime
    users: tuple[User, ...] = ()
    service_ids: tuple[ServiceId, ...] = ()
    groups: tuple[AccessGroup, ...] = ()
    memberships: tuple[Membership, ...] = ()
    policies: tuple[Policy, ...] = ()
    roles: tuple[Role, ...] = ()
    resource_groups: tuple[ResourceGroup, ...] = ()
    instances: tuple[Instance, ...] = ()
    gaps: tuple[Gap, ...] = field(default=())
