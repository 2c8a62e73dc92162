"""The `iamcheck` command line. It parses, wires and formats; it decides nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from iamcheck.cli import _emulator, _meta
from iamcheck.cli._errors import say, typed
from iamcheck.cli.audit import audit
from iamcheck.cli.check import check
from iamcheck.cli.console import console
from iamcheck.cli.diff import diff
from iamcheck.cli.grant import grant, revoke
from iamcheck.cli.snapshot import snapshot
from iamcheck.errors import ExitCode, printable
from iamcheck.interrupt import install_interrupt

app = typer.Typer(
    name="iamcheck",
    help="Who can open the console of IBM Cloud VPC instances, why not, fix it, open it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # Typer's --install-completion / --show-completion (bash, zsh, fish)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _top(version: _meta.Version = False, no_color: _meta.NoColor = False) -> None:
    """Who can open the console of IBM Cloud VPC instances, why not, fix it, open it."""
    if no_color:
        from iamcheck.cli import _colour

        _colour.turn_off()




def _summary(command: Callable[..., None]) -> str:
    """The docstring's first paragraph, whole: the top-level help would cut it with '...'."""
    return " ".join((command.__doc__ or "").strip().split("\n\n")[0].split())


for _command in (audit, check, console, diff, grant, revoke, snapshot, _meta.version,
                 _meta.schema):
    app.command(short_help=_summary(_command))(_command)
app.add_typer(_emulator.app, name="emulator")


def main() -> None:
    """The console script: usage errors become one line too (exit 2), like every other error."""
    install_interrupt()
    try:
        code = app(standalone_mode=False, prog_name="iamcheck")  # `python -m iamcheck` too
    except typer.Abort:
        typer.echo("iamcheck: interrupted", err=True)
        _leave_now()
    except typer.TyperException as err:  # Typer vendors click: its usage errors derive from this
        ctx = getattr(err, "ctx", None)
        if type(err).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help(), err=True)  # a bare `iamcheck` or group: show what exists
        else:
            where = ctx.command_path if ctx is not None else "iamcheck"
            message = printable(err.format_message())
            typer.echo(f"iamcheck: error: {message} (see: {where} --help)", err=True)
        sys.exit(int(ExitCode.BAD_INPUT))
    except (Exception, KeyboardInterrupt) as err:  # the last resort: one line, never exit 1
        mapped = typed(err)
        if mapped is None:
            raise
        say(mapped[1][:2000])
        if mapped[0] is ExitCode.INTERRUPTED:
            _leave_now()
        sys.exit(int(mapped[0]))
    if code == ExitCode.INTERRUPTED:
        _leave_now()
    sys.exit(code if isinstance(code, int) else 0)


def _leave_now() -> None:
    """After Ctrl-C: the reads still in flight are abandoned (their threads would keep the
    interpreter's shutdown busy for a second or more), so exit at once. Every file iamcheck
    writes is written whole or not at all before this point."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(int(ExitCode.INTERRUPTED))
