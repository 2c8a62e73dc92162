"""The documents of grant and revoke (`--format json`; the table renders the same document).

Each subject says what it has now, what is (or would be) created or deleted with the exact JSON
body and the equivalent `ibmcloud` command, what happened when it was applied, and the verdict
decided again afterwards (`after`), or predicted by a dry run (`predicted`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from iamcheck.decide import Decision
from iamcheck.grant.apply import Applied
from iamcheck.grant.plan import (
    GrantScope,
    Subject,
    SubjectPlan,
    first_reason,
    missing_actions,
    overall,
)
from iamcheck.grant.policy import policy_json, role_suffix
from iamcheck.grant.result import GrantResult, RevokeResult
from iamcheck.grant.revoke import SubjectRevoke
from iamcheck.requirement import Requirement

SCHEMA_VERSION = 1


def subject_json(subject: Subject) -> dict[str, Any]:
    return {"kind": subject.kind, "id": subject.id, "label": subject.label,
            "state": subject.state}


def scope_json(scope: GrantScope) -> dict[str, Any]:
    return {"kind": scope.kind, "id": scope.value, "name": scope.name, "label": scope.label,
            "instances": len(scope.instances)}


def verdicts(decisions: Sequence[Decision], requirement: Requirement) -> dict[str, Any]:
    """One subject's verdict over the scope: deny if any instance is denied."""
    why = first_reason(decisions)
    return {"verdict": overall(decisions).value, "instances": len(decisions),
            "allowed_on": sum(1 for d in decisions if d.allowed),
            "missing": list(missing_actions(requirement.actions, decisions)),
            "reason": {"rule": why.rule, "text": why.text} if why else None}


def holdings(decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """Where each required action comes from today, with on how many instances."""
    out: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for decision in decisions:
        for grant in decision.grants:
            key = (grant.action, grant.policy_id, grant.via.kind, grant.via.group_id)
            entry = out.setdefault(key, {"action": grant.action, "policy_id": grant.policy_id,
                                         "role": grant.role_name, "via": grant.via.describe(),
                                         "instances": 0})
            entry["instances"] += 1
    return list(out.values())


def _planned(plan: SubjectPlan) -> dict[str, Any] | None:
    if plan.policy is None:
        return None
    planned = plan.policy
    return {"marker": planned.marker,
            "roles": [{"crn": r.crn, "name": r.display_name} for r in planned.roles],
            "body": planned.body(), "cli": planned.cli,
            "cli_reads_body_from_file": planned.policy.rule is not None}


def applied_json(applied: Applied) -> dict[str, Any]:
    return {"outcome": applied.outcome, "policy_id": applied.policy_id,
            "detail": applied.detail, "visible": applied.visible}


def grant_document(result: GrantResult) -> dict[str, Any]:
    plan = result.plan
    req = plan.requirement
    subjects = []
    for sp in plan.subjects:
        done = result.applied.get(sp.subject.id)
        again = result.after.get(sp.subject.id)
        entry: dict[str, Any] = {
            "subject": subject_json(sp.subject), "status": sp.status, "reason": sp.reason,
            "before": {**verdicts(sp.before, req), "has": holdings(sp.before)},
            "policy": _planned(sp),
            "predicted": verdicts(sp.predicted, req) if sp.predicted else None,
            "result": applied_json(done) if done else None,
            "after": verdicts(again, req) if again is not None else None,
            "final_verdict": result.final_verdict(sp).value,
        }
        subjects.append(entry)
    outcomes = [s["result"]["outcome"] for s in subjects if s["result"]]
    return {
        "schema_version": SCHEMA_VERSION, "command": "grant", "dry_run": result.dry_run,
        "declined": result.declined, "account_id": plan.account_id, "requirement": req.id,
        "evaluated_at": plan.at.isoformat(), "scope": scope_json(plan.scope),
        "window": ({"start": plan.window.start.isoformat(), "end": plan.window.end.isoformat()}
                   if plan.window else None),
        "subjects": subjects,
        "summary": {"subjects": len(subjects), "to_create": len(plan.to_create),
                    **{k: outcomes.count(k) for k in ("created", "already_present", "failed")},
                    "allowed": sum(1 for s in subjects if s["final_verdict"] == "allow")},
        "log": result.log,
    }


def _revoke_subject(sr: SubjectRevoke, role_names: Mapping[str, str],
                    results: Sequence[Applied] | None) -> dict[str, Any]:
    return {
        "subject": subject_json(sr.subject),
        "remove": [{"policy_id": r.policy.id, "why": r.why, "description": r.policy.description,
                    "roles": [role_names.get(x, role_suffix(x)) for x in r.policy.role_ids],
                    "cli": r.cli, "body": policy_json(r.policy)} for r in sr.remove],
        "kept": [{"policy_id": k.policy.id, "why": k.why, "description": k.policy.description}
                 for k in sr.kept],
        "results": [applied_json(a) for a in results] if results is not None else None,
    }


def revoke_document(result: RevokeResult) -> dict[str, Any]:
    plan = result.plan
    subjects = []
    for sr in plan.subjects:
        entry = _revoke_subject(sr, result.role_names,
                                None if result.results is None
                                else result.results.get(sr.subject.id, ()))
        again = result.after.get(sr.subject.id)
        entry["after"] = verdicts(again, plan.requirement) if again else None
        entry["remaining"] = [{"policy_id": r.policy_id, "via": r.via, "how": r.how}
                              for r in result.remaining.get(sr.subject.id, ())]
        subjects.append(entry)
    outcomes = [r["outcome"] for s in subjects for r in s["results"] or ()]
    return {
        "schema_version": SCHEMA_VERSION, "command": "revoke", "dry_run": result.dry_run,
        "declined": result.declined, "account_id": plan.account_id,
        "requirement": plan.requirement.id,
        "evaluated_at": plan.at.isoformat(),
        "scope": scope_json(plan.scope) if plan.scope else None,
        "subjects": subjects,
        "summary": {"subjects": len(subjects), "to_remove": len(plan.to_remove),
                    **{k: outcomes.count(k) for k in ("deleted", "already_gone", "failed")},
                    "kept": sum(len(s["kept"]) for s in subjects),
                    "still_allowed": sum(1 for s in subjects if s["remaining"])},
        "log": result.log,
    }
