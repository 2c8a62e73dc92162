"""`iamcheck check`: one person, one instance, one verdict with its reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._colour import paint
from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import (
    At,
    ClaimsFile,
    Quiet,
    RequirementFile,
    StrictContext,
    format_option,
    with_connection,
)
from iamcheck.connection import Connection
from iamcheck.formats import CheckFormat


@with_connection
def check(
    conn: Connection,
    instance: Annotated[
        str, typer.Option("--instance", "-i", metavar="ID|NAME|CRN", help="The VPC instance.")
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", metavar="EMAIL|IAM_ID", help="Who (default: the owner of the API key)."
        ),
    ] = None,
    at: At = None,
    fmt: Annotated[CheckFormat, format_option()] = CheckFormat.TABLE,
    quiet: Quiet = False,
    requirement: RequirementFile = None,
    from_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--from-snapshot", metavar="FILE", help="Decide offline from a saved snapshot."
        ),
    ] = None,
    claims: ClaimsFile = None,
    strict_context: StrictContext = False,
) -> None:
    """Can this person open the console of this instance? Exit 0 allow, 1 deny, 3 unknown."""
    from iamcheck.formats import render

    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.check.document import check_document
        from iamcheck.check.run import CheckOptions
        from iamcheck.check.run import check as run_check

        opts = CheckOptions(instance, user, at, requirement, from_snapshot, claims,
                            strict_context)
        result = run_check(conn, opts)
    if not quiet:
        from iamcheck.formats.width import terminal_width

        layout = {"width": terminal_width()} if fmt is CheckFormat.TABLE else {}
        text = render("check", fmt.value, check_document(result), **layout)
        typer.echo(paint(text, fmt.value), nl=False)
    raise typer.Exit(int(result.exit_code))
