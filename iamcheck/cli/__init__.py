"""The `iamcheck` command line. It parses, wires and formats; it decides nothing."""

from __future__ import annotations

import typer

from iamcheck.cli import _emulator
from iamcheck.cli.audit import audit, snapshot
from iamcheck.cli.check import check
from iamcheck.cli.console import console
from iamcheck.cli.grant import grant, revoke

app = typer.Typer(
    name="iamcheck",
    help="Who can open the console of IBM Cloud VPC instances, why not, fix it, open it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.command()(audit)
app.command()(check)
app.command()(console)
app.command()(grant)
app.command()(revoke)
app.command()(snapshot)
app.add_typer(_emulator.app, name="emulator")


def main() -> None:
    app()
