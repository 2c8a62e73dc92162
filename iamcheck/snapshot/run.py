"""`snapshot`, step by step: check the input, read the whole account, save it."""

from __future__ import annotations

from pathlib import Path

from iamcheck.audit.run import read_or_load
from iamcheck.connection import Connection
from iamcheck.model import AccountData
from iamcheck.read import snapshot as snapshots
from iamcheck.requirement import requirement_from


def snapshot(conn: Connection, output: Path, requirement: Path | None) -> AccountData:
    req = requirement_from(requirement)
    account = read_or_load(conn, req, None)
    snapshots.save(account, output)
    return account
