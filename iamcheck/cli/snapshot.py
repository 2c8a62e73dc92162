"""`iamcheck snapshot`: save what iamcheck reads, for --from-snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import Quiet, RequirementFile, not_a_format, with_connection
from iamcheck.connection import Connection


@with_connection
def snapshot(
    conn: Connection,
    output: Annotated[
        Path,
        typer.Option("--output-file", "-o", metavar="FILE", callback=not_a_format,
                     help="Where to save the snapshot (JSON)."),
    ],
    requirement: RequirementFile = None,
    quiet: Quiet = False,
) -> None:
    """Save what iamcheck reads from the account (no secrets), for --from-snapshot."""
    from iamcheck.formats import render

    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.outfile import open_output
        from iamcheck.snapshot.document import snapshot_document
        from iamcheck.snapshot.run import snapshot as run_snapshot

        target = open_output(str(output))  # checked before any IBM call
        account = run_snapshot(conn, target, requirement)
    if not quiet:
        typer.echo(render("snapshot", "table", snapshot_document(account, output)), err=True,
                   nl=False)
