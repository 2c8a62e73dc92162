"""`iamcheck grant` and `iamcheck revoke`: parse, wire to iamcheck.grant.run, show, ask, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from iamcheck.cli._colour import paint
from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import ClaimsFile, Quiet, RequirementFile, format_option, with_connection
from iamcheck.connection import Connection
from iamcheck.formats import CheckFormat, Emit

SCOPE = "Scope (name one)"
Many = list[str] | None

Users = Annotated[Many, typer.Argument(
    metavar="USER...", help="Users: emails (any case) or IAM IDs (service IDs too).",
    show_default=False)]
Instance = Annotated[str | None, typer.Option(
    "--instance", "-i", metavar="ID|NAME|CRN", help="One VPC instance.", rich_help_panel=SCOPE)]
ResourceGroup = Annotated[str | None, typer.Option(
    "--resource-group", metavar="NAME|ID", help="Every instance in this resource group.",
    rich_help_panel=SCOPE)]
AllInstances = Annotated[bool, typer.Option(
    "--all-instances", help="Every instance of the account (all VPC resources).",
    rich_help_panel=SCOPE)]
AccessGroups = Annotated[Many, typer.Option(
    "--access-group", metavar="NAME|ID", help="An access group instead of (or besides) users "
    "(repeatable).")]
DryRun = Annotated[bool, typer.Option(
    "--dry-run", help="Print the plan (bodies, equivalent ibmcloud commands); change nothing.")]
Yes = Annotated[bool, typer.Option(
    "--yes", "-y", help="Apply without asking (needed when there is no terminal).")]
Format = Annotated[CheckFormat, format_option()]
Reason = Annotated[str | None, typer.Option(
    "--reason", metavar="TEXT", help="Why (one line, at most 120 characters): kept in the "
    "policy description and the audit log, where others read it.")]
Log = Annotated[Path | None, typer.Option(
    "--log", metavar="FILE", help="Audit log to append to (JSON Lines; default: "
    "$XDG_STATE_HOME/iamcheck/audit.jsonl or ~/.local/state/iamcheck/audit.jsonl).")]

def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _prompt(fmt: CheckFormat, plan: Literal["grant-plan", "revoke-plan"]) -> Any:
    from iamcheck.formats import render
    from iamcheck.grant.run import Prompt

    shown: list[bool] = []

    def show(doc: dict[str, Any]) -> None:
        # The plan goes where the result will go, unless the result is JSON for a machine.
        typer.echo(render(plan, "table", doc), err=fmt is CheckFormat.JSON)
        shown.append(fmt is CheckFormat.TABLE)

    from iamcheck.safe_text import for_terminal  # questions and warnings quote account text

    def confirm(question: str) -> bool:
        return typer.confirm(for_terminal(question), default=False, err=True)

    def warn(text: str) -> None:
        typer.echo(f"iamcheck: warning: {for_terminal(text)}", err=True)

    return Prompt(_interactive(), show, confirm, warn), shown


def _print(command: Literal["grant", "revoke"], fmt: CheckFormat, doc: dict[str, Any],
           plan_shown: bool) -> None:
    from iamcheck.formats import render

    options = {"plan_shown": plan_shown} if fmt is CheckFormat.TABLE else {}
    typer.echo(paint(render(command, fmt.value, doc, **options), fmt.value), nl=False)


@with_connection
def grant(
    conn: Connection,
    users: Users = None,
    instance: Instance = None,
    resource_group: ResourceGroup = None,
    all_instances: AllInstances = False,
    access_group: AccessGroups = None,
    ttl: Annotated[str | None, typer.Option(
        "--ttl", metavar="DURATION", help="Grant for this long from now: 90m, 8h, 2d, 1d12h.",
    )] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME", help="Grant until this ISO 8601 time with a UTC offset.",
    )] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: Format = CheckFormat.TABLE,
    quiet: Quiet = False,
    emit: Annotated[Emit | None, typer.Option(
        "--emit", help="Print the planned policies as code instead of the result: Terraform "
        "HCL (with an import block for each policy created), ibmcloud commands, or v2 bodies.",
    )] = None,
    log: Log = None,
    requirement: RequirementFile = None,
    claims: ClaimsFile = None,
    reason: Reason = None,
) -> None:
    """Create the missing console access: at most one policy per subject, only the missing role.

    Plans from the current access (as check decides it), shows the plan and asks, creates,
    reads back and checks again. Exit 0 when every subject ends allowed, 1 when some does not,
    2 on bad input or when there is no terminal to confirm on and no --yes.
    """
    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.grant.document import grant_document
        from iamcheck.grant.run import Options
        from iamcheck.grant.run import grant as run_grant

        prompt, shown = _prompt(CheckFormat.JSON if emit else fmt, "grant-plan")
        opts = Options(users=tuple(users or ()), groups=tuple(access_group or ()),
                       instance=instance, resource_group=resource_group,
                       all_instances=all_instances, ttl=ttl, until=until, dry_run=dry_run,
                       yes=yes, log=log, requirement=requirement, claims=claims,
                       reason=reason)
        result = run_grant(conn, opts, prompt)
    if emit is not None and not quiet:
        from iamcheck.formats import render

        with exit_on_error(conn.debug):
            doc = grant_document(result)
            typer.echo(render("grant", "body" if emit is Emit.JSON else emit.value, doc), nl=False)
    elif not quiet:
        _print("grant", fmt, grant_document(result), bool(shown))
    raise typer.Exit(int(result.exit_code))


@with_connection
def revoke(
    conn: Connection,
    users: Users = None,
    instance: Instance = None,
    resource_group: ResourceGroup = None,
    all_instances: AllInstances = False,
    access_group: AccessGroups = None,
    policy: Annotated[Many, typer.Option(
        "--policy", metavar="ID", help="Delete this policy, even one iamcheck did not create "
        "(repeatable).")] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    fmt: Format = CheckFormat.TABLE,
    quiet: Quiet = False,
    log: Log = None,
    requirement: RequirementFile = None,
    reason: Reason = None,
) -> None:
    """Delete the policies iamcheck grant created on a scope, or policies named by id.

    A policy iamcheck did not create is never deleted unless named with --policy. Same plan,
    --dry-run, confirmation and log as grant. Exit 0 when every planned delete is done, 1 when
    one failed or a policy on the scope was kept, 2 on bad input or no terminal without --yes.
    """
    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.grant.document import revoke_document
        from iamcheck.grant.run import Options
        from iamcheck.grant.run import revoke as run_revoke

        prompt, shown = _prompt(fmt, "revoke-plan")
        opts = Options(users=tuple(users or ()), groups=tuple(access_group or ()),
                       instance=instance, resource_group=resource_group,
                       all_instances=all_instances, policies=tuple(policy or ()),
                       dry_run=dry_run, yes=yes, log=log, requirement=requirement,
                       reason=reason)
        result = run_revoke(conn, opts, prompt)
    if not quiet:
        _print("revoke", fmt, revoke_document(result), bool(shown))
    raise typer.Exit(int(result.exit_code))
