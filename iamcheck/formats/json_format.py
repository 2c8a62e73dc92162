"""JSON: the whole document, stable keys, for machines."""

from __future__ import annotations

import json
from typing import Any


def render_audit(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_check(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
