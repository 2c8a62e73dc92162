"""JSON-ready pieces that several documents share: who a subject is, what an instance is, which
roles carry an action."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from iamcheck.model import Instance, Role, ServiceId, User


def subject_part(subject: User | ServiceId) -> dict[str, Any]:
    if isinstance(subject, User):
        return {"iam_id": subject.iam_id, "kind": "user", "email": subject.email,
                "name": f"{subject.firstname} {subject.lastname}".strip(),
                "state": subject.state}
    return {"iam_id": subject.iam_id, "kind": "service_id", "email": "", "name": subject.name,
            "state": ""}


def unknown_subject_part(iam_id: str) -> dict[str, Any]:
    return {"iam_id": iam_id, "kind": "unknown", "email": "", "name": "", "state": ""}


def instance_part(instance: Instance, *extra: str) -> dict[str, Any]:
    """id, name, crn, region, zone and status, then the `extra` fields named."""
    keys = ("id", "name", "crn", "region", "zone", "status", *extra)
    return {key: getattr(instance, key) for key in keys}


def roles_by_action(roles: Iterable[Role], actions: Iterable[str]) -> dict[str, list[str]]:
    """For each action, the IBM-defined roles that carry it (custom roles are the account's)."""
    defined = [r for r in roles if r.kind != "custom"]
    return {a: [r.display_name for r in defined if a in r.actions] for a in actions}
