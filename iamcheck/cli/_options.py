"""Options every command shares, declared once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from iamcheck.settings import ENV_ENDPOINT

CONNECTION = "IBM Cloud connection"

At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="TIME",
        help="Decide as of this ISO 8601 time with a UTC offset (default: now).",
    ),
]
StrictContext = Annotated[
    bool,
    typer.Option(
        "--strict-context",
        help="Treat an allow that an enforced context-based restriction rule covers as unknown "
        "(exit 3): iamcheck cannot see the request's network, endpoint or MFA.",
    ),
]
RequirementFile = Annotated[
    Path | None,
    typer.Option("--requirement", metavar="FILE", help="Requirement file (default: VPC console)."),
]

Demo = Annotated[
    bool,
    typer.Option(
        "--demo",
        help="Run against the bundled demo account: starts the emulator in-process on a "
        "free loopback port.",
        rich_help_panel=CONNECTION,
    ),
]
Endpoint = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        envvar=ENV_ENDPOINT,
        metavar="URL",
        show_envvar=True,
        help="Send every IBM Cloud call to this base URL (e.g. the emulator's).",
        rich_help_panel=CONNECTION,
    ),
]
ApikeyFile = Annotated[
    Path | None,
    typer.Option(
        "--apikey-file",
        metavar="FILE",
        help="Read the API key from FILE instead of IBMCLOUD_API_KEY.",
        rich_help_panel=CONNECTION,
    ),
]
Account = Annotated[
    str | None,
    typer.Option(
        "--account",
        metavar="ID",
        help="Account to read (default: the API key's account).",
        rich_help_panel=CONNECTION,
    ),
]
Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=1,
        max=64,
        help="IBM Cloud calls in flight at once.",
        rich_help_panel=CONNECTION,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1.0,
        metavar="SECONDS",
        help="Give up retrying IBM Cloud after this long in total.",
        rich_help_panel=CONNECTION,
    ),
]
Debug = Annotated[
    bool,
    typer.Option(
        "--debug",
        envvar="IAMCHECK_DEBUG",
        help="Log each IBM Cloud call to stderr; show tracebacks.",
    ),
]

# The connection options, in the order every command lists them (its --help shows them last).
_CONNECTION_OPTIONS = (
    ("demo", Demo, False),
    ("endpoint", Endpoint, None),
    ("apikey_file", ApikeyFile, None),
    ("account", Account, None),
    ("concurrency", Concurrency, 8),
    ("timeout", Timeout, 300.0),
    ("debug", Debug, False),
)

def with_connection(command: Callable[..., None]) -> Callable[..., None]:
    """The connection options, declared once: `command(conn, ...)` gets them as a Connection,
    and Typer sees them as options of its own after the command's other options."""
    from iamcheck.connection import Connection

    signature = inspect.signature(command, eval_str=True)
    own = list(signature.parameters.values())[1:]  # the first is `conn`
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=annotation)
             for name, annotation, default in _CONNECTION_OPTIONS]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        conn = Connection(*(kwargs.pop(name) for name, _, _ in _CONNECTION_OPTIONS))
        command(conn, **kwargs)

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    del wrapper.__wrapped__  # Typer reads the signature above, not the command's
    return wrapper
