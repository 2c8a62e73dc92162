"""The commands and options about iamcheck itself: --version, `version`, `schema`, --no-color."""

from __future__ import annotations

from typing import Annotated

import typer

from iamcheck.cli._errors import exit_on_error

# The SDK distributions iamcheck talks to IBM Cloud through, for `iamcheck version`
SDKS = ("ibm-cloud-sdk-core", "ibm-platform-services", "ibm-vpc")


def versions() -> dict[str, str]:
    """iamcheck's version and those of the IBM SDKs and Python it runs with."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from iamcheck import __version__

    found = {"iamcheck": __version__}
    for name in SDKS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


def show_version(value: bool) -> None:
    """--version: iamcheck's version alone, then exit 0 (`iamcheck version` says more)."""
    if value:
        from iamcheck import __version__

        typer.echo(f"iamcheck {__version__}")
        raise typer.Exit(0)


Version = Annotated[
    bool,
    typer.Option("--version", callback=show_version, is_eager=True,
                 help="Print iamcheck's version and exit."),
]
NoColor = Annotated[
    bool,
    typer.Option("--no-color", help="No colour, even on a terminal (as NO_COLOR does)."),
]


def version(
    fmt: Annotated[str, typer.Option("--output", "--format", "-f", metavar="table|json",
                                     help="Output format: table or json.")] = "table",
) -> None:
    """Print the versions of iamcheck, the IBM SDKs it uses, and Python."""
    import json

    found = versions()
    if fmt == "json":
        typer.echo(json.dumps(found, indent=2))
    elif fmt == "table":
        width = max(map(len, found))
        typer.echo("\n".join(f"{name:<{width}}  {value}" for name, value in found.items()))
    else:
        raise typer.BadParameter(f"'{fmt}' is not table or json", param_hint="--output")


def schema(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The document: audit, check, "
                                        "grant, revoke, console, snapshot (or 'list').")],
) -> None:
    """Print the JSON Schema (draft 2020-12) of a JSON document iamcheck writes."""
    from iamcheck.schemas import load, names

    with exit_on_error():
        if name == "list":
            typer.echo("\n".join(names()))
            return
        typer.echo(load(name), nl=False)
