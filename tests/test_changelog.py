"""CHANGELOG.md names the schema_version each JSON document carries today."""

from __future__ import annotations

import re
from pathlib import Path

from iamcheck.audit import document as audit_document
from iamcheck.check import document as check_document
from iamcheck.console import document as console_document
from iamcheck.grant import document as grant_document
from iamcheck.read import snapshot

TEXT = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_schema_versions_are_the_code_s() -> None:
    rows = dict(re.findall(r"^\| `([a-z]+)[^|]*\| [^|]*\| (\d+) \|", TEXT, re.M))
    assert rows == {
        "audit": str(audit_document.AUDIT_SCHEMA_VERSION),
        "check": str(check_document.SCHEMA_VERSION),
        "grant": str(grant_document.SCHEMA_VERSION),
        "revoke": str(grant_document.SCHEMA_VERSION),
        "console": str(console_document.SCHEMA_VERSION),
        "snapshot": str(snapshot.SCHEMA_VERSION),
    }
