"""Proposed changes to an account, as values on iamcheck's model (iamcheck/model.py)."""

from __future__ import annotations

from dataclasses import dataclass

from iamcheck.model import AccessGroup, GroupRule, Policy


@dataclass(frozen=True)
class PutPolicy:
    """Create the policy, or replace the one with the same id."""

    policy: Policy
    source: str = ""  # e.g. the Terraform address, for people


@dataclass(frozen=True)
class RemovePolicy:
    policy_id: str
    source: str = ""


@dataclass(frozen=True)
class PutGroup:
    """Create the group or change its name and description; its rules are kept."""

    group: AccessGroup
    source: str = ""


@dataclass(frozen=True)
class RemoveGroup:
    """Delete the group: its memberships and rules go with it, and its policies stop counting."""

    group_id: str
    source: str = ""


@dataclass(frozen=True)
class AddMembers:
    group_id: str
    iam_ids: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class RemoveMembers:
    group_id: str
    iam_ids: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class PutRule:
    group_id: str
    rule: GroupRule
    source: str = ""


@dataclass(frozen=True)
class RemoveRule:
    group_id: str
    rule_id: str
    source: str = ""


@dataclass(frozen=True)
class Unmodelled:
    """A change iamcheck cannot turn into model values: the verdicts it may touch become
    unknown. `subjects` names who it may touch (iam_ids, group ids); empty means everyone."""

    name: str  # e.g. the Terraform address
    reason: str
    subjects: frozenset[str] = frozenset()


Change = (PutPolicy | RemovePolicy | PutGroup | RemoveGroup | AddMembers | RemoveMembers
          | PutRule | RemoveRule | Unmodelled)
