"""The access-review export: one row per (subject, scope) instead of one per pair (issue 16).

Each row says how the access reaches the subject (direct, group, dynamic rule, public,
profile), through which policies, until when (time-bound policies), when IAM last saw those
policies permit anything, and, for an uncertain entry, why. From an audit result (everything is
known) or from an audit JSON document (schema 2 records no reasons, end dates or use: those
cells say so instead of guessing).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from iamcheck.decide import Grant, Via
from iamcheck.decide.verdict import ViaKind
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Condition, ConditionGroup, Policy
from iamcheck.safe_text import for_csv

if TYPE_CHECKING:
    from iamcheck.audit.run import AuditReport

How = Literal["direct", "group", "dynamic rule", "public", "profile"]
NOT_RECORDED = "not recorded in the audit document; run `iamcheck check` for this pair"
_DATE_TIME = "{{environment.attributes.current_date_time}}"


@dataclass(frozen=True)
class SubjectRow:
    subject: str
    label: str
    subject_kind: str
    scope: str  # the scope id of the audit document
    scope_label: str
    instances: int
    verdict: Literal["allow", "unknown"]
    how: tuple[How, ...]
    policy_ids: tuple[str, ...]
    groups: tuple[str, ...]
    until: datetime | None  # the access ends then (a time-bound policy); None: no end known
    last_used: datetime | None  # the latest last_permit_at of those policies
    reasons: tuple[str, ...]  # why the entry is uncertain
    instance_names: tuple[str, ...] = ()  # for a scope of listed instances: which ones

    def cells(self) -> list[str]:
        return [self.subject, self.label, self.subject_kind, self.scope, self.scope_label,
                str(self.instances), self.verdict, "; ".join(self.how),
                "; ".join(self.policy_ids), "; ".join(self.groups),
                self.until.isoformat() if self.until else "",
                self.last_used.isoformat() if self.last_used else "", " | ".join(self.reasons),
                "; ".join(self.instance_names)]


HEADER = ["subject", "label", "subject_kind", "scope", "scope_label", "instances", "verdict",
          "how", "policy_ids", "groups", "until", "last_used", "reasons", "instance_names"]


def _how(via: Via, subject: str, dynamic: set[tuple[str, str]]) -> How:
    if subject.startswith("iam-Profile-"):
        return "profile"
    if via.kind == "direct":
        return "direct"
    if via.kind == "public" or via.group_id == PUBLIC_ACCESS_GROUP_ID:
        return "public"
    if not via.certain or (via.group_id, subject) in dynamic:
        return "dynamic rule"
    return "group"


def _ends(policy: Policy) -> datetime | None:
    """The end of a time-bound policy's window (dateTimeLessThan[OrEquals] in an `and`)."""
    rule = policy.rule
    parts = rule.conditions if isinstance(rule, ConditionGroup) and rule.operator == "and" \
        else (rule,) if rule is not None else ()
    ends = []
    for c in parts:
        if isinstance(c, Condition) and c.key == _DATE_TIME and isinstance(c.value, str) \
                and c.operator in ("dateTimeLessThan", "dateTimeLessThanOrEquals"):
            try:
                ends.append(datetime.fromisoformat(c.value))
            except ValueError:
                continue
    return min(ends) if ends else None


def _until(grants: Iterable[Grant], policies: Mapping[str, Policy]) -> datetime | None:
    """Each action lasts as long as its longest-lived policy; the access, as its first action
    to end. Any policy without an end keeps that action open."""
    per_action: dict[str, list[datetime | None]] = {}
    for g in grants:
        p = policies.get(g.policy_id)
        per_action.setdefault(g.action, []).append(_ends(p) if p else None)
    ends = [None if None in v else max(e for e in v if e is not None)
            for v in per_action.values()]
    known = [e for e in ends if e is not None]
    return min(known) if known and len(known) == len(ends) else None


def _last_used(ids: Iterable[str], policies: Mapping[str, Policy]) -> datetime | None:
    seen = [policies[i].last_permit_at for i in ids if i in policies]
    known = [s for s in seen if s is not None]
    return max(known) if known else None


def _labels(account: AccountData) -> dict[str, tuple[str, str]]:
    out = {u.iam_id: (u.email or u.iam_id, "user") for u in account.users}
    out.update({s.iam_id: (s.name or s.iam_id, "service_id") for s in account.service_ids})
    return out


ScopeKey = tuple[str, str, tuple[str, ...]]  # kind, value, instance ids


def scope_ids(doc: Mapping[str, Any]) -> dict[ScopeKey, str]:
    """The scope ids of the audit document of the same report (`instances:N` is numbered
    as the document meets them), so the export's rows name the document's scopes."""
    listed = [str(i["id"]) for i in doc["instances"]]
    return {(str(s["kind"]), str(s.get("value") or ""),
             tuple(listed[n] for n in s["instances"])): str(s["id"]) for s in doc["scopes"]}


def rows_from_report(report: AuditReport,
                     ids: Mapping[ScopeKey, str] | None = None) -> tuple[SubjectRow, ...]:
    """One row per (subject, scope); `ids` (scope_ids of the report's audit document) gives
    the document's scope ids; a scope of listed instances names them."""
    result, account = report.result, report.account
    names = {i.id: i.name or i.id for i in account.instances}

    def scope_of(kind: str, value: str, instance_ids: tuple[str, ...]) -> str:
        return (ids or {}).get((kind, value, instance_ids)) or _scope_id(kind, value)

    def listed(kind: str, instance_ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(names.get(i, i) for i in instance_ids) if kind == "instances" else ()
    policies = {p.id: p for p in account.policies}
    dynamic = {(m.group_id, m.iam_id) for m in account.memberships if m.how == "dynamic"}
    labels = _labels(account)
    out: list[SubjectRow] = []
    for subject in result.subjects:
        label, kind = labels.get(subject, (subject, "unknown"))
        for scope in result.scopes(subject):
            grants = result.grants(subject, scope.instance_ids[0])
            pids = tuple(dict.fromkeys(g.policy_id for g in grants))
            out.append(SubjectRow(
                subject, label, kind,
                scope_of(scope.kind, scope.value, tuple(scope.instance_ids)), scope.label,
                len(scope.instance_ids), "allow",
                tuple(dict.fromkeys(_how(g.via, subject, dynamic) for g in grants)), pids,
                tuple(dict.fromkeys(g.via.group_name for g in grants if g.via.group_name)),
                _until(grants, policies), _last_used(pids, policies), (),
                listed(scope.kind, tuple(scope.instance_ids))))
        for scope in result.unknown_scopes(subject):
            decision = result.decision(subject, scope.instance_ids[0])
            paths = decision.uncertain
            pids = tuple(dict.fromkeys(
                [g.policy_id for g in decision.grants] + [u.policy_id for u in paths
                                                          if u.policy_id]))
            vias = [g.via for g in decision.grants] + [u.via for u in paths if u.via]
            reasons = tuple(dict.fromkeys(
                [f"{u.rule}: {u.detail}" for u in paths]
                or [f"{r.rule}: {r.text}" for r in decision.reasons]))
            out.append(SubjectRow(
                subject, label, kind,
                scope_of(scope.kind, scope.value, tuple(scope.instance_ids)), scope.label,
                len(scope.instance_ids), "unknown",
                tuple(dict.fromkeys(_how(v, subject, dynamic) for v in vias)), pids,
                tuple(dict.fromkeys(v.group_name for v in vias if v.group_name)),
                None, _last_used(pids, policies), reasons,
                listed(scope.kind, tuple(scope.instance_ids))))
    return tuple(out)


def _scope_id(kind: str, value: str) -> str:
    return f"{kind}:{value}" if value else kind


def rows_from_document(doc: Mapping[str, Any]) -> tuple[SubjectRow, ...]:
    """The same rows from an audit JSON document (schema 2)."""
    if doc.get("kind") != "iamcheck-audit" or doc.get("schema_version") != 2:
        raise ValueError("not an iamcheck audit document of schema_version 2")
    scopes = {s["id"]: s for s in doc["scopes"]}
    out: list[SubjectRow] = []
    for s in doc["subjects"]:
        sid, kind = str(s["iam_id"]), str(s.get("kind") or "unknown")
        label = str(s.get("email") or s.get("name") or sid)
        for entry in s.get("can_open") or ():
            scope = scopes[entry["scope"]]
            through = entry["through"]
            how = tuple(dict.fromkeys(_how_text(t, sid) for t in through))
            out.append(SubjectRow(
                sid, label, kind, str(scope["id"]), str(scope.get("label") or ""),
                len(scope["instances"]), "allow", how,
                tuple(dict.fromkeys(str(t["policy_id"]) for t in through)),
                tuple(dict.fromkeys(str(t["group_name"]) for t in through
                                    if t.get("group_name"))), None, None, ()))
        for scope_id in s.get("unknown") or ():
            scope = scopes[scope_id]
            out.append(SubjectRow(sid, label, kind, str(scope["id"]),
                                  str(scope.get("label") or ""), len(scope["instances"]),
                                  "unknown", (), (), (), None, None, (NOT_RECORDED,)))
    return tuple(out)


def _how_text(through: Mapping[str, Any], subject: str) -> How:
    via = str(through.get("via") or "")
    group = str(through.get("group_id") or "")
    kind: ViaKind = "direct" if via == "directly" \
        else "public" if group == PUBLIC_ACCESS_GROUP_ID else "group"
    return _how(Via(kind, group, certain="dynamic rule" not in via), subject, set())


def rows_document(rows: Iterable[SubjectRow]) -> dict[str, Any]:
    """The JSON form (`--by subject --format json`): the CSV's columns, lists kept as lists."""
    return {"kind": "iamcheck-review", "schema_version": 1, "rows": [
        {"subject": r.subject, "label": r.label, "subject_kind": r.subject_kind,
         "scope": r.scope, "scope_label": r.scope_label, "instances": r.instances,
         "verdict": r.verdict, "how": list(r.how), "policy_ids": list(r.policy_ids),
         "groups": list(r.groups), "until": r.until.isoformat() if r.until else None,
         "last_used": r.last_used.isoformat() if r.last_used else None,
         "reasons": list(r.reasons), "instance_names": list(r.instance_names)}
        for r in rows]}


def write_csv(rows: Iterable[SubjectRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([for_csv(c) for c in row.cells()])
    return buffer.getvalue()
