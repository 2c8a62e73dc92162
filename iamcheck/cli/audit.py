"""`iamcheck audit`: who can open the console of which instances, and what is risky."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import (
    At,
    ClaimsFile,
    OutputFile,
    Quiet,
    RequirementFile,
    StrictContext,
    format_option,
    with_connection,
)
from iamcheck.connection import Connection
from iamcheck.formats import AuditFormat

if TYPE_CHECKING:
    from iamcheck.audit.run import AuditReport
    from iamcheck.diff.run import DiffResult


class By(StrEnum):
    SUBJECT = "subject"

SELECT = "Selection"
REVIEW = "Change review and access reviews"
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
    fmt: Annotated[AuditFormat, format_option()] = AuditFormat.TABLE,
    output: OutputFile = None,
    quiet: Quiet = False,
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
    claims: ClaimsFile = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="PLAN.json",
            help="A Terraform plan (terraform show -json): report who would gain and lose "
            "access if it were applied.",
            rich_help_panel=REVIEW,
        ),
    ] = None,
    with_policy: Annotated[
        Path | None,
        typer.Option(
            "--with-policy",
            metavar="FILE",
            help="v2 policy bodies (one, a list, or {\"policies\": [...]}): report who would "
            "gain and lose access if they were created.",
            rich_help_panel=REVIEW,
        ),
    ] = None,
    unused_days: Annotated[
        int,
        typer.Option(
            "--unused-days",
            metavar="N",
            help="A console policy that has not permitted anything for N days, or never, is a "
            "finding.",
            rich_help_panel=REVIEW,
        ),
    ] = 90,
    by: Annotated[
        By | None,
        typer.Option(
            "--by",
            help="With csv or json: one row per (subject, scope), with path, policies, until "
            "when, last use and why uncertain.",
            rich_help_panel=REVIEW,
        ),
    ] = None,
    strict_context: StrictContext = False,
) -> None:
    """Who can open the console of which instances, who is one role short, what is risky.

    With --expect it gates CI: exit 1 when an expected person lacks access (or, with
    --only-expected, an unexpected one has it) or a finding matches --fail-on, 3 when a
    verdict that matters is unknown or the data read is partial. With --plan or --with-policy
    it reports, as `iamcheck diff` does, who would gain and who would lose access.
    """
    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.audit.document import audit_document
        from iamcheck.audit.run import AuditOptions
        from iamcheck.audit.run import audit as run_audit
        from iamcheck.errors import BadInput
        from iamcheck.formats import render, stream
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
            claims=claims,
            unused_days=unused_days,
            strict_context=strict_context,
            fail_on=tuple(fail_on or ()),
        )
        text: str | None = None  # None: the document below is streamed as it is encoded
        if plan is not None or with_policy is not None:
            from iamcheck.audit.change import ChangeFiles, review
            from iamcheck.diff.document import diff_document

            if by is not None:
                raise BadInput("--by cannot be combined with --plan or --with-policy")
            changed = review(conn, opts, ChangeFiles(plan, with_policy))
            text = render("diff", fmt.value, diff_document(changed))
            report: AuditReport | DiffResult = changed
        elif by is not None:
            from iamcheck.review.export import rows_document, rows_from_report, scope_ids

            if fmt.value not in ("csv", "json"):
                raise BadInput(f"--by subject writes csv or json, not {fmt.value}")
            report = run_audit(conn, opts)
            ids = scope_ids(audit_document(report))
            text = render("review", fmt.value, rows_document(rows_from_report(report, ids)))
        else:
            report = run_audit(conn, opts)
            to_file = target is not None and target.kind != "stdout"
            doc = audit_document(report)
            if fmt is AuditFormat.TABLE:
                from iamcheck.formats.width import terminal_width

                text = render("audit", fmt.value, doc, wide=wide,
                              width=None if to_file else terminal_width())
        if target is not None and target.kind != "stdout":
            with target.opened() as out:  # a CSV or JSON document is never built whole
                if text is not None:
                    out.write(text)
                else:
                    stream("audit", fmt.value, doc, out)
            if not quiet:
                typer.echo(f"iamcheck: wrote {fmt.value} report to {target.shown}", err=True)
        elif not quiet:
            if text is not None:
                typer.echo(text, nl=False)
            else:
                stream("audit", fmt.value, doc, sys.stdout)
                sys.stdout.flush()
    raise typer.Exit(int(report.exit_code))
