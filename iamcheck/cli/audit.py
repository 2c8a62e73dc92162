"""`iamcheck audit`: who can open the console of which instances, and what is risky."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import At, RequirementFile, with_connection
from iamcheck.connection import Connection
from iamcheck.formats import AuditFormat

SELECT = "Selection"
Many = list[str] | None


@with_connection
def audit(
    conn: Connection,
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
    at: At = None,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Output format.")
    ] = AuditFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout."
        ),
    ] = None,
    fail_on: Annotated[
        Many,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY|KIND",
            help="Findings that fail the gate (exit 1): a severity (high, warning, info: that "
            "or worse) or a kind (public_access, dynamic_group...); repeatable.",
        ),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Table: every row and every name (nothing cut to +N), "
                     "not fitted to the terminal."),
    ] = False,
    requirement: RequirementFile = None,
    from_snapshot: Annotated[
        Path | None,
        typer.Option(
            "--from-snapshot", metavar="FILE", help="Audit offline from a saved snapshot."
        ),
    ] = None,
) -> None:
    """Who can open the console of which instances, who is one role short, what is risky.

    With --expect it gates CI: exit 1 when an expected person lacks access (or, with
    --only-expected, an unexpected one has it) or a finding matches --fail-on, 3 when a
    verdict that matters is unknown or the data read is partial.
    """
    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.audit.document import audit_document
        from iamcheck.audit.run import AuditOptions
        from iamcheck.audit.run import audit as run_audit
        from iamcheck.formats import render
        from iamcheck.outfile import open_output

        target = open_output(str(output)) if output is not None else None  # before any call
        opts = AuditOptions(
            instances=tuple(instance or ()),
            resource_groups=tuple(resource_group or ()),
            regions=tuple(region or ()),
            users=tuple(user or ()),
            access_groups=tuple(access_group or ()),
            expect=expect,
            only_expected=only_expected,
            at=at,
            requirement=requirement,
            snapshot=from_snapshot,
            fail_on=tuple(fail_on or ()),
        )
        report = run_audit(conn, opts)
        layout = {}
        if fmt is AuditFormat.TABLE:
            from iamcheck.formats.width import terminal_width

            to_terminal = target is None or target.kind == "stdout"
            layout = {"wide": wide, "width": terminal_width() if to_terminal else None}
        text = render("audit", fmt.value, audit_document(report), **layout)
        if target is None or target.kind == "stdout":
            typer.echo(text, nl=False)
        else:
            target.write(text)
            typer.echo(f"iamcheck: wrote {fmt.value} report to {target.shown}", err=True)
    raise typer.Exit(int(report.exit_code))
