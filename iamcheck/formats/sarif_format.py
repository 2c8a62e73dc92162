"""SARIF 2.1.0: findings and expectation violations for GitHub code scanning.

There is no source file behind an IAM finding. GitHub rejects a result whose location has no
physicalLocation ("expected a physical location"), so each location pairs a logicalLocation (the
policy, or the subject and instance) with a stable pseudo-path under ibm-cloud/<account>/ (or the
expectations file when the document names it). partialFingerprints.primaryLocationLineHash, the
one fingerprint GitHub reads, is a hash of what identifies the result, so re-runs de-duplicate.

The log says what the exit code says (both from the document's `gate`): a result has level
"error" exactly when it fails the gate (a finding matching --fail-on, an expectation violation,
an undecided expectation, a gap in the data read), and `invocations[0].exitCode` is the exit
code. Account text is carried exactly: SARIF is data, and its readers escape.
"""

from __future__ import annotations

import hashlib
from typing import Any

import iamcheck
from iamcheck.formats import json_format
from iamcheck.formats._text import Index

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# kind -> (level, short description, full description); README anchors are #<kind> for findings
# and #expectation-<kind> for violations.
FINDING_RULES = {
    "public_access": ("warning", "Policy assigned to the Public Access group",
                      "A policy on the service is assigned to the Public Access group, so everyone "
                      "holds its roles, signed in or not."),
    "dynamic_group": ("warning", "Console access through a dynamic access group rule",
                      "A policy carrying a required action is assigned to an access group that "
                      "users join through a dynamic rule: who holds it depends on "
                      "identity-provider claims at login, which the account does not record."),
    "expired_but_active": ("note", "Expired policy still present",
                           "The policy's time condition has expired, so it grants nothing, but IBM "
                           "does not remove it: it still counts against the policy limit."),
    "template_managed": ("note", "Policy managed by an enterprise template",
                         "The policy comes from an enterprise policy template: change it in the "
                         "template, not in this account."),
    "unused_access": ("note", "Console policy not used",
                      "The policy supplies a console action but IAM has no record of it "
                      "permitting anything for the given number of days, or ever."),
}
VIOLATION_RULES = {
    "missing": ("error", "Expected person cannot open the console",
                "A subject listed in the expectations cannot open the console of an instance."),
    "unexpected": ("error", "Unexpected person can open the console",
                   "A subject not listed in the expectations can open the console of an instance."),
    "unknown": ("warning", "Console access cannot be decided",
                "Whether this subject can open the console depends on something iamcheck cannot "
                "see (a dynamic group rule, an unknown attribute, data it could not read)."),
}
GAP_RULE = ("error", "Data not read in full",
            "iamcheck could not read part of the account (its key may not read it, or IBM "
            "refused the read): the verdicts it touches are unknown, and the audit exits 3.")
LEVELS = {"warning": "warning", "info": "note", "error": "error"}


def _rule(rule_id: str, anchor: str, spec: tuple[str, str, str]) -> dict[str, Any]:
    level, short, full = spec
    # No helpUri: the project has no published address to point at; the README section
    # "Findings" carries the same text under the same name.
    return {"id": rule_id, "name": anchor, "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": f"{full} See the README of iamcheck, section Findings ({anchor})."},
            "defaultConfiguration": {"level": level},
            "properties": {"tags": ["security", "iam", "ibm-cloud"], "precision": "high",
                           "problem.severity": "recommendation" if level == "note" else level}}


def _fingerprint(*parts: str) -> dict[str, str]:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return {"primaryLocationLineHash": f"{digest[:16]}:1", "iamcheck/v1": digest}


def _location(uri: str, logical: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
             "logicalLocations": logical}]


class _Run:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.account = str(doc.get("account_id", ""))
        self.rules: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.results: list[dict[str, Any]] = []
        for kind, spec in FINDING_RULES.items():
            self.rule(f"finding/{kind}", kind, spec)
        for kind, spec in VIOLATION_RULES.items():
            self.rule(f"expectation/{kind}", f"expectation-{kind}", spec)
        self.rule("gap", "gaps", GAP_RULE)

    def rule(self, rule_id: str, anchor: str, spec: tuple[str, str, str]) -> int:
        if rule_id not in self.index:  # a kind this version does not describe still gets a rule
            self.index[rule_id] = len(self.rules)
            self.rules.append(_rule(rule_id, anchor, spec))
        return self.index[rule_id]

    def result(self, rule_id: str, level: str, text: str, uri: str,
               logical: list[dict[str, str]], *identity: str) -> None:
        self.results.append({
            "ruleId": rule_id, "ruleIndex": self.index[rule_id], "level": level,
            "message": {"text": text}, "locations": _location(uri, logical),
            "partialFingerprints": _fingerprint(rule_id, self.account, *identity)})


def render_audit(doc: dict[str, Any]) -> str:
    run = _Run(doc)
    idx = Index(doc)
    base = f"ibm-cloud/{run.account}"
    for f in doc.get("findings", []):
        kind, policy, subject = f.get("kind", ""), f.get("policy_id", ""), f.get("subject", "")
        level = "error" if f.get("fails_gate") else LEVELS.get(str(f.get("severity")), "warning")
        rule_id = f"finding/{kind}"
        run.rule(rule_id, kind, (level, kind.replace("_", " "), kind.replace("_", " ")))
        run.result(rule_id, level, f.get("detail") or f"{kind} on policy {policy}",
                   f"{base}/policies/{policy}",
                   [{"name": policy, "fullyQualifiedName": f"{run.account}/policies/{policy}",
                     "kind": "resource"},
                    {"name": idx.who(subject), "fullyQualifiedName": f"{run.account}/{subject}",
                     "kind": "object"}],
                   policy, subject)
    exp = doc.get("expectations") or {}
    for v in exp.get("violations", []):
        kind, subject, instance = v.get("kind", ""), v.get("subject", ""), v.get("instance_id", "")
        rule_id = f"expectation/{kind}"
        run.rule(rule_id, f"expectation-{kind}", ("warning", kind, kind))
        level = "error"  # every violation fails the gate: exit 1, or 3 when undecided
        text = (f"{idx.who(subject)}: {v.get('detail', '')} (instance {idx.name(instance)}, "
                f"{instance}, account {run.account}).")
        run.result(rule_id, level, text, exp.get("source") or f"{base}/instances/{instance}",
                   [{"name": idx.who(subject), "fullyQualifiedName": f"{run.account}/{subject}",
                     "kind": "object"},
                    {"name": idx.name(instance),
                     "fullyQualifiedName": f"{run.account}/instances/{instance}",
                     "kind": "resource"}],
                   subject, instance)
    for g in doc.get("gaps", []):
        what = str(g.get("what", ""))
        run.result("gap", "error", f"Not read in full: {what} ({g.get('reason', '')}); the "
                   "verdicts it touches are unknown.", f"{base}/gaps",
                   [{"name": what, "kind": "resource"}], what)
    gate = doc.get("gate") or {}
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "iamcheck", "version": iamcheck.__version__,
                            "rules": run.rules}},
        "invocations": [{"executionSuccessful": True,
                         "exitCode": int(gate.get("exit_code", 0))}],
        "results": run.results,
        "properties": {"account_id": run.account,
                       "requirement": (doc.get("requirement") or {}).get("id", ""),
                       "evaluated_at": doc.get("evaluated_at", ""),
                       "gate": gate.get("result", "pass")}}]}
    return json_format.write(log)
