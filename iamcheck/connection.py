"""How a command reaches IBM Cloud: with the user's key and endpoint, or the demo emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iamcheck.settings import Secret, Settings, endpoint_from

if TYPE_CHECKING:
    from iamcheck.ibm.session import IbmSession


@dataclass(frozen=True)
class Connection:
    demo: bool = False
    endpoint: str | None = None
    apikey_file: Path | None = None
    account: str | None = None
    concurrency: int = 8
    timeout: float = 300.0
    debug: bool = False
    demo_key: int = 0  # with --demo, which of the demo's API keys signs in (0: the administrator)


def _api_key(conn: Connection) -> Secret:
    """The key by iamcheck's precedence; which source it came from is said with --debug."""
    import sys

    from iamcheck.credentials import ApiKey, resolve
    from iamcheck.errors import BadInput

    creds = resolve(conn.apikey_file)
    for note in creds.notes:
        print(f"iamcheck: {note}", file=sys.stderr)
    if conn.debug:
        print(f"iamcheck: debug: credentials from {creds.source}", file=sys.stderr)
    if not isinstance(creds, ApiKey):  # IAMCHECK_AUTH_TYPE names a trusted profile
        raise BadInput(f"{creds.source}: trusted profiles are not wired into the commands yet")
    return creds.secret


@contextmanager
def open_session(conn: Connection) -> Iterator[IbmSession]:
    """An IBM session; with --demo, against an emulator serving the demo account meanwhile."""
    from iamcheck.ibm.session import IbmSession
    from iamcheck.inputs import account_id

    account = account_id(conn.account) if conn.account is not None else None
    if not conn.demo:
        settings = Settings(
            apikey=_api_key(conn),
            endpoint=endpoint_from(conn.endpoint),
            account_id=account,
            concurrency=conn.concurrency,
            timeout=conn.timeout,
            debug=conn.debug,
        )
        yield IbmSession(settings)
        return
    from iamcheck.emulator import Backend, EmulatorServer, demo_seed

    seed = demo_seed()
    with EmulatorServer(Backend(seed)) as server:
        settings = Settings(
            apikey=Secret(seed["api_keys"][conn.demo_key]["apikey"]),
            endpoint=server.url,
            account_id=account,
            concurrency=conn.concurrency,
            timeout=conn.timeout,
            debug=conn.debug,
        )
        yield IbmSession(settings)
