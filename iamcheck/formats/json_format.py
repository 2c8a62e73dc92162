"""JSON: every document iamcheck writes as JSON goes through this one writer, for machines.

Most documents are indented by two spaces. An audit document can hold thousands of subjects,
instances and scopes, so each entry of its top-level lists is written compactly on a line of its
own (grep-friendly), encoded by the json module's C encoder, which `indent` would turn off. The
console document keeps its keys sorted, as it always has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal, TextIO

Layout = Literal["indented", "lines", "sorted", "line"]
_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def write(doc: Any, layout: Layout = "indented") -> str:
    if layout == "lines":
        return "".join(_lines(doc))
    if layout == "line":  # one value on one line (JSON Lines)
        return _compact(doc) + "\n"
    if layout == "sorted":
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def stream(doc: Any, out: TextIO, layout: Layout = "indented") -> None:
    """The same bytes as `write`, written to `out` as they are encoded: with "lines", one entry
    of a top-level list at a time, so that memory holds the document and one entry's text."""
    if layout != "lines":
        out.write(write(doc, layout))
        return
    for part in _lines(doc):
        out.write(part)


def _lines(doc: dict[str, Any]) -> Iterator[str]:
    yield "{\n"
    for n, (key, value) in enumerate(doc.items()):
        yield (",\n" if n else "") + f"  {_compact(key)}: "
        if isinstance(value, list) and value:
            yield "[\n    "
            for k, entry in enumerate(value):
                yield (",\n    " if k else "") + _compact(entry)
            yield "\n  ]"
        else:
            yield _compact(value)
    yield "\n}\n"


def compact(value: Any, indent: int = 0) -> str:
    """Valid JSON, indented, with every object or list of plain values on one line (for a
    policy body shown in a terminal)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and any(isinstance(v, dict | list) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {compact(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [inner + compact(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def render_audit(doc: dict[str, Any]) -> str:
    return write(doc, "lines")


def stream_audit(doc: dict[str, Any], out: TextIO) -> None:
    stream(doc, out, "lines")


def render_check(doc: dict[str, Any]) -> str:
    return write(doc)


def render_grant(doc: dict[str, Any]) -> str:
    return write(doc)


render_revoke = render_grant


def render_console(doc: dict[str, Any]) -> str:
    return write(doc, "sorted")
