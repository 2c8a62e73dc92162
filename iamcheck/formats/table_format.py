"""Table: for a person at a terminal. Plain text, no colour codes, so it pipes and greps well."""

from __future__ import annotations

import textwrap
from typing import Any

from tabulate import tabulate

from iamcheck.formats._text import Section, audit_sections, header, roles_for, summary

WRAP = 72  # width of free-text columns (finding details, reasons)
TOP_NEAR_MISSES = 5
VERDICT_WORD = {"allow": "ALLOWED", "deny": "DENIED", "unknown": "UNKNOWN"}


def _table(section: Section) -> list[str]:
    lines = [section.title]
    if not section.rows:
        return [*lines, f"  {section.empty}", *section.notes]
    rows = [[_fill(cell) if col in section.wrap else cell
             for col, cell in enumerate(row)] for row in section.rows]
    lines.append(tabulate(rows, headers=section.headers, tablefmt="plain",
                          disable_numparse=True))
    return lines + section.notes


def _fill(text: str, width: int = WRAP, **kw: Any) -> str:
    # ids and CRNs must stay whole: never break inside a word or at its hyphens
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False, **kw)


def render_audit(doc: dict[str, Any]) -> str:
    out = ["iamcheck audit  " + "  ".join(f"{k} {v}" for k, v in header(doc)[:3]),
           "Summary", *(f"  {line}" for line in summary(doc)), ""]
    for section in audit_sections(doc):
        out += [*_table(section), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _wrapped(label: str, text: str, indent: int = 4) -> list[str]:
    return _fill(text, WRAP + indent, initial_indent=label,
                 subsequent_indent=" " * indent).splitlines() or [label]


def _via(via: dict[str, Any] | None) -> str:
    if not via or via.get("kind") == "direct":
        return "directly"
    group = via.get("group_name") or via.get("group_id", "")
    if not via.get("certain", True):
        return f"group {group} (only if dynamic rule '{via.get('dynamic_rule', '')}' admits them)"
    return "the Public Access group" if via.get("kind") == "public" else f"group {group}"


def render_check(doc: dict[str, Any]) -> str:
    user, inst = doc.get("user") or {}, doc.get("instance") or {}
    person = user.get("email") or user.get("name") or user.get("iam_id", "")
    out = [f"{VERDICT_WORD.get(doc['verdict'], doc['verdict'].upper())}: {person} on instance "
           f"{inst.get('name') or inst.get('id', '')} ({inst.get('id', '')})",
           f"requirement {doc.get('requirement', '')}  account {doc.get('account_id', '')}  "
           f"at {doc.get('at', '')}", ""]
    rows = [[g["action"], g["policy_id"], g.get("role_name") or g.get("role_crn", ""),
             _via(g.get("via"))] for g in doc.get("grants", [])]
    uncertain_actions = {a for u in doc.get("uncertain", []) for a in u.get("actions", [])}
    rows += [[a, "-", "-", "uncertain" if a in uncertain_actions else "MISSING"]
             for a in doc.get("missing", [])]
    out += [tabulate(rows, headers=["ACTION", "POLICY", "ROLE", "FROM"], tablefmt="plain"), ""]
    requirement = {"roles_by_action": doc.get("roles_by_action") or {}}
    if doc.get("missing"):
        out += ["Missing: " + "; ".join(roles_for(a, requirement) for a in doc["missing"]), ""]
    out += _near_misses(doc.get("near_misses", []))
    if doc.get("uncertain"):
        out.append("Uncertain paths")
        for u in doc["uncertain"]:
            out += _wrapped(f"  [{u.get('rule', '')}] {u.get('kind', '')}: ", u.get("detail", ""))
        out.append("")
    out.append("Reasons")
    for reason in doc.get("reasons", []):
        out += _wrapped(f"  [{reason.get('rule', '')}] ", reason.get("text", ""), indent=7)
    return "\n".join(out) + "\n"


def _near_misses(misses: list[dict[str, Any]]) -> list[str]:
    if not misses:
        return []
    out = ["Near misses (nearest first)"]
    for n, miss in enumerate(misses[:TOP_NEAR_MISSES], 1):
        label = f"  {n}. [{miss.get('rule', '')}] {str(miss.get('kind', '')).replace('_', ' ')}: "
        out += _wrapped(label, miss.get("detail", ""), indent=6)
        if miss.get("when"):
            out.append(f"      when: {miss['when']}")
    if len(misses) > TOP_NEAR_MISSES:
        out.append(f"  +{len(misses) - TOP_NEAR_MISSES} more (--format json lists every one)")
    return [*out, ""]
