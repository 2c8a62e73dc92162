"""The access-review export (`audit --by subject`) as CSV: one row per (subject, scope)."""

from __future__ import annotations

import csv
import io
from typing import Any

from iamcheck.review.export import HEADER
from iamcheck.safe_text import for_csv


def _cell(column: str, value: Any) -> str:
    """Lists joined as review/export.py's own CSV does: reasons by " | ", the rest by "; "."""
    if isinstance(value, list):
        value = (" | " if column == "reasons" else "; ").join(map(str, value))
    return for_csv("" if value is None else str(value))


def render_csv(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in doc.get("rows") or ():
        writer.writerow([_cell(column, row.get(column)) for column in HEADER])
    return buffer.getvalue()
