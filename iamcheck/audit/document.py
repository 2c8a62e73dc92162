"""The audit as one JSON-ready document. Every audit format renders this same document.

It grows with subjects, instances and distinct scopes, never with subject x instance pairs:
each set of instances ("all", a resource group, a region, an access tag, a list of instances)
is written once under `scopes`, as positions in `instances`, with who can open all of it
(holders), who may (maybe) and who lacks one action on it (one_short); subjects refer to
scopes by id. Who can open one instance: the holders of the scopes whose list holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from iamcheck.audit.exposure import exposure_part, exposures
from iamcheck.audit.layers import instance_layers, layer_gaps_part, profiles_info
from iamcheck.audit.run import AuditReport
from iamcheck.decide import Grant, Scope, Verdict
from iamcheck.errors import ExitCode
from iamcheck.model import ServiceId, User
from iamcheck.parts import instance_part, roles_by_action, subject_part, unknown_subject_part

AUDIT_SCHEMA_VERSION = 2  # 2: instance sets under `scopes`, referred to by id


def _subject_info(report: AuditReport) -> dict[str, dict[str, Any]]:
    subjects: list[User | ServiceId] = [*report.account.users, *report.account.service_ids]
    return {**{s.iam_id: subject_part(s) for s in subjects}, **profiles_info(report.account)}


def _through(grants: Iterable[Grant]) -> list[dict[str, Any]]:
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
        for g in grants
    ]


class _Scopes:
    """Every set of instances the document names, defined once and named by id, with who can
    open all of it (holders), who may (maybe) and who lacks one action on all of it."""

    def __init__(self, position: dict[str, int]) -> None:
        self.entries: dict[tuple[str, object], dict[str, Any]] = {}
        self._lists = 0
        self._position = position  # instance id -> its place in the document's `instances`

    def entry(self, scope: Scope) -> dict[str, Any]:
        # A named set (all, a resource group, a region, a tag) is the same set wherever it
        # appears in one audit; a list of single instances is known by its content.
        key = (scope.kind, scope.instance_ids if scope.kind == "instances" else scope.value)
        found = self.entries.get(key)
        if found is None:
            if scope.kind == "instances":
                self._lists += 1
                scope_id = f"instances:{self._lists}"
            else:
                scope_id = f"{scope.kind}:{scope.value}" if scope.value else scope.kind
            found = self.entries[key] = {
                "id": scope_id,
                "kind": scope.kind,
                "value": scope.value,
                "label": scope.label,
                "instances": [self._position[i] for i in scope.instance_ids],
                "holders": [],
                "maybe": [],
                "one_short": [],
            }
        return found


def _subjects(
    report: AuditReport, info: dict[str, dict[str, Any]], scopes: _Scopes
) -> list[dict[str, Any]]:
    result = report.result
    # Subjects that look alike get the same grants: explain each (look-alike, scope) once.
    through: dict[tuple[int, tuple[str, ...]], list[dict[str, Any]]] = {}
    out = []
    for subject in result.subjects:
        can_open = []
        for scope in result.scopes(subject):
            entry = scopes.entry(scope)
            entry["holders"].append(subject)
            key = (result.look_alike(subject), scope.instance_ids)
            if key not in through:  # every policy that covers part of the scope
                through[key] = _through(result.scope_grants(subject, scope))
            can_open.append({"scope": entry["id"], "through": through[key]})
        unknown = []
        for scope in result.unknown_scopes(subject):
            entry = scopes.entry(scope)
            entry["maybe"].append(subject)
            unknown.append(entry["id"])
        one_short: dict[str, list[str]] = {}
        for action, parts in result.short_scopes(subject).items():
            for scope in parts:
                entry = scopes.entry(scope)
                entry["one_short"].append({"subject": subject, "lacks": action})
                one_short.setdefault(action, []).append(entry["id"])
        entry = dict(info.get(subject) or unknown_subject_part(subject))
        entry.update(
            {
                "can_open": can_open,
                "can_open_count": result.allowed_count(subject),
                "unknown": unknown,
                "one_short": one_short,
            }
        )
        if report.with_claims:
            entry["decided_with_claims"] = result.decided_with_claims(subject)
        out.append(entry)
    return out


def _instances(report: AuditReport) -> list[dict[str, Any]]:
    names = {g.id: g.name for g in report.account.resource_groups}
    return [
        {
            **instance_part(inst),
            "resource_group": {
                "id": inst.resource_group_id,
                "name": names.get(inst.resource_group_id, ""),
            },
            "access_tags": sorted(inst.access_tags),
            **instance_layers(report.account, report.result, inst),
        }
        for inst in report.result.instances
    ]


def _gate(report: AuditReport) -> dict[str, Any]:
    """The run's one verdict, from AuditReport.exit_code: JUnit and SARIF render this."""
    code = report.exit_code
    return {
        "exit_code": int(code),
        "result": {ExitCode.OK: "pass", ExitCode.FINDING: "fail"}.get(code, "unknown"),
        "fail_on": list(report.fail_on),
        "partial": bool(report.partial),
    }


def audit_document(report: AuditReport) -> dict[str, Any]:
    failing = set(report.failing_findings)
    info = _subject_info(report)
    position: dict[str, int] = {}
    for n, inst in enumerate(report.result.instances):
        position.setdefault(inst.id, n)
    scopes = _Scopes(position)
    subjects = _subjects(report, info, scopes)
    counts = report.result.counts()
    doc: dict[str, Any] = {
        "kind": "iamcheck-audit",
        "schema_version": AUDIT_SCHEMA_VERSION,
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
        "scopes": list(scopes.entries.values()),
        "findings": [
            {
                "kind": f.kind,
                "severity": f.severity,
                "rule": f.rule,
                "policy_id": f.policy_id,
                "subject": f.subject,
                "detail": f.detail,
                "fails_gate": f in failing,
            }
            for f in report.findings
        ],
        # CSV renders each gap as a row whose verdict column is "gap" (docs/formats.md)
        "gaps": [{"kind": "gap", "what": g.what, "reason": g.reason} for g in report.partial],
        "rule_exposures": [exposure_part(e, position) for e in exposures(report.result)],
        "layer_gaps": layer_gaps_part(report.account),
        "gate": _gate(report),
        "selection": {"narrowed": report.narrowed},
    }
    if report.with_claims:
        doc["decided_with_claims"] = [s for s in report.result.subjects
                                      if report.result.decided_with_claims(s)]
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
