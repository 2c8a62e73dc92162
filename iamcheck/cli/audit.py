"""`iamcheck audit`: who can open the console of which instances, and what is risky."""

from __future__ import annotations

import sys
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
    --only-expected, an unexpected one has it), 3 when a verdict that matters is unknown.
    """
    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.audit.document import audit_document
        from iamcheck.audit.run import AuditOptions
        from iamcheck.audit.run import audit as run_audit
        from iamcheck.formats import stream
        from iamcheck.read.snapshot import open_atomic

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
        )
        report = run_audit(conn, opts)
        doc = audit_document(report)
        if output is None:  # written as it is encoded: CSV and JSON do not build the text whole
            stream("audit", fmt.value, doc, sys.stdout)
            sys.stdout.flush()
        else:
            with open_atomic(output) as out:
                stream("audit", fmt.value, doc, out)
            typer.echo(f"iamcheck: wrote {fmt.value} report to {output}", err=True)
    raise typer.Exit(int(report.exit_code))
