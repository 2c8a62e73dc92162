"""Options every command shares, declared once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
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
ClaimsFile = Annotated[
    Path | None,
    typer.Option(
        "--claims",
        metavar="FILE",
        help="Identity-provider claims (JSON keyed by email, IAM ID or \"*\"): which IdP each "
        "user signs in through and what it sends; settles dynamic rules for those users.",
    ),
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

class AuthKind(StrEnum):
    APIKEY = "apikey"
    TRUSTED_PROFILE = "trusted-profile"


Auth = Annotated[
    AuthKind,
    typer.Option(
        "--auth",
        help="Sign in with an API key (see --apikey-file) or a trusted profile: on a VPC "
        "instance through its metadata service, in a pod through its compute resource token.",
        rich_help_panel=CONNECTION,
    ),
]
ProfileId = Annotated[
    str | None,
    typer.Option(
        "--profile-id",
        metavar="ID|CRN|NAME",
        help="With --auth trusted-profile: the trusted profile to act as.",
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

# The output conventions every command shares (docs/conventions.md)
FORMAT_NAMES = frozenset({"table", "json", "csv", "junit", "sarif", "markdown", "text", "yaml"})


def not_a_format(value: Path | None) -> Path | None:
    """`-o json` is an ibmcloud user asking for JSON, not for a file named `json`."""
    if value is not None and str(value).lower() in FORMAT_NAMES:
        raise typer.BadParameter(
            f"'{value}' is a format name: for that format use --output {str(value).lower()}; "
            f"for a file of that name write ./{value}"
        )
    return value


OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output-file",
        "-o",
        metavar="FILE",
        callback=not_a_format,
        help="Write the result to FILE, not stdout.",
    ),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print no result; the exit code only.")
]


def format_option(help_text: str = "Output format.") -> Any:
    """`--output FORMAT` (as ibmcloud spells it), `--format` and `-f`: one option."""
    return typer.Option("--output", "--format", "-f", help=help_text)


# The connection options, in the order every command lists them (its --help shows them last).
_CONNECTION_OPTIONS = (
    ("demo", Demo, False),
    ("endpoint", Endpoint, None),
    ("apikey_file", ApikeyFile, None),
    ("account", Account, None),
    ("concurrency", Concurrency, 8),
    ("timeout", Timeout, 300.0),
    ("debug", Debug, False),
    ("auth", Auth, AuthKind.APIKEY),
    ("profile_id", ProfileId, None),
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
        given = {name: kwargs.pop(name) for name, _, _ in _CONNECTION_OPTIONS}
        given["auth"] = str(given["auth"])  # Connection holds the plain string (a Literal)
        conn = Connection(**given)
        command(conn, **kwargs)

    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    del wrapper.__wrapped__  # Typer reads the signature above, not the command's
    return wrapper
