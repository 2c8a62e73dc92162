"""What a saved snapshot holds, as a document (its summary goes to stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iamcheck.model import AccountData


def snapshot_document(account: AccountData, path: Path) -> dict[str, Any]:
    return {"kind": "iamcheck-snapshot-summary", "path": str(path), "users": len(account.users),
            "policies": len(account.policies), "instances": len(account.instances)}
