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
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamcheck.errors import BadInput, printable
from iamcheck.outfile import LogFile, open_log

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
    """Opened by `prepare` through outfile.open_log (no symlink followed, a FIFO with no reader
    refused, an existing log readable by others tightened to 0600), before any IBM call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: LogFile | None = None

    def prepare(self) -> None:
        """Make sure entries can be appended, before anything is changed."""
        if self.path.parent != Path() and not self.path.parent.exists():
            try:  # the default lives in a state directory that may not exist yet
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as err:
                raise BadInput(f"--log: cannot create {printable(str(self.path.parent))} "
                               f"({err.strerror})") from None
        self._file = open_log(str(self.path))
        if self._file.tightened_from is not None:
            sys.stderr.write(f"iamcheck: --log {printable(str(self.path))} was mode "
                             f"{self._file.tightened_from:o}; restricted to the owner\n")

    def append(self, entry: Mapping[str, Any]) -> None:
        """Write one entry as one line and make it durable before returning."""
        record = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                  **scrubbed(entry)}
        if self._file is None:
            self.prepare()
        assert self._file is not None
        # json.dumps escapes every control character, so a record is one line
        self._file.append(json.dumps(record, ensure_ascii=False, sort_keys=False))


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Every entry of a log (for tests and for people reading it back)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.strip()]
