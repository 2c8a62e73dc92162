"""JSON: the whole document, stable keys, for machines.

An audit document can hold thousands of subjects, instances and scopes, so each entry of its
top-level lists is written compactly on a line of its own: one subject, instance or scope per
line (grep-friendly), and encoded by the json module's C encoder, which `indent` would turn off.
"""

from __future__ import annotations

import json
from typing import Any

_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def render_audit(doc: dict[str, Any]) -> str:
    parts = ["{\n"]  # joined once at the end: the document can be 100 MB
    for n, (key, value) in enumerate(doc.items()):
        parts.append((",\n" if n else "") + f"  {_compact(key)}: ")
        if isinstance(value, list) and value:
            parts += ["[\n    ", ",\n    ".join(map(_compact, value)), "\n  ]"]
        else:
            parts.append(_compact(value))
    parts.append("\n}\n")
    return "".join(parts)


def render_check(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
