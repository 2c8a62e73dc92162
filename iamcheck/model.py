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
    # R2: the policy's own enriched roles (read with format=display), each with its actions;
    # empty when the reader did not ask for them
    display_roles: tuple[Role, ...] = ()
    # format=include_last_permit: when IAM last saw the policy permit a request (None with a
    # frequency of 0: never), and how often since IAM started counting; None: not read.
    last_permit_at: datetime | None = None
    last_permit_frequency: int | None = None

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
    # R2: the service_name of the /v2/roles answer that listed it ("" = the requirement's own
    # service, e.g. "is"; "is.instance" for the child catalogue read as a fallback)
    catalogue: str = ""


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
    profiles: tuple[TrustedProfile, ...] = ()  # P5
    cbr_zones: tuple[CbrZone, ...] = ()  # G1
    cbr_rules: tuple[CbrRule, ...] = ()  # G1
    layer_gaps: tuple[LayerGap, ...] = ()  # V5: profiles or CBR rules the caller may not read


@dataclass(frozen=True)
class ProfileRule:
    """A trusted profile's claim rule (IAM Identity /v1/profiles/{id}/rules).

    `Profile-SAML` rules admit federated users whose IdP claims match; `Profile-CR` rules admit
    compute resources of `cr_type` whose attributes match.
    """

    id: str
    name: str
    type: str  # "Profile-SAML" | "Profile-CR"
    realm_name: str = ""
    expiration_hours: int = 0
    conditions: tuple[RuleClaim, ...] = ()
    cr_type: str = ""


@dataclass(frozen=True)
class ProfileLink:
    """A compute resource linked to a trusted profile: it acts as the profile."""

    cr_type: str  # VSI, IKS_SA, ROKS_SA or CE as IBM spells it; kept as read
    crn: str
    id: str = ""
    name: str = ""  # the link's own name
    namespace: str = ""  # Kubernetes service accounts
    resource_name: str = ""  # link.name: the service account (or resource) name


@dataclass(frozen=True)
class TrustedProfile:
    """P5: a subject of its own; its policies name it by `iam_id` (iam-Profile-...)."""

    id: str
    iam_id: str
    name: str
    description: str = ""
    rules: tuple[ProfileRule, ...] = ()
    links: tuple[ProfileLink, ...] = ()


CbrMode = Literal["enabled", "disabled", "report"]


@dataclass(frozen=True)
class CbrAddress:
    type: str  # ipAddress | ipRange | subnet | vpc | serviceRef
    value: str


@dataclass(frozen=True)
class CbrZone:
    id: str
    name: str
    addresses: tuple[CbrAddress, ...] = ()
    excluded: tuple[CbrAddress, ...] = ()


@dataclass(frozen=True)
class CbrAttribute:
    """A context or resource attribute of a CBR rule (name, value, optional operator)."""

    name: str
    value: str
    operator: str = ""  # resources: "" or stringEquals, stringMatch


@dataclass(frozen=True)
class CbrContext:
    attributes: tuple[CbrAttribute, ...] = ()


@dataclass(frozen=True)
class CbrResource:
    attributes: tuple[CbrAttribute, ...] = ()
    tags: tuple[CbrAttribute, ...] = ()


@dataclass(frozen=True)
class CbrRule:
    """G1: every applicable rule must allow the request's context (zone, endpoint, MFA)."""

    id: str
    enforcement_mode: str  # CbrMode as IBM spells it; anything else is read as enforcing
    contexts: tuple[CbrContext, ...] = ()
    resources: tuple[CbrResource, ...] = ()
    description: str = ""
    operations: tuple[str, ...] = ()  # api types; empty = all


LayerName = Literal["trusted_profiles", "cbr"]


@dataclass(frozen=True)
class LayerGap:
    """V5 for a whole layer the caller may not read: trusted profiles or CBR rules.

    Kept apart from Gap: a missing layer never makes an allow by policies unknown by itself;
    it stops iamcheck from denying (profiles) or, under --strict-context, from allowing (CBR).
    """

    layer: LayerName
    reason: str


@dataclass(frozen=True)
class UserClaims:
    """What one user presents at a federated login (from --claims FILE)."""

    realm: str | None  # the IdP URL (or appid://realm) the user signs in through; None: none
    claims: tuple[tuple[str, str | tuple[str, ...]], ...] = ()  # sorted by claim name

    def get(self, claim: str) -> str | tuple[str, ...] | None:
        for name, value in self.claims:
            if name == claim:
                return value
        return None


@dataclass(frozen=True)
class Claims:
    """The --claims FILE: per user (by email or IAM ID), and "*" for everyone else."""

    by_iam_id: tuple[tuple[str, UserClaims], ...] = ()
    by_email: tuple[tuple[str, UserClaims], ...] = ()  # emails lower-cased
    everyone_else: UserClaims | None = None

    def for_user(self, user: User) -> UserClaims | None:
        """The claims the file gives `user`, or None when it does not cover them."""
        for iam_id, found in self.by_iam_id:
            if iam_id == user.iam_id:
                return found
        email = user.email.lower()
        for address, found in self.by_email:
            if email and address == email:
                return found
        return self.everyone_else
