"""`iamcheck emulator`: serve the local IBM Cloud stand-in, or generate seeds for it."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iamcheck.cli._errors import exit_on_error
from iamcheck.errors import BadInput


class RoleLayout(StrEnum):
    IS = "is"
    IS_INSTANCE = "is.instance"


app = typer.Typer(
    help="A faithful local stand-in for the IBM Cloud APIs iamcheck uses.",
    no_args_is_help=True,
)


@app.command()
def serve(
    seed: Annotated[
        Path | None,
        typer.Option(help="Seed file describing the account (default: the demo account)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless told otherwise.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to bind (0: any free port).")
    ] = 8390,
    latency_ms: Annotated[
        float, typer.Option(min=0, help="Delay added to every IBM API request.")
    ] = 0.0,
    fault_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of IBM API requests answered 429, 500 or 503."),
    ] = 0.0,
    fault_seed: Annotated[int, typer.Option(help="Makes injected faults reproducible.")] = 0,
    propagation_delay: Annotated[
        float,
        typer.Option(min=0.0, max=3600.0, metavar="SECONDS",
                     help="A new policy counts for VPC's console authorization only after this "
                          "delay (IAM's policy reads show it at once)."),
    ] = 0.0,
    metadata_instance: Annotated[
        str | None,
        typer.Option(metavar="ID",
                     help="The instance the VPC metadata token service answers for."),
    ] = None,
) -> None:
    """Serve the IBM Cloud APIs at one base URL until Ctrl-C."""
    from iamcheck.emulator import Backend, FaultPlan, SeedError, demo_seed, load_seed
    from iamcheck.emulator.server import base_url, bind, serve_forever

    with exit_on_error():
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise BadInput(f"--host: '{host}' is not an IP address") from None
        try:
            data = load_seed(seed) if seed else demo_seed()
        except SeedError as err:
            raise BadInput(f"--seed: {err}") from None
        loopback = ipaddress.ip_address(host).is_loopback
        secret = secrets.token_urlsafe(24)  # this run's key to the control API
        backend = Backend(data, faults=FaultPlan(latency_ms, fault_rate, fault_seed),
                          control_secret=secret, control_from_loopback=loopback)
        if metadata_instance is not None and metadata_instance not in {
                i["id"] for i in data.get("instances", [])}:
            raise BadInput(f"--metadata-instance: no instance '{metadata_instance}' in the seed")
        backend.settings.propagation_delay = propagation_delay
        backend.settings.metadata_instance = metadata_instance
        try:
            sock = bind(host, port)
        except OSError as err:
            raise BadInput(f"--port: cannot listen on {host}:{port} ({err.strerror})") from None
        url = base_url(sock)
        keys = data.get("api_keys", [])
        # Ctrl-C is how a foreground server is meant to stop, at any moment after it is bound.
        with contextlib.suppress(KeyboardInterrupt):
            typer.echo(f"IBM Cloud emulator for account {data['account_id']}", err=True)
            typer.echo(f"  base URL: {url}", err=True)
            if keys:
                # The seed's own keys, made up for the emulator: printing them is the point.
                typer.echo(
                    f"  API key:  {keys[0]['apikey']}  (owner {keys[0]['iam_id']})", err=True
                )
            if propagation_delay:
                typer.echo(f"  new policies reach VPC after {propagation_delay:g} s", err=True)
            typer.echo(
                f"  try:      IAMCHECK_ENDPOINT={url} IBMCLOUD_API_KEY=<key> iamcheck audit",
                err=True,
            )
            typer.echo(f"  control:  {url}/_emulator/ with header X-Emulator-Secret: {secret}"
                       + ("" if loopback else " (required: not bound to loopback)"), err=True)
            if not loopback:
                typer.echo(
                    f"WARNING: bound to {host}, not loopback: anyone who can reach this address "
                    "can use the seed's API keys above and read the whole emulated account. "
                    "The control API needs the secret above.", err=True)
            typer.echo("Press Ctrl-C to stop.", err=True)
            serve_forever(backend, sock)
        typer.echo("emulator stopped", err=True)


@app.command()
def generate(
    users: Annotated[int, typer.Option(min=1, help="Users in the account.")] = 50,
    instances: Annotated[int, typer.Option(min=0, help="VPC instances.")] = 200,
    groups: Annotated[
        int, typer.Option(min=0, help="Access groups (Public Access included).")
    ] = 20,
    policies: Annotated[int, typer.Option(min=0, help="IAM policies.")] = 200,
    regions: Annotated[int, typer.Option(min=1, help="Regions the instances spread over.")] = 10,
    seed: Annotated[int, typer.Option(help="Same seed, same account, byte for byte.")] = 0,
    login_claims: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of SSO users given a sign-in with "
                                                   "IdP claims (dynamic rules, profiles).")
    ] = 0.0,
    public_console: Annotated[
        int, typer.Option(min=0, max=50, help="Public Access policies with console roles on is.")
    ] = 0,
    role_layout: Annotated[
        RoleLayout | None, typer.Option(help="Where /v2/roles lists the VPC roles.")
    ] = None,
    profiles: Annotated[
        int, typer.Option(min=0, max=2000, help="Trusted profiles with rules, links, policies.")
    ] = 0,
    cbr_rules: Annotated[
        int, typer.Option(min=0, max=1000, help="Context-based restriction rules on is.")
    ] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output-file", "-o", metavar="FILE", help="Write to FILE, not stdout."),
    ] = None,
) -> None:
    """Write a deterministic, valid seed of any size (up to IBM's limits), e.g. for benchmarks."""
    import json

    from iamcheck.emulator.seed.generate import Extras
    from iamcheck.emulator.seed.generate import generate as make

    with exit_on_error():
        try:
            data = make(
                users=users,
                instances=instances,
                groups=groups,
                policies=policies,
                seed=seed,
                regions=regions,
                extras=Extras(login_claims=login_claims, public_console=public_console,
                              role_layout=role_layout.value if role_layout else None,
                              profiles=profiles, cbr_rules=cbr_rules),
            )
        except ValueError as err:
            raise BadInput(str(err)) from None
        text = json.dumps(data, indent=None) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            typer.echo(
                f"iamcheck: wrote a seed of {users} users, {instances} instances to {output}",
                err=True,
            )
