"""Table: for a person at a terminal. Plain text, no colour codes, so it pipes and greps well.

`width` (the terminal's, from formats.width) fits every table to it: columns wider than their
share are wrapped inside their cells, the widest first; without it, free-text columns wrap at
WRAP and the table is as wide as it needs.
"""

from __future__ import annotations

import textwrap
from typing import Any

from tabulate import tabulate

from iamcheck.formats._safe import terminal_doc
from iamcheck.formats._text import Section, audit_sections, header, roles_for, summary

WRAP = 72  # width of free-text columns (finding details, reasons)
TOP_NEAR_MISSES = 5
VERDICT_WORD = {"allow": "ALLOWED", "deny": "DENIED", "unknown": "UNKNOWN"}


GAP = 2  # spaces between columns in tabulate's plain format
HEADER_PAD = 2  # tabulate's MIN_PADDING: a column is at least its header plus this
MIN_COLUMN = 12  # a column is not wrapped narrower than this (or its header, or its content)


def _table(section: Section, width: int | None = None) -> list[str]:
    lines = [section.title]
    if not section.rows:
        return [*lines, f"  {section.empty}", *section.notes]
    if width is None:
        rows = [[_fill(cell) if col in section.wrap else cell
                 for col, cell in enumerate(row)] for row in section.rows]
    else:
        rows = fit(section.rows, section.headers, width)
    lines.append(tabulate(rows, headers=section.headers, tablefmt="plain",
                          disable_numparse=True))
    if width is None:
        return lines + section.notes
    return lines + [line for note in section.notes
                    for line in _fill(note, width, subsequent_indent="  ").splitlines()]


def _longest(text: str) -> int:
    return max((len(line) for line in text.split("\n")), default=0)


def column_widths(rows: list[list[str]], headers: list[str], width: int) -> list[int]:
    """Each column's width so that the table fits `width`: the widest column gives way first,
    none below MIN_COLUMN (or what it needs, if less)."""
    # tabulate makes a column at least its header plus HEADER_PAD wide
    natural = [max([len(h) + HEADER_PAD, *(_longest(row[n]) for row in rows)])
               for n, h in enumerate(headers)]
    floor = [min(w, max(MIN_COLUMN, len(h) + HEADER_PAD))
             for w, h in zip(natural, headers, strict=True)]
    widths = list(natural)
    room = width - GAP * (len(headers) - 1)
    while sum(widths) > room:
        wider = [n for n, w in enumerate(widths) if w > floor[n]]
        if not wider:
            break  # the terminal is narrower than the narrowest readable table
        n = max(wider, key=lambda k: widths[k])
        widths[n] -= 1
    return widths


def fit(rows: list[list[str]], headers: list[str], width: int) -> list[list[str]]:
    """`rows` with every cell wrapped to its column's width (column_widths)."""
    widths = column_widths(rows, headers, width)
    return [[cell if _longest(cell) <= w else _wrap_cell(cell, w)
             for cell, w in zip(row, widths, strict=True)] for row in rows]


CONTINUED = "\u21aa"  # starts the rest of a word cut at the column's edge


def _wrap_cell(cell: str, width: int) -> str:
    return "\n".join(part for line in cell.split("\n") for part in _wrap_line(line, width))


def _wrap_line(line: str, width: int) -> list[str]:
    """Words to the width; a word longer than the column is cut, and each piece after the
    first starts with CONTINUED, so a piece of account text never starts a line of its own
    that could read as a line of the report."""
    out: list[str] = []
    for part in textwrap.wrap(line, width, break_on_hyphens=False,
                              break_long_words=False) or [""]:
        if len(part) <= width or width < 2:
            out.append(part)
            continue
        out.append(part[:width])
        rest = part[width:]
        while rest:
            out.append(CONTINUED + rest[:width - 1])
            rest = rest[width - 1:]
    return out


def _fill(text: str, width: int = WRAP, **kw: Any) -> str:
    # ids and CRNs must stay whole: never break inside a word or at its hyphens
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False, **kw)


def render_audit(doc: dict[str, Any], width: int | None = None, wide: bool = False) -> str:
    """`width`: the terminal's (None: not a terminal); `wide`: every row and name, no +N."""
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    title = "iamcheck audit  " + "  ".join(f"{k} {v}" for k, v in header(doc)[:3])
    out = [*(_fill(title, width).splitlines() if width else [title]),
           "Summary", *(f"  {line}" for line in summary(doc)), ""]
    for section in audit_sections(doc, wide):
        out += [*_table(section, None if wide else width), ""]
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


def render_check(doc: dict[str, Any], width: int | None = None) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
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
    headers = ["ACTION", "POLICY", "ROLE", "FROM"]
    out += [tabulate(fit(rows, headers, width) if width and rows else rows, headers=headers,
                     tablefmt="plain"), ""]
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
    if doc.get("fix"):  # never wrapped, so that it can be copied
        out += ["", "Fix (an account administrator runs):", f"  {doc['fix']}"]
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
