"""Markdown: the audit as a GitHub-flavoured summary for a PR comment or a CI job summary.

Same sections and the same summarisation as the table format (both come from _text), and it
always fits GitHub's 65,536-character comment limit, whatever the account's size: sections show
fewer rows (and long cells are shortened) until it does, and it says where the full report is.
Every account text is shown through safe_text.for_markdown: a code span, inside which nothing
is markup.
"""

from __future__ import annotations

import sys
from typing import Any

from iamcheck.formats._text import MAX_ROWS, Section, audit_sections, header, summary
from iamcheck.safe_text import for_markdown

LIMIT = 65_536  # characters in a GitHub comment
# rows a section shows, tried in turn: all the table format shows, then fewer
ROW_STEPS = (sys.maxsize, MAX_ROWS, 20, 10, 5, 2, 0)
CELL = 600  # characters of one cell's line before it is shortened
FULL_REPORT = ("_This is a summary. The full report: `iamcheck audit --format json` (every "
               "subject, scope, finding and gap), or `--format csv` (one row per pair)._")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... (+{len(text) - limit} chars)"


def _cell(text: str, limit: int = CELL) -> str:
    """Each line of the cell as a code span, lines joined with <br>."""
    lines = [for_markdown(_short(line.strip(), limit)) for line in str(text).splitlines()]
    return "<br>".join(line for line in lines if line) or " "


def _table(section: Section, rows: int) -> list[str]:
    lines = [f"### {section.title}", ""]
    shown = section.rows[:rows]
    if not section.rows:
        lines.append(f"_{section.empty}_")
    elif shown:
        lines.append("| " + " | ".join(h.capitalize() for h in section.headers) + " |")
        lines.append("|" + "---|" * len(section.headers))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in shown]
    notes = list(section.notes)
    if len(shown) < len(section.rows):
        notes.insert(0, f"{len(section.rows) - len(shown)} more rows not shown here "
                        "(see the full report)")
    if notes:
        lines.append("")
        lines += [f"_{note}_" if "`" not in note else note for note in notes]
    return [*lines, ""]


def _head(doc: dict[str, Any]) -> list[str]:
    fields = dict(header(doc))
    title = (doc.get("requirement") or {}).get("title", "")

    def span(text: str, limit: int) -> str:
        return for_markdown(_short(text, limit), in_table=False) or "-"

    named = f": {span(title, 300)}" if title else ""
    return [f"## iamcheck audit: account {span(fields['account'], 200)}", "",
            f"**Requirement** {span(fields['requirement'], 200)}{named}\\",  # a hard break
            f"**Evaluated at** {span(fields['evaluated at'], 64)}"
            f" · **Data read at** {span(fields['data read at'], 64)}",
            "", *(f"- {line}" for line in summary(doc)), ""]


def render_audit(doc: dict[str, Any]) -> str:
    head, sections = _head(doc), audit_sections(doc)
    text = ""
    for rows in ROW_STEPS:
        out = [*head]
        for section in sections:
            out += _table(section, rows)
        text = "\n".join([*out, FULL_REPORT]) + "\n"
        if len(text) <= LIMIT:
            return text
    # Only the headings and notes left, and still too long (thousands of sections' notes):
    # the head and the pointer to the full report, which always fit.
    cut = "\n".join([*head, "_The sections do not fit in a comment._", FULL_REPORT]) + "\n"
    if len(cut) > LIMIT:
        cut = cut[:LIMIT - len(FULL_REPORT) - 2] + "\n" + FULL_REPORT + "\n"
    return cut
