"""`iamcheck audit`: who can open the console of which instances, and what is risky."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._common import Account, ApikeyFile, Concurrency, Debug, Demo, Endpoint, Timeout
from iamcheck.cli._errors import exit_on_error
from iamcheck.connection import Connection
from iamcheck.errors import ExitCode
from iamcheck.formats import AuditFormat

SELECT = "Selection"
Many = list[str] | None


def audit(
    instance: Annotated[
        Many,
        typer.Option(
            "--instance",
            "-i",
            metavar="ID|NAME|CRN",
            help="Only these instances (repeatable).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    resource_group: Annotated[
        Many,
        typer.Option(
            "--resource-group",
            metavar="NAME|ID",
            help="Only instances in these resource groups.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    region: Annotated[
        Many,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Only instances in these regions.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    user: Annotated[
        Many,
        typer.Option(
            "--user",
            "-u",
            metavar="EMAIL|IAM_ID",
            help="Only these people (repeatable).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    access_group: Annotated[
        Many,
        typer.Option(
            "--access-group",
            metavar="NAME|ID",
            help="Only the members of these access groups.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    expect: Annotated[
        Path | None,
        typer.Option(
            "--expect",
            metavar="FILE",
            help="Who must be able to open the selected instances: one "
            "email, IAM ID or group:NAME per line (or a JSON list). Exit 1 when unmet.",
        ),
    ] = None,
    only_expected: Annotated[
        bool,
        typer.Option(
            "--only-expected", help="With --expect: anyone else who can open them is a finding."
        ),
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Decide as of this ISO 8601 time with a UTC offset (default: now).",
        ),
    ] = None,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Output format.")
    ] = AuditFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout."
        ),
    ] = None,
    requirement: Annotated[
        Path | None,
        typer.Option(
            "--requirement", metavar="FILE", help="Requirement file (default: VPC console)."
        ),
    ] = None,
    from_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--from-snapshot", metavar="FILE", help="Audit offline from a saved snapshot."
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
    """Who can open the console of which instances, who is one role short, what is risky.

    With --expect it gates CI: exit 1 when an expected person lacks access (or, with
    --only-expected, an unexpected one has it), 3 when a verdict that matters is unknown.
    """
    from iamcheck.commands import audit_command
    from iamcheck.formats import render_audit
    from iamcheck.snapshot import write_atomic

    with exit_on_error(debug):
        conn = Connection(demo, endpoint, apikey_file, account, concurrency, timeout, debug)
        selection = {
            "instance": instance or [],
            "resource_group": resource_group or [],
            "region": region or [],
            "user": user or [],
            "access_group": access_group or [],
        }
        report, doc = audit_command(
            conn,
            selection=selection,
            expect=expect,
            only_expected=only_expected,
            at=at,
            requirement=requirement,
            snapshot=from_snapshot,
        )
        text = render_audit(fmt, doc)
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_atomic(output, text)
            typer.echo(f"iamcheck: wrote {fmt.value} report to {output}", err=True)
    outcome = report.expectations
    if outcome is not None and outcome.failed:
        raise typer.Exit(int(ExitCode.FINDING))
    if outcome is not None and outcome.undecided:
        raise typer.Exit(int(ExitCode.UNKNOWN))


def snapshot(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="Where to save the snapshot (JSON)."),
    ],
    requirement: Annotated[
        Path | None,
        typer.Option(
            "--requirement", metavar="FILE", help="Requirement file (default: VPC console)."
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
    """Save what iamcheck reads from the account (no secrets), for --from-snapshot."""
    from iamcheck.commands import snapshot_command

    with exit_on_error(debug):
        conn = Connection(demo, endpoint, apikey_file, account, concurrency, timeout, debug)
        data = snapshot_command(conn, output=output, requirement=requirement)
    typer.echo(
        f"iamcheck: saved {len(data.users)} users, {len(data.policies)} policies, "
        f"{len(data.instances)} instances to {output}",
        err=True,
    )
