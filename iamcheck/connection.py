"""How a command reaches IBM Cloud: with the user's key and endpoint, or the demo emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iamcheck.settings import Secret, Settings, endpoint_from, read_api_key

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


@contextmanager
def open_session(conn: Connection) -> Iterator[IbmSession]:
    """An IBM session; with --demo, against an emulator serving the demo account meanwhile."""
    from iamcheck.ibm.session import IbmSession

    if not conn.demo:
        settings = Settings(
            apikey=read_api_key(conn.apikey_file),
            endpoint=endpoint_from(conn.endpoint),
            account_id=conn.account,
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
            account_id=conn.account,
            concurrency=conn.concurrency,
            timeout=conn.timeout,
            debug=conn.debug,
        )
        yield IbmSession(settings)
