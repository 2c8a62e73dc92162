"""A document with every string (keys too) shown through safe_text.for_terminal, for the
formats a person reads in a terminal or a text file (table, check, grant, revoke, console).

Escaping the document once, before a format builds its lines, covers every field whatever part
of the document a format reads, including parts added later; the lines and cell breaks the
format itself makes stay real. The same function on every string keeps look-ups between
document parts (scope ids, actions) consistent.
"""

from __future__ import annotations

from typing import Any

from iamcheck.safe_text import for_terminal, is_clean


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value if is_clean(value) and "\\" not in value else for_terminal(value)
    if isinstance(value, dict):
        return {_shown(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def terminal_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every string safe to print: no escape sequence, control, bidi or invisible
    character, and no line break inside a value."""
    shown: dict[str, Any] = _shown(doc)
    return shown
