"""Output formats behind one interface: each module renders the audit and/or check document.

A format module exposes `render_audit(doc) -> str` and, for those `check` accepts,
`render_check(doc) -> str`. Documents come from iamcheck.report.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import Any, Protocol, cast


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    JUNIT = "junit"
    SARIF = "sarif"
    MARKDOWN = "markdown"


class CheckFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class _AuditRenderer(Protocol):
    def render_audit(self, doc: dict[str, Any]) -> str: ...


class _CheckRenderer(Protocol):
    def render_check(self, doc: dict[str, Any]) -> str: ...


def _module(name: str) -> Any:
    return importlib.import_module(f"iamcheck.formats.{name}_format")


def render_audit(fmt: AuditFormat, doc: dict[str, Any]) -> str:
    return cast(_AuditRenderer, _module(fmt.value)).render_audit(doc)


def render_check(fmt: CheckFormat, doc: dict[str, Any]) -> str:
    return cast(_CheckRenderer, _module(fmt.value)).render_check(doc)
