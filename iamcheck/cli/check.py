"""`iamcheck check`: one person, one instance, one verdict with its reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._common import (
    Account,
    ApikeyFile,
    Concurrency,
    Debug,
    Demo,
    Endpoint,
    Timeout,
)
from iamcheck.cli._errors import exit_on_error
from iamcheck.connection import Connection
from iamcheck.errors import ExitCode
from iamcheck.formats import CheckFormat

VERDICT_EXIT = {"allow": ExitCode.OK, "deny": ExitCode.FINDING, "unknown": ExitCode.UNKNOWN}


def check(
    instance: Annotated[
        str, typer.Option("--instance", "-i", metavar="ID|NAME|CRN", help="The VPC instance.")
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user", "-u", metavar="EMAIL|IAM_ID", help="Who (default: the owner of the API key)."
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Decide as of this ISO 8601 time with a UTC offset (default: now).",
        ),
    ] = None,
    fmt: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CheckFormat.TABLE,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; exit code only.")
    ] = False,
    requirement: Annotated[
        Path | None,
        typer.Option(
            "--requirement", metavar="FILE", help="Requirement file (default: VPC console)."
        ),
    ] = None,
    from_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--from-snapshot", metavar="FILE", help="Decide offline from a saved snapshot."
        ),
    ] = None,
    demo: Demo = False,
    endpoint: Endpoint = None,
    apikey_file: ApikeyFile = None,
    account: Account = None,
    concurrency: Concurrency = 8,
    timeout: Timeout = 300.0,
    debug: Debug = False,
) -> None:
    """Can this person open the console of this instance? Exit 0 allow, 1 deny, 3 unknown."""
    from iamcheck.commands import check_command

    with exit_on_error(debug):
        conn = Connection(demo, endpoint, apikey_file, account, concurrency, timeout, debug)
        doc = check_command(
            conn,
            user=user,
            instance=instance,
            at=at,
            requirement=requirement,
            snapshot=from_snapshot,
        )
    if not quiet:
        from iamcheck.formats import render_check

        typer.echo(render_check(fmt, doc), nl=False)
    raise typer.Exit(int(VERDICT_EXIT[doc["verdict"]]))
