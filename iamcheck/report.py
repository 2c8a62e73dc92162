"""The audit as one JSON-ready document. Every audit format renders this same document."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from iamcheck.audit import AuditReport
from iamcheck.decide import Decision, Verdict
from iamcheck.model import Role

SCHEMA_VERSION = 1


def roles_by_action(roles: Iterable[Role], actions: Iterable[str]) -> dict[str, list[str]]:
    """For each action, the IBM-defined roles that carry it (custom roles are the account's)."""
    defined = [r for r in roles if r.kind != "custom"]
    return {a: [r.display_name for r in defined if a in r.actions] for a in actions}


def _subject_info(report: AuditReport) -> dict[str, dict[str, Any]]:
    info: dict[str, dict[str, Any]] = {}
    for user in report.account.users:
        name = f"{user.firstname} {user.lastname}".strip()
        info[user.iam_id] = {
            "iam_id": user.iam_id,
            "kind": "user",
            "email": user.email,
            "name": name,
            "state": user.state,
        }
    for sid in report.account.service_ids:
        info[sid.iam_id] = {
            "iam_id": sid.iam_id,
            "kind": "service_id",
            "email": "",
            "name": sid.name,
            "state": "",
        }
    return info


def _through(decision: Decision) -> list[dict[str, Any]]:
    """Which policies supply each action, and how they reach the subject."""
    return [
        {
            "action": g.action,
            "policy_id": g.policy_id,
            "role": g.role_name or g.role_crn,
            "via": g.via.describe(),
            "group_id": g.via.group_id,
            "group_name": g.via.group_name,
        }
        for g in decision.grants
    ]


def _subjects(report: AuditReport, info: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    result = report.result
    out = []
    for subject in result.subjects:
        scopes = []
        for scope in result.scopes(subject):
            sample = result.decision(subject, scope.instance_ids[0])
            scopes.append(
                {
                    "kind": scope.kind,
                    "value": scope.value,
                    "label": scope.label,
                    "instances": list(scope.instance_ids),
                    "through": _through(sample),
                }
            )
        entry = dict(
            info.get(subject)
            or {"iam_id": subject, "kind": "unknown", "email": "", "name": "", "state": ""}
        )
        entry.update(
            {
                "can_open": scopes,
                "can_open_count": sum(len(s["instances"]) for s in scopes),
                "unknown": list(result.unknown(subject)),
                "one_short": {
                    action: list(ids) for action, ids in result.short_of(subject).items()
                },
            }
        )
        out.append(entry)
    return out


def _instances(report: AuditReport) -> list[dict[str, Any]]:
    result = report.result
    names = {g.id: g.name for g in report.account.resource_groups}
    holders: dict[str, list[str]] = defaultdict(list)
    maybe: dict[str, list[str]] = defaultdict(list)
    for subject, instance_id in result.pairs(Verdict.ALLOW):
        holders[instance_id].append(subject)
    for subject, instance_id in result.pairs(Verdict.UNKNOWN):
        maybe[instance_id].append(subject)
    out = []
    for inst in result.instances:
        out.append(
            {
                "id": inst.id,
                "name": inst.name,
                "crn": inst.crn,
                "region": inst.region,
                "zone": inst.zone,
                "status": inst.status,
                "resource_group": {
                    "id": inst.resource_group_id,
                    "name": names.get(inst.resource_group_id, ""),
                },
                "access_tags": sorted(inst.access_tags),
                "holders": holders.get(inst.id, []),
                "maybe": maybe.get(inst.id, []),
                "one_short": [
                    {"subject": s, "lacks": a} for s, a in result.one_action_short(inst.id)
                ],
            }
        )
    return out


def audit_document(report: AuditReport) -> dict[str, Any]:
    info = _subject_info(report)
    subjects = _subjects(report, info)
    counts = report.result.counts()
    doc: dict[str, Any] = {
        "kind": "iamcheck-audit",
        "schema_version": SCHEMA_VERSION,
        "account_id": report.account.account_id,
        "read_at": report.account.read_at.isoformat(),
        "evaluated_at": report.at.isoformat(),
        "requirement": {
            "id": report.requirement.id,
            "title": report.requirement.title,
            "actions": list(report.requirement.actions),
            "roles_by_action": roles_by_action(report.account.roles, report.requirement.actions),
        },
        "summary": {
            "subjects": len(report.result.subjects),
            "instances": len(report.result.instances),
            "pairs": {v.value: counts[v] for v in Verdict},
            "subjects_with_access": sum(1 for s in subjects if s["can_open"]),
            "subjects_one_short": sum(1 for s in subjects if s["one_short"]),
            "findings": len(report.findings),
        },
        "subjects": subjects,
        "instances": _instances(report),
        "findings": [
            {
                "kind": f.kind,
                "severity": f.severity,
                "rule": f.rule,
                "policy_id": f.policy_id,
                "subject": f.subject,
                "detail": f.detail,
            }
            for f in report.findings
        ],
        "gaps": [{"what": g.what, "reason": g.reason} for g in report.account.gaps],
    }
    if report.expectations is not None:
        exp = report.expectations
        doc["expectations"] = {
            "result": "fail" if exp.failed else "unknown" if exp.undecided else "pass",
            "source": exp.source,
            "expected": list(exp.expected),
            "violations": [
                {
                    "kind": v.kind,
                    "subject": v.subject,
                    "instance_id": v.instance_id,
                    "detail": v.detail,
                }
                for v in exp.violations
            ],
        }
    return doc


def check_document(
    decision: Decision,
    subject: dict[str, Any],
    instance: dict[str, Any],
    account_id: str,
    roles: Iterable[Role] = (),
) -> dict[str, Any]:
    body = decision.as_dict()
    return {
        "kind": "iamcheck-check",
        "schema_version": SCHEMA_VERSION,
        "account_id": account_id,
        "verdict": body["verdict"],
        "user": subject,
        "instance": instance,
        "requirement": body["requirement"],
        "at": body["at"],
        "grants": body["grants"],
        "missing": body["missing"],
        "near_misses": body["near_misses"],
        "uncertain": body["uncertain"],
        "reasons": body["reasons"],
        "roles_by_action": roles_by_action(roles, body["missing"]),
    }
