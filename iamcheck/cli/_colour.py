"""Colour for verdicts and pre-flight items: only on a terminal, never with NO_COLOR
(https://no-color.org) or --no-color, never in a machine format."""

from __future__ import annotations

import os
import re
import sys

_off = False


def turn_off() -> None:
    global _off
    _off = True


def wanted() -> bool:
    """Colour when stdout is a terminal, NO_COLOR is unset or empty, and --no-color not given."""
    if _off or os.environ.get("NO_COLOR", ""):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


# Only words iamcheck's own formats put at the start of a line: a verdict ("DENIED: ..."), a
# pre-flight item ("  FAIL  ..."). Account text never starts a line there (it is indented
# further when wrapped), and safe_text has already removed any escape it held.
_VERDICT = re.compile(r"^(ALLOWED|DENIED|UNKNOWN)(?=[: ])", re.MULTILINE)
_ITEM = re.compile(r"^(  )(PASS|FAIL|WARN|SKIP|UNDECIDED|UNKNOWN)(?= )", re.MULTILINE)
_COLOURS = {"ALLOWED": "green", "PASS": "green", "DENIED": "red", "FAIL": "red"}


def _style(word: str) -> str:
    import typer

    return typer.style(word, fg=_COLOURS.get(word, "yellow"), bold=True)


def paint(text: str, fmt: str = "table") -> str:
    """`text` with its verdicts and pre-flight items coloured, when colour is wanted and the
    format is the human one; otherwise `text` unchanged."""
    if fmt != "table" or not wanted():
        return text
    text = _VERDICT.sub(lambda m: _style(m.group(1)), text)
    return _ITEM.sub(lambda m: m.group(1) + _style(m.group(2)), text)
