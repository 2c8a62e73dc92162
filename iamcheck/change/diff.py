"""Who gained and who lost console access between two audits, per instance and per person.

Works on two audit JSON documents (schema 2, iamcheck/audit/document.py), so a saved audit compares
with a fresh one; given the two AccountData as well (two snapshots, or an account and the same
account after a plan), each transition also names its cause: the policy, group, membership or
rule that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData

if TYPE_CHECKING:
    from iamcheck.audit.run import AuditReport

VerdictName = Literal["allow", "deny", "unknown"]
TransitionKind = Literal["gained", "lost", "maybe_gained", "maybe_lost", "cleared"]
GateResult = Literal["pass", "fail", "unknown"]
CauseKind = Literal[
    "policy_added", "policy_removed", "policy_changed", "group_added", "group_removed",
    "membership_added", "membership_removed", "rule_changed", "subject_changed", "gap",
]
_KINDS: dict[tuple[str, str], TransitionKind] = {
    ("deny", "allow"): "gained", ("unknown", "allow"): "gained",
    ("allow", "deny"): "lost", ("allow", "unknown"): "maybe_lost",
    ("deny", "unknown"): "maybe_gained", ("unknown", "deny"): "cleared",
}


class DiffError(ValueError):
    """The two documents cannot be compared; one line says why."""


@dataclass(frozen=True)
class Path:
    """One action supplied by one policy, and how it reaches the subject."""

    action: str
    policy_id: str
    role: str
    via: str
    group_id: str = ""
    group_name: str = ""


@dataclass(frozen=True)
class Cause:
    kind: CauseKind
    id: str  # the policy, group or rule id, or the gap's name
    detail: str


@dataclass(frozen=True)
class Transition:
    instance_id: str
    instance_name: str
    subject: str
    subject_label: str
    before: VerdictName
    after: VerdictName
    kind: TransitionKind
    paths: tuple[Path, ...]  # gained: the new paths; lost: the old ones
    causes: tuple[Cause, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id, "instance_name": self.instance_name,
            "subject": self.subject, "subject_label": self.subject_label,
            "before": self.before, "after": self.after, "kind": self.kind,
            "paths": [vars(p) for p in self.paths],
            "causes": [vars(c) for c in self.causes],
        }


@dataclass(frozen=True)
class AuditDiff:
    requirement_id: str
    old_read_at: str
    new_read_at: str
    transitions: tuple[Transition, ...]
    unmodelled: tuple[str, ...] = field(default=())  # names of changes that could not be modelled

    def of_kind(self, *kinds: TransitionKind) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if t.kind in kinds)

    def by_instance(self) -> dict[str, tuple[Transition, ...]]:
        out: dict[str, list[Transition]] = {}
        for t in self.transitions:
            out.setdefault(t.instance_id, []).append(t)
        return {k: tuple(v) for k, v in out.items()}

    def by_subject(self) -> dict[str, tuple[Transition, ...]]:
        out: dict[str, list[Transition]] = {}
        for t in self.transitions:
            out.setdefault(t.subject, []).append(t)
        return {k: tuple(v) for k, v in out.items()}

    def gate(self, fail_on: Iterable[Literal["gained", "lost"]]) -> GateResult:
        """`--fail-on gained|lost` for CI: fail on a certain gain (loss); unknown when one is
        only possible, or when a change could not be modelled; pass otherwise."""
        wanted = set(fail_on)
        if any(t.kind in wanted for t in self.transitions):
            return "fail"
        maybe = {f"maybe_{k}" for k in wanted}
        if self.unmodelled or any(t.kind in maybe for t in self.transitions):
            return "unknown"
        return "pass"

    def as_dict(self) -> dict[str, Any]:
        counts = {k: len(self.of_kind(k)) for k in
                  ("gained", "lost", "maybe_gained", "maybe_lost", "cleared")}
        return {
            "kind": "iamcheck-diff", "schema_version": 1,
            "requirement": self.requirement_id,
            "old_read_at": self.old_read_at, "new_read_at": self.new_read_at,
            "summary": counts, "unmodelled": list(self.unmodelled),
            "transitions": [t.as_dict() for t in self.transitions],
        }


@dataclass(frozen=True)
class _Side:
    verdicts: dict[tuple[str, str], tuple[VerdictName, tuple[Path, ...]]]
    instance_names: dict[str, str]
    labels: dict[str, str]


def _side(doc: Mapping[str, Any], which: str) -> _Side:
    if doc.get("kind") != "iamcheck-audit" or doc.get("schema_version") != 2:
        raise DiffError(f"{which}: not an iamcheck audit document of schema_version 2")
    try:
        instances = [str(i["id"]) for i in doc["instances"]]
        names = {str(i["id"]): str(i.get("name") or "") for i in doc["instances"]}
        scopes = {str(s["id"]): [instances[p] for p in s["instances"]] for s in doc["scopes"]}
        verdicts: dict[tuple[str, str], tuple[VerdictName, tuple[Path, ...]]] = {}
        labels: dict[str, str] = {}
        for subject in doc["subjects"]:
            sid = str(subject["iam_id"])
            labels[sid] = str(subject.get("email") or subject.get("name") or sid)
            for scope_id in subject.get("unknown") or ():
                for iid in scopes[scope_id]:
                    verdicts[(iid, sid)] = ("unknown", ())
            for entry in subject.get("can_open") or ():
                paths = tuple(Path(str(t["action"]), str(t["policy_id"]), str(t["role"]),
                                   str(t["via"]), str(t.get("group_id") or ""),
                                   str(t.get("group_name") or "")) for t in entry["through"])
                for iid in scopes[entry["scope"]]:
                    verdicts[(iid, sid)] = ("allow", paths)
    except (KeyError, IndexError, TypeError) as err:
        raise DiffError(f"{which}: malformed audit document ({err!r:.60})") from None
    return _Side(verdicts, names, labels)


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any],
                   old_account: AccountData | None = None,
                   new_account: AccountData | None = None,
                   unmodelled: Iterable[str] = ()) -> AuditDiff:
    """Every (instance, subject) whose verdict differs. A subject or instance present on one
    side only counts as deny on the other (it did not exist, or was not selected)."""
    old_req = (old.get("requirement") or {}).get("id")
    new_req = (new.get("requirement") or {}).get("id")
    if old_req != new_req:
        raise DiffError(f"the audits check different requirements ({old_req} and {new_req})")
    a, b = _side(old, "old"), _side(new, "new")
    out = []
    for key in sorted(set(a.verdicts) | set(b.verdicts)):
        before, old_paths = a.verdicts.get(key, ("deny", ()))
        after, new_paths = b.verdicts.get(key, ("deny", ()))
        if before == after:
            continue  # allowed through other paths is neither a gain nor a loss
        iid, sid = key
        kind = _KINDS[(before, after)]
        paths = new_paths if after == "allow" else old_paths
        causes: tuple[Cause, ...] = ()
        if old_account is not None and new_account is not None:
            causes = _causes(kind, sid, paths, old_account, new_account)
        out.append(Transition(iid, b.instance_names.get(iid) or a.instance_names.get(iid, ""),
                              sid, b.labels.get(sid) or a.labels.get(sid, sid), before, after,
                              kind, paths, causes))
    return AuditDiff(str(new_req), str(old.get("read_at", "")), str(new.get("read_at", "")),
                     tuple(out), tuple(unmodelled))


def diff_reports(old: AuditReport, new: AuditReport, unmodelled: Iterable[str] = ()) -> AuditDiff:
    from iamcheck.audit.document import audit_document  # the document is the one comparison path

    return diff_documents(audit_document(old), audit_document(new), old.account, new.account,
                          unmodelled)


def _causes(kind: TransitionKind, subject: str, paths: tuple[Path, ...],
            old: AccountData, new: AccountData) -> tuple[Cause, ...]:
    gained = kind == "gained"
    was, now = (old, new) if gained else (new, old)  # `now`: the side the paths are on
    was_policies = {p.id: p for p in was.policies}
    now_policies = {p.id: p for p in now.policies}
    was_groups = {g.id: g for g in was.groups}
    was_members = {(m.group_id, m.iam_id) for m in was.memberships}
    out: list[Cause] = []
    roles: dict[str, list[str]] = {}
    for path in paths:
        roles.setdefault(path.policy_id, []).append(path.role)
    for path in {p.policy_id: p for p in paths}.values():  # one cause per policy
        shown = f"{', '.join(dict.fromkeys(roles[path.policy_id]))}, {path.via}"
        if path.policy_id not in was_policies:
            out.append(Cause("policy_added" if gained else "policy_removed", path.policy_id,
                             f"policy {path.policy_id} ({shown})"))
        elif was_policies[path.policy_id] != now_policies.get(path.policy_id):
            out.append(Cause("policy_changed", path.policy_id,
                             f"policy {path.policy_id} changed ({shown})"))
        gid = path.group_id
        if not gid or gid == PUBLIC_ACCESS_GROUP_ID:
            continue
        now_group = next((g for g in now.groups if g.id == gid), None)
        if gid not in was_groups:
            out.append(Cause("group_added" if gained else "group_removed", gid,
                             f"access group {path.group_name or gid}"))
        elif now_group is not None and now_group.rules != was_groups[gid].rules:
            out.append(Cause("rule_changed", gid,
                             f"dynamic rules of access group {path.group_name or gid}"))
        if (gid, subject) not in was_members:
            out.append(Cause("membership_added" if gained else "membership_removed", gid,
                             f"member of {path.group_name or gid}"))
    if not out and kind in ("maybe_gained", "maybe_lost", "cleared"):
        side, other = (old.gaps, new.gaps) if kind == "cleared" else (new.gaps, old.gaps)
        out += [Cause("gap", g.what, g.reason) for g in side
                if g.touches_subject((subject,)) and g not in other]
    if not out:
        before = next((u for u in old.users if u.iam_id == subject), None)
        after = next((u for u in new.users if u.iam_id == subject), None)
        if before != after:
            out.append(Cause("subject_changed", subject, "the user's state or record changed"))
    return tuple(dict.fromkeys(out))
