"""Turning errors into one clear line on stderr and the right exit code.

Every failure is typed: iamcheck's own errors carry their code; what escapes them anyway is
mapped by kind (the network and the SDKs: API failure, 5; the file system: bad input, 2); and
anything else is a bug, said in one line with its own exit code (70), never 1 ("denied")."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from iamcheck.errors import ExitCode, IamcheckError, printable
from iamcheck.redact import scrubbed


def debug_enabled(flag: bool = False) -> bool:
    return flag or os.environ.get("IAMCHECK_DEBUG", "") not in ("", "0")


def say(text: str) -> None:
    """One line on stderr: escaped, and without the run's secrets."""
    typer.echo(f"iamcheck: {printable(scrubbed(text))}", err=True)


def _trace(debug: bool) -> None:
    if debug_enabled(debug):  # the traceback too, but the exit code stays the documented one
        typer.echo(scrubbed(traceback.format_exc()), err=True, nl=False)


def typed(err: BaseException) -> tuple[ExitCode, str] | None:
    """The exit code and line for an exception no iamcheck module turned into its own error;
    None for one that is not ours to map (typer's own exits)."""
    import click

    if isinstance(err, (click.exceptions.Exit, click.exceptions.Abort, click.ClickException)):
        return None
    if isinstance(err, IamcheckError):
        return err.exit_code, f"error: {err}"
    if isinstance(err, KeyboardInterrupt):
        return ExitCode.INTERRUPTED, "interrupted"
    kind = type(err).__name__
    module = type(err).__module__.split(".", 1)[0]
    if module in ("requests", "urllib3", "ibm_cloud_sdk_core", "ibm_platform_services",
                  "ibm_vpc", "jwt", "websocket", "websockets"):
        return ExitCode.API_FAILURE, f"error: talking to IBM Cloud failed ({kind}: {err})"
    if isinstance(err, BrokenPipeError):  # `iamcheck audit | head`: as for an -o it cannot write
        _quiet_stdout()
        return ExitCode.BAD_INPUT, "error: cannot write the result: the reader of stdout is gone"
    if isinstance(err, OSError):
        where = f" {err.filename}:" if err.filename else ""
        return ExitCode.BAD_INPUT, f"error:{where} {err.strerror or kind}"
    if isinstance(err, (MemoryError, RecursionError)):
        return ExitCode.BAD_INPUT, f"error: the input is too large or too deep ({kind})"
    return (ExitCode.INTERNAL_ERROR,
            f"internal error ({kind}); re-run with --debug and report the trace it prints")


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


@contextmanager
def exit_on_error(debug: bool = False) -> Iterator[None]:
    """Map every exception to its exit code and one line; no traceback unless --debug."""
    try:
        yield
    except (Exception, KeyboardInterrupt) as err:
        mapped = typed(err)
        if mapped is None:
            raise
        code, line = mapped
        if code is not ExitCode.INTERRUPTED:
            _trace(debug)
        say(line[:2000])
        raise typer.Exit(int(code)) from None
