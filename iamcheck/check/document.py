"""The check document: one JSON-ready object, which every check format renders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamcheck.model import User
from iamcheck.parts import instance_part, roles_by_action, subject_part

if TYPE_CHECKING:
    from iamcheck.check.run import CheckResult

SCHEMA_VERSION = 1


def check_document(result: CheckResult) -> dict[str, Any]:
    body = result.decision.as_dict()
    return {
        "kind": "iamcheck-check",
        "schema_version": SCHEMA_VERSION,
        "account_id": result.account_id,
        "verdict": body["verdict"],
        "user": subject_part(result.subject),
        "instance": instance_part(result.instance, "resource_group_id"),
        "requirement": body["requirement"],
        "at": body["at"],
        "grants": body["grants"],
        "missing": body["missing"],
        "near_misses": body["near_misses"],
        "uncertain": body["uncertain"],
        "reasons": body["reasons"],
        "context_rules": body["context_rules"],
        "layer_gaps": [{"layer": g.layer, "reason": g.reason} for g in result.layer_gaps],
        "roles_by_action": roles_by_action(result.roles, body["missing"]),
        "fix": _fix(result),
    }


def _fix(result: CheckResult) -> str:
    """The command that fixes a deny a policy can fix: the `grant` console suggests."""
    from iamcheck.console.preflight import ConsoleUser, grant_command
    from iamcheck.decide import Verdict

    decision = result.decision
    if decision.verdict is not Verdict.DENY or not decision.missing:
        return ""  # allowed, undecided, or a state no policy fixes (V4)
    if not isinstance(result.subject, User):
        return ""  # grant gives access to users
    who = ConsoleUser(result.subject.iam_id, result.subject.email)
    return grant_command(who, result.instance)
