"""The audit sections for the layers beside policies, shared by the table and Markdown formats:
trusted profiles with who may apply them and what is linked to them (P5), the compute resources
that hold access through a profile link, the CBR rules on each instance (G1), and the layers
iamcheck could not read (V5). Built from the audit document only."""

from __future__ import annotations

from typing import Any

from iamcheck.formats._text import Section


def _condition(c: dict[str, Any]) -> str:
    return f"{c.get('claim', '')} {c.get('operator', '')} {c.get('value', '')}"


def _may_apply(rule: dict[str, Any]) -> str:
    if rule.get("type") == "Profile-CR":
        return f"{rule.get('rule', '')}: compute resources of type {rule.get('cr_type', '')}"
    conditions = " and ".join(_condition(c) for c in rule.get("conditions") or [])
    return (f"{rule.get('rule', '')}: anyone who signs in through {rule.get('realm', '')}"
            + (f" with {conditions}" if conditions else ""))


def _linked(link: dict[str, Any]) -> str:
    where = "/".join(p for p in (link.get("namespace", ""), link.get("resource_name", "")) if p)
    name = f" {link['instance']}" if link.get("instance") else ""
    return f"{link.get('cr_type', '')}{name} {link.get('crn', '')}" + (f" {where}" if where else "")


def profiles(doc: dict[str, Any]) -> Section | None:
    found = [s for s in doc.get("subjects", []) if s.get("kind") == "trusted_profile"]
    if not found:
        return None
    rows = [[s.get("name") or s.get("iam_id", ""),
             "\n".join(_may_apply(r) for r in s.get("may_apply") or []) or "nobody by a claim rule",
             "\n".join(_linked(x) for x in s.get("linked") or []) or "-"]
            for s in found]
    return Section("Trusted profiles (P5)", ["PROFILE", "WHO MAY APPLY IT", "LINKED"], rows,
                   frozenset({1, 2}), ["what a profile can open is listed above, as a subject"])


def link_holders(doc: dict[str, Any]) -> Section | None:
    rows = [[inst.get("name") or inst.get("id", ""), holder.get("kind", ""),
             holder.get("verdict", ""),
             _linked(holder) + f" (as trusted profile {holder.get('profile_name', '')})"]
            for inst in doc.get("instances", []) for holder in inst.get("link_holders") or []]
    if not rows:
        return None
    return Section("Holders through a profile link (P5)", ["INSTANCE", "KIND", "VERDICT", "HOLDER"],
                   rows, frozenset({3}))


def context_rules(doc: dict[str, Any]) -> Section | None:
    rows = [[inst.get("name") or inst.get("id", ""), rule.get("rule_id", ""),
             "enforced" if rule.get("enforced") else "report-only", rule.get("text", "")]
            for inst in doc.get("instances", []) for rule in inst.get("context_rules") or []]
    if not rows:
        return None
    return Section("Context-based restrictions (G1)", ["INSTANCE", "RULE", "MODE", "REQUIRES"],
                   rows, frozenset({3}),
                   ["every verdict on these instances is IAM's: an enforced rule can still "
                    "refuse the request (--strict-context makes such an allow unknown)"])


def layer_gaps(doc: dict[str, Any]) -> Section | None:
    rows = [[g.get("layer", ""), g.get("text", "")] for g in doc.get("layer_gaps") or []]
    if not rows:
        return None
    return Section("Layers not read (V5)", ["LAYER", "WHAT"], rows, frozenset({1}))


def layer_sections(doc: dict[str, Any]) -> list[Section]:
    found = (profiles(doc), link_holders(doc), context_rules(doc), layer_gaps(doc))
    return [s for s in found if s is not None]
