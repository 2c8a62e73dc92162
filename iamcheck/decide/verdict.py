"""The answer for one (subject, instance) pair, as plain frozen values a formatter can render."""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from iamcheck.model import RuleClaim


class Verdict(StrEnum):
    ALLOW = "allow"  # V1
    DENY = "deny"  # V3, V4
    UNKNOWN = "unknown"  # V2, V5


# "public": the Public Access group; "profile": a trusted profile (P5)
ViaKind = Literal["direct", "group", "public", "profile"]


@dataclass(frozen=True)
class Via:
    """How a policy reaches the subject (P3)."""

    kind: ViaKind
    group_id: str = ""  # the access group id, or the trusted profile's iam_id
    group_name: str = ""
    certain: bool = True
    dynamic_rule: str = ""  # the rule name when the path runs through a rule (P3, P5)
    rule_id: str = ""
    realm: str = ""  # the rule's identity provider
    expiration_hours: int = 0
    conditions: tuple[RuleClaim, ...] = ()
    by_claims: bool = False  # the rule was evaluated against the --claims file

    def describe(self) -> str:
        if self.kind == "direct":
            return "directly"
        if self.kind == "public":
            if not self.certain:
                return "through the Public Access group (everyone, if IAM honours it here)"
            return "through the Public Access group (everyone)"
        noun = "trusted profile" if self.kind == "profile" else "group"
        name = f"{noun} {self.group_name or self.group_id}"
        if self.dynamic_rule and self.by_claims and self.certain:
            return f"through {name}, whose rule '{self.dynamic_rule}' admits the user by the " \
                   "claims given"
        if not self.certain:
            return f"through {name} if its rule '{self.dynamic_rule}' admits the user"
        return f"through {name}"


@dataclass(frozen=True)
class Grant:
    """A required action the subject holds, and where from."""

    action: str
    policy_id: str
    via: Via
    role_crn: str
    role_name: str


class NearMissKind(StrEnum):
    """Why a policy that almost supplies a missing action does not (V3), most useful first."""

    WRONG_SCOPE = "wrong_scope"  # right role, wrong scope (S1, S3, S4, S5, S7)
    EXPIRED = "expired"  # P4
    NOT_YET_ACTIVE = "not_yet_active"  # P4
    OUTSIDE_WINDOW = "outside_window"  # P4, recurring
    DELETED = "deleted"  # P2
    VPC_SCOPE = "vpc_scope"  # S6
    SERVICE_ROLE_ALL_SERVICES = "service_role_all_services"  # S2
    ROLE_LACKS_ACTION = "role_lacks_action"  # R2
    UNCERTAIN_PATH = "uncertain_path"  # P3, S2, S8, P4: could supply it, cannot be sure


NEAR_MISS_RANK = {kind: rank for rank, kind in enumerate(NearMissKind)}


@dataclass(frozen=True)
class NearMiss:
    kind: NearMissKind
    actions: tuple[str, ...]  # the missing actions this policy would supply
    policy_id: str
    via: Via
    rule: str  # the rule id (semantics-decisions.md) that explains it
    detail: str
    roles: tuple[str, ...] = ()  # display names (or CRNs) of the roles involved
    when: datetime | None = None  # expired at / active from / next window
    defects: int = 1  # how many things stand in the way; the nearest misses have one


class UncertainKind(StrEnum):
    DYNAMIC_GROUP = "dynamic_group"  # P3
    ATTRIBUTE = "attribute"  # S8
    SERVICE_NAME = "service_name"  # S2
    RULE = "rule"  # P4: a rule condition iamcheck cannot evaluate
    GAP = "gap"  # V5
    PUBLIC_ACCESS = "public_access"  # P3: Public Access outside Cloud Object Storage
    ROLE = "role"  # R2: a role no catalogue expands
    PROFILE = "profile"  # P5: a trusted profile the user may apply
    USER_STATE = "user_state"  # V4: a state iamcheck does not know


@dataclass(frozen=True)
class UncertainPath:
    kind: UncertainKind
    actions: tuple[str, ...]  # what it could supply
    rule: str
    detail: str
    policy_id: str = ""
    via: Via | None = None


@dataclass(frozen=True)
class ContextRule:
    """G1: one CBR rule that applies (or may apply) to the instance, and what it requires."""

    rule_id: str
    mode: str  # "enabled" (enforcing) | "report" (report-only)
    certain: bool  # False: it names something iamcheck cannot match, so it may apply
    requires: tuple[str, ...]  # readable: allowed zones' addresses, endpoint types, MFA
    description: str = ""

    @property
    def enforced(self) -> bool:
        return self.mode != "report"

    def describe(self) -> str:
        what = "; or ".join(self.requires) if self.requires else "no context at all"
        may = "" if self.certain else "may cover the instance and, if so, "
        if self.enforced:
            return f"CBR rule {self.rule_id} {may}also requires: {what}"
        return f"CBR rule {self.rule_id} (report-only, not enforced) {may}would require: {what}"


@dataclass(frozen=True)
class Reason:
    rule: str  # R1..V5
    text: str


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    subject: str
    instance_id: str
    requirement_id: str
    at: datetime
    grants: tuple[Grant, ...]
    missing: tuple[str, ...]
    near_misses: tuple[NearMiss, ...]
    uncertain: tuple[UncertainPath, ...]
    reasons: tuple[Reason, ...]
    # G1: the CBR rules that cover the instance (enforcing or report-only); the IAM verdict
    # above does not depend on them unless the decision ran with strict_context
    context_rules: tuple[ContextRule, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO 8601 text)."""
        return {
            "verdict": self.verdict.value,
            "subject": self.subject,
            "instance_id": self.instance_id,
            "requirement": self.requirement_id,
            "at": self.at.isoformat(),
            "grants": [{**_plain(g.__dict__), "via": _plain(g.via.__dict__)} for g in self.grants],
            "missing": list(self.missing),
            "near_misses": [_near_miss_dict(n) for n in self.near_misses],
            "uncertain": [
                {**_plain(u.__dict__), "via": _plain(u.via.__dict__) if u.via else None}
                for u in self.uncertain
            ],
            "reasons": [{"rule": r.rule, "text": r.text} for r in self.reasons],
            "context_rules": [_plain(c.__dict__) for c in self.context_rules],
        }


def _near_miss_dict(miss: NearMiss) -> dict[str, Any]:
    out = _plain(miss.__dict__)
    out["via"] = _plain(miss.via.__dict__)
    return out


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [asdict(v) if is_dataclass(v) and not isinstance(v, type) else v
                     for v in value]
        elif isinstance(value, StrEnum):
            value = value.value
        out[key] = value
    return out
