"""Markdown: the audit as a GitHub-flavoured report for a PR comment or a CI job summary.

Same sections and the same summarisation as the table format (both come from _text), so a big
account stays well under GitHub's 65,536-character comment limit.
"""

from __future__ import annotations

from typing import Any

from iamcheck.formats._text import Section, audit_sections, header, summary


def _cell(text: str) -> str:
    """Table-safe: no raw HTML, no column breaks, several lines joined with <br>."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(line.strip() for line in text.splitlines()) or " "


def _table(section: Section) -> list[str]:
    lines = [f"### {section.title}", ""]
    if not section.rows:
        lines.append(f"_{section.empty}_")
    else:
        lines.append("| " + " | ".join(h.capitalize() for h in section.headers) + " |")
        lines.append("|" + "---|" * len(section.headers))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in section.rows]
    if section.notes:
        lines.append("")
        lines += [f"_{note}_" if "`" not in note else note for note in section.notes]
    return [*lines, ""]


def render_audit(doc: dict[str, Any]) -> str:
    fields = dict(header(doc))
    title = (doc.get("requirement") or {}).get("title", "")
    out = [f"## iamcheck audit: account `{fields['account']}`", "",
           f"**Requirement** `{fields['requirement']}`" + (f": {_cell(title)}" if title else "")
           + "\\",  # a hard line break
           f"**Evaluated at** {fields['evaluated at']} · **Data read at** {fields['data read at']}",
           "", *(f"- {line}" for line in summary(doc)), ""]
    for section in audit_sections(doc):
        out += _table(section)
    return "\n".join(out).rstrip("\n") + "\n"
