"""`iamcheck diff`: who gained and who lost console access between two reads of an account."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._errors import exit_on_error
from iamcheck.cli._options import At, Debug, RequirementFile
from iamcheck.formats import DiffFormat


def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier snapshot or audit "
                                        "JSON document.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later snapshot or audit "
                                        "JSON document.")],
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="gained|lost",
            help="Exit 1 when someone certainly gained (lost) access, 3 when someone may have "
            "or a change could not be modelled (repeatable).",
        ),
    ] = None,
    at: At = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout."
        ),
    ] = None,
    requirement: RequirementFile = None,
    debug: Debug = False,
) -> None:
    """Who gained and who lost console access between OLD and NEW, per instance and person.

    Two snapshots are each decided with the same audit and every change names its cause (the
    policy, group, membership or rule); two audit JSON documents give the changes without it.
    """
    with exit_on_error(debug):
        from iamcheck.diff.document import diff_document
        from iamcheck.diff.run import DiffOptions
        from iamcheck.diff.run import diff as run_diff
        from iamcheck.formats import render
        from iamcheck.read.snapshot import write_atomic

        result = run_diff(DiffOptions(old, new, tuple(fail_on or ()), requirement, at))
        text = render("diff", fmt.value, diff_document(result))
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_atomic(output, text)
            typer.echo(f"iamcheck: wrote {fmt.value} report to {output}", err=True)
    raise typer.Exit(int(result.exit_code))
