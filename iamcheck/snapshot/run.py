"""`snapshot`, step by step: check the input, read the whole account, save it."""

from __future__ import annotations

from pathlib import Path

from iamcheck.audit.run import read_or_load
from iamcheck.connection import Connection
from iamcheck.model import AccountData
from iamcheck.outfile import OutputFile
from iamcheck.read import snapshot as snapshots
from iamcheck.requirement import requirement_from


def snapshot(conn: Connection, output: OutputFile, requirement: Path | None) -> AccountData:
    """`output` is settled by outfile.open_output before the read (a device, a FIFO and `-`
    are written through; a regular file atomically)."""
    req = requirement_from(requirement)
    account = read_or_load(conn, req, None)
    output.write(snapshots.dumps(account))
    return account
