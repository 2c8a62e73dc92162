"""Turning errors into one clear line on stderr and the right exit code."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from iamcheck.errors import ExitCode, IamcheckError, printable


def debug_enabled(flag: bool = False) -> bool:
    return flag or os.environ.get("IAMCHECK_DEBUG", "") not in ("", "0")


@contextmanager
def exit_on_error(debug: bool = False) -> Iterator[None]:
    """Map IamcheckError to its exit code and Ctrl-C to 130; no traceback unless --debug."""
    try:
        yield
    except IamcheckError as err:
        if debug_enabled(debug):  # the traceback too, but the exit code stays the documented one
            traceback.print_exc()
        typer.echo(f"iamcheck: error: {printable(str(err))}", err=True)
        raise typer.Exit(int(err.exit_code)) from None
    except KeyboardInterrupt:
        typer.echo("iamcheck: interrupted", err=True)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
