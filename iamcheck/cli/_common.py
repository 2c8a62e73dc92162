"""Options every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iamcheck.settings import ENV_ENDPOINT

CONNECTION = "IBM Cloud connection"

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
