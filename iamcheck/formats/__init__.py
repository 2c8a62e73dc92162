"""Every document iamcheck prints goes through `render`: one registry of (document, format)
pairs, each a function of the JSON-ready document alone, and one JSON writer (json_format).

Documents come from each command's document module (audit, check, grant, console, snapshot).
Format modules are imported only when used, so that `--help` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal, TextIO, cast


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    HTML = "html"


DiffFormat = AuditFormat  # `diff` writes every format `audit` does


class CheckFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class Emit(StrEnum):
    """What `grant --emit` prints instead of its result: the planned policies as code."""

    TERRAFORM = "terraform"
    IBMCLOUD = "ibmcloud"
    JSON = "json"  # the v2 bodies


Document = Literal["audit", "check", "grant", "grant-plan", "revoke", "revoke-plan", "console",
                   "snapshot", "diff", "review"]
# (document, format) -> "module:function" under iamcheck.formats
REGISTRY: dict[tuple[Document, str], str] = {
    **{("audit", f.value): f"{f.value}_format:render_audit" for f in AuditFormat},
    ("check", "table"): "table_format:render_check",
    ("check", "json"): "json_format:render_check",
    ("grant", "table"): "grant_format:render_grant",
    ("grant", "json"): "json_format:render_grant",
    ("grant-plan", "table"): "grant_format:render_grant_plan",
    ("grant", "terraform"): "emit_format:render_terraform",  # grant --emit
    ("grant", "ibmcloud"): "emit_format:render_ibmcloud",
    ("grant", "body"): "emit_format:render_body",
    ("revoke", "table"): "grant_format:render_revoke",
    ("revoke", "json"): "json_format:render_revoke",
    ("revoke-plan", "table"): "grant_format:render_revoke_plan",
    ("console", "table"): "console_format:render_console",
    ("console", "json"): "json_format:render_console",
    ("snapshot", "table"): "console_format:render_snapshot",
    **{("diff", f.value): f"diff_format:render_{f.value}" for f in DiffFormat},
    ("diff", "json"): "json_format:write",
    ("diff", "html"): "html_format:render_diff",
    ("review", "csv"): "review_format:render_csv",  # audit --by subject
    ("review", "json"): "json_format:write",
}


def render(document: Document, fmt: str, doc: dict[str, Any], **options: Any) -> str:
    module, _, name = REGISTRY[document, fmt].partition(":")
    renderer = getattr(importlib.import_module(f"iamcheck.formats.{module}"), name)
    return cast(Callable[..., str], renderer)(doc, **options)


def stream(document: Document, fmt: str, doc: dict[str, Any], out: TextIO) -> None:
    """Write the document to `out`: as it is encoded when the format can stream (its module has
    `stream_<document>` beside `render_<document>`: CSV and JSON audits), else rendered whole."""
    module, _, name = REGISTRY[document, fmt].partition(":")
    loaded = importlib.import_module(f"iamcheck.formats.{module}")
    streamer = getattr(loaded, name.replace("render_", "stream_", 1), None)
    if streamer is not None:
        cast(Callable[[dict[str, Any], TextIO], None], streamer)(doc, out)
    else:
        out.write(cast(Callable[..., str], getattr(loaded, name))(doc))


def render_audit(fmt: AuditFormat, doc: dict[str, Any]) -> str:
    return render("audit", fmt.value, doc)


def render_check(fmt: CheckFormat, doc: dict[str, Any]) -> str:
    return render("check", fmt.value, doc)
