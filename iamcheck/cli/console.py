"""`iamcheck console`: pre-flight, then hand off to the serial console or to noVNC."""

from __future__ import annotations

import contextlib
import io
import sys
from typing import TYPE_CHECKING, Annotated

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
from iamcheck.errors import BadInput, ExitCode
from iamcheck.formats import CheckFormat

if TYPE_CHECKING:
    from iamcheck.console.flow import Opened, Preflight


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None


def _stdin_is_terminal() -> bool:
    fd = _stdin_fd()
    return fd is not None and sys.stdin.isatty()


def _validate(vnc: bool, force: bool, yes: bool, open_browser: bool, url_only: bool,
              preflight_only: bool, fmt: CheckFormat) -> None:
    """Refuse what cannot work before any IBM call (exit 2)."""
    if open_browser and not vnc:
        raise BadInput("--open opens noVNC in the browser: it needs --vnc")
    if open_browser and url_only:
        raise BadInput("--open and --url-only exclude each other: choose one")
    session = not (vnc or url_only or preflight_only)
    if session and fmt is CheckFormat.JSON:
        raise BadInput("a serial session is a terminal: --format json needs --preflight-only, "
                       "--url-only or --vnc")
    if session and _stdin_fd() is None:
        raise BadInput("the serial console needs a terminal (or a pipe) on stdin")
    if force and not vnc and not preflight_only and not yes and not _stdin_is_terminal():
        raise BadInput("--force disconnects whoever holds the serial console; without a "
                       "terminal to confirm on, add --yes")


def console(
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
    fmt: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CheckFormat.TABLE,
    novnc_url: Annotated[
        str | None,
        typer.Option("--novnc-url", metavar="URL", envvar="IAMCHECK_NOVNC_URL",
                     show_envvar=True,
                     help="noVNC's vnc.html to open (default: https://novnc.com/noVNC/vnc.html)."),
    ] = None,
    demo: Demo = False,
    endpoint: Endpoint = None,
    apikey_file: ApikeyFile = None,
    account: Account = None,
    concurrency: Concurrency = 8,
    timeout: Timeout = 300.0,
    debug: Debug = False,
) -> None:
    """Check everything that would make the console fail, then open it (serial by default).

    Exit 0 when the console was opened (or, with --preflight-only, passed), 1 when the
    pre-flight fails or the console is busy, 3 when access is undecided, 4 when IBM refuses the
    console token although the pre-flight passed, 5 when IBM's API fails.
    """
    from iamcheck.connection import Connection, open_session
    from iamcheck.console import flow, report
    from iamcheck.console.novnc import novnc_base
    from iamcheck.console.novnc import novnc_url as build_novnc_url
    from iamcheck.inputs import instance_ref

    json_out = fmt is CheckFormat.JSON
    vnc = not serial
    with exit_on_error(debug):
        ref = instance_ref(instance, "INSTANCE")
        _validate(vnc, force, yes, open_browser, url_only, preflight_only, fmt)
        console_type = "vnc" if vnc else "serial"
        base = novnc_base(novnc_url) if vnc and not url_only else None
        conn = Connection(demo, endpoint, apikey_file, account, concurrency, timeout, debug,
                          demo_key=flow.DEMO_CONSOLE_KEY)
        with open_session(conn) as session:
            pre = flow.run_preflight(session, ref, console_type)
            if json_out and (preflight_only or pre.failed):
                _emit_json(report.document(pre))
            elif not json_out:
                typer.echo(report.render_table(pre), nl=False, err=not preflight_only)
            if preflight_only:
                raise typer.Exit(int(pre.exit_code))
            if pre.failed:
                typer.echo("iamcheck: the pre-flight failed: fix what it names, then run this "
                           "again", err=True)
                raise typer.Exit(int(ExitCode.FINDING))
            if vnc and force:
                typer.echo("iamcheck: note: --force has no effect on VNC consoles", err=True)
            if force and not vnc and not yes:
                typer.confirm(
                    f"--force disconnects whoever holds the serial console of "
                    f"{pre.instance.name}. Continue?", abort=True, err=True,
                )
            opened = flow.open_console(session, pre, force and not vnc)
            novnc = build_novnc_url(opened.websocket_url, base) if base else None
            _print_urls(pre, opened, novnc, json_out, url_only)
            if open_browser and novnc is not None:
                _open_in_browser(novnc)
            if vnc or url_only:
                if demo:
                    _keep_demo_serving()
                return
            _serial_session(pre, opened, force)


def _print_urls(pre: Preflight, opened: Opened, novnc: str | None, json_out: bool,
                url_only: bool) -> None:
    """stdout: the URL to use (or the whole document); stderr: what to know about it."""
    from iamcheck.console import report

    if json_out:
        _emit_json(report.document(pre, opened, novnc))
        return
    if url_only:
        typer.echo(opened.websocket_url)
        hint = " For websocat, add --binary." if pre.console_type == "serial" else ""
        typer.echo(f"iamcheck: {report.token_note(opened)}{hint}", err=True)
    elif novnc is not None:
        typer.echo(novnc)
        typer.echo(f"iamcheck: {report.token_note(opened)}", err=True)


def _keep_demo_serving() -> None:
    """The demo's emulator lives in this process: keep it up while the URL is used."""
    typer.echo("iamcheck: the demo emulator serves this console until you press Enter "
               "(or Ctrl-C)", err=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is a way to stop here
        sys.stdin.readline()  # also returns at the end of a non-terminal input


def _emit_json(doc: dict[str, object]) -> None:
    import json

    typer.echo(json.dumps(doc, indent=2, sort_keys=True))


def _open_in_browser(url: str) -> None:
    import webbrowser

    if not webbrowser.open(url, new=2):
        typer.echo("iamcheck: could not start a web browser: open the URL above yourself",
                   err=True)


def _serial_session(pre: Preflight, opened: Opened, force: bool) -> None:
    from iamcheck.console import report
    from iamcheck.console.serial import HandshakeRefused, run_serial
    from iamcheck.console.session import ConsoleBusy, busy_message, handshake_error, is_busy

    stdin_fd = _stdin_fd()
    assert stdin_fd is not None  # _validate made sure
    typer.echo(report.serial_banner(pre), err=True)
    sys.stdout.flush()
    try:
        end = run_serial(opened.websocket_url, stdin_fd, sys.stdout.fileno())
    except HandshakeRefused as err:
        raise handshake_error(pre.instance, "serial", err.refused.status, err.refused.body,
                              force) from None
    if not end.by_user and end.code is not None and is_busy(None, end.reason):
        detail = f"the console closed the WebSocket with {end.code}: {end.reason}"
        raise ConsoleBusy(busy_message(pre.instance, "serial", detail))
    typer.echo("\r\n" + report.session_end_message(pre, end), err=True)
