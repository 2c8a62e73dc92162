"""The audit log of grant and revoke: one JSON object per line, appended, flushed and fsynced per
entry, so that an interrupted run still leaves a complete record of what it asked IBM to do.

Entries say who ran iamcheck (the API key's IAM identity and the local user name), when, on which
account, for which subject, with which policy id and body. Never a secret: the API key and tokens
are never passed in, and keys that look like credentials are dropped on the way out.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamcheck.errors import BadInput

FILE_NAME = "audit.jsonl"
_SECRET_WORDS = ("apikey", "api_key", "token", "authorization", "password", "secret")


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/iamcheck/audit.jsonl, else ~/.local/state/iamcheck/audit.jsonl."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME", "").strip()
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local/state"
    return base / "iamcheck" / FILE_NAME


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return ""


def scrubbed(value: Any) -> Any:
    """`value` without any mapping key that names a credential."""
    if isinstance(value, Mapping):
        return {k: scrubbed(v) for k, v in value.items()
                if not any(word in str(k).lower() for word in _SECRET_WORDS)}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return value


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def prepare(self) -> None:
        """Make sure entries can be appended, before anything is changed."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as err:
            raise BadInput(f"--log: cannot append to {self.path} ({err.strerror})") from None

    def append(self, entry: Mapping[str, Any]) -> None:
        """Write one entry as one line and make it durable before returning."""
        record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                  **scrubbed(entry)}
        line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Every entry of a log (for tests and for people reading it back)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.strip()]
