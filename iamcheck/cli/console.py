"""`iamcheck console`: parse, wire to iamcheck.console.run, print what it hands back."""

from __future__ import annotations

import contextlib
import io
import sys
from typing import Annotated, Any

import typer

from iamcheck.cli._colour import paint
from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import (
    ClaimsFile,
    Quiet,
    StrictContext,
    format_option,
    with_connection,
)
from iamcheck.connection import Connection
from iamcheck.formats import CheckFormat


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None


def _wait_for_enter() -> None:
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is a way to stop here
        sys.stdin.readline()  # also returns at the end of a non-terminal input


def _open_url(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url, new=2)


def _confirm(question: str) -> None:
    typer.confirm(question, abort=True, err=True)


@with_connection
def console(
    conn: Connection,
    instance: Annotated[
        str, typer.Argument(metavar="INSTANCE", help="The VPC instance: id, name or CRN.")
    ],
    serial: Annotated[
        bool,
        typer.Option("--serial/--vnc", help="Which console: serial (a terminal) or VNC (noVNC "
                     "in a browser)."),
    ] = True,
    force: Annotated[
        bool,
        typer.Option("--force", help="Serial: take the console over, disconnecting whoever "
                     "holds it (asks first)."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before --force disconnects someone.")
    ] = False,
    open_browser: Annotated[
        bool, typer.Option("--open", help="VNC: open the noVNC page in the web browser.")
    ] = False,
    url_only: Annotated[
        bool,
        typer.Option("--url-only", help="Print only the console's WebSocket URL (for websocat "
                     "--binary or another client)."),
    ] = False,
    preflight_only: Annotated[
        bool,
        typer.Option("--preflight-only", help="Stop after the pre-flight: exit 0 pass, 1 fail, "
                     "3 undecided."),
    ] = False,
    fmt: Annotated[CheckFormat, format_option()] = CheckFormat.TABLE,
    quiet: Quiet = False,
    wait_propagation: Annotated[
        int,
        typer.Option("--wait-propagation", metavar="SECONDS", min=0,
                     help="When VPC refuses the token although IAM allows it (a new policy can "
                     "take up to 10 minutes to reach VPC), retry for this long; 0: do not wait."),
    ] = 600,
    novnc_url: Annotated[
        str | None,
        typer.Option("--novnc-url", metavar="URL", envvar="IAMCHECK_NOVNC_URL",
                     show_envvar=True,
                     help="noVNC's vnc.html to open (default: https://novnc.com/noVNC/vnc.html)."),
    ] = None,
    claims: ClaimsFile = None,
    strict_context: StrictContext = False,
    break_glass: Annotated[
        bool,
        typer.Option("--break-glass", rich_help_panel="Break-glass",
                     help="When only access is missing and you may grant it: grant yourself the "
                     "minimum for --ttl (asks first), open the console, revoke it when the "
                     "session ends. When you may not: who can, and the command they run."),
    ] = False,
    ttl: Annotated[
        str | None,
        typer.Option("--ttl", metavar="DURATION", rich_help_panel="Break-glass",
                     help="Break-glass: how long the access lasts at most (90m, 1h): it ends "
                     "then even if iamcheck dies."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", rich_help_panel="Break-glass",
                     help="Break-glass: why (one line, at most 120 characters), kept in the "
                     "policy description and the audit log."),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option("--keep", rich_help_panel="Break-glass",
                     help="Break-glass: do not revoke after the session (the TTL still ends it)."),
    ] = False,
    log: Annotated[
        str | None,
        typer.Option("--log", metavar="FILE", rich_help_panel="Break-glass",
                     help="Break-glass: the audit log to append to (as grant's --log)."),
    ] = None,
) -> None:
    """Check everything that would make the console fail, then open it (serial by default).

    Exit 0 when the console was opened (or, with --preflight-only, passed), 1 when the
    pre-flight fails or the console is busy, 3 when access is undecided, 4 when IBM refuses the
    console token although the pre-flight passed (after --wait-propagation), 5 when IBM's API
    fails.
    """
    from iamcheck.formats import render

    def document(doc: dict[str, Any], to_stderr: bool) -> None:
        if not quiet:
            text = render("console", fmt.value, doc)
            typer.echo(paint(text, fmt.value) if not to_stderr else text, nl=False,
                       err=to_stderr)

    with exit_on_error(conn.debug):  # what it imports, too, can be interrupted
        from iamcheck.console.run import ConsoleOptions, Terminal
        from iamcheck.console.run import console as run_console

        fd = _stdin_fd()
        term = Terminal(
            document=document,
            out=typer.echo,
            note=lambda text: typer.echo(text, err=True),
            confirm=_confirm,
            open_url=_open_url,
            wait=_wait_for_enter,
            stdin_fd=fd,
            stdin_is_terminal=fd is not None and sys.stdin.isatty(),
        )
        glass = None
        if break_glass:
            from iamcheck.console.breakglass import BreakGlass, check_break_glass

            check_break_glass(ttl, reason)
            assert ttl is not None and reason is not None
            glass = BreakGlass(ttl, reason.strip(), keep, log)
        elif ttl is not None or reason is not None or keep or log is not None:
            from iamcheck.errors import BadInput

            raise BadInput("--ttl, --reason, --keep and --log go with --break-glass")
        opts = ConsoleOptions(instance, vnc=not serial, force=force, yes=yes,
                              open_browser=open_browser, url_only=url_only,
                              preflight_only=preflight_only, json_out=fmt is CheckFormat.JSON,
                              novnc_url=novnc_url, claims=claims,
                              strict_context=strict_context, wait_propagation=wait_propagation,
                              break_glass=glass)
        code = run_console(conn, opts, term)
    raise typer.Exit(int(code))
