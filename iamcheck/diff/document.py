"""The diff document every format renders (kind `iamcheck-diff`, schema_version 1): the
comparison's own dictionary, with the gate when one was asked for."""

from __future__ import annotations

from typing import Any

from iamcheck.diff.run import DiffResult


def diff_document(result: DiffResult) -> dict[str, Any]:
    doc = result.diff.as_dict()
    doc["gate"] = {"fail_on": list(result.fail_on),
                   "result": result.diff.gate(result.fail_on) if result.fail_on else None}
    return doc
