"""The published JSON Schemas (draft 2020-12) of the JSON documents iamcheck writes.

One file per document, `<name>.schema.json`; its `schema_version` matches the document's
constant, and CHANGELOG.md records each change. `iamcheck schema NAME` prints one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, cast

from iamcheck.errors import BadInput, printable

NAMES = ("audit", "check", "grant", "revoke", "console", "snapshot")


def names() -> tuple[str, ...]:
    return NAMES


def load(name: str) -> str:
    """The schema's text; BadInput naming the documents that have one otherwise."""
    if name not in NAMES:
        raise BadInput(f"no schema named '{printable(name[:40])}'; one of: {', '.join(NAMES)}")
    return resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


def schema(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(load(name)))
