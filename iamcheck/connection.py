"""How a command reaches IBM Cloud: with the user's key and endpoint, or the demo emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iamcheck.credentials import AuthMode
from iamcheck.settings import Secret, Settings, endpoint_from

if TYPE_CHECKING:
    from ibm_cloud_sdk_core.authenticators import Authenticator

    from iamcheck.credentials import Credentials
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
    auth: AuthMode = "apikey"  # --auth: an API key, or a trusted profile (VPC instance, pod)
    profile_id: str | None = None  # --profile-id: the trusted profile's ID, CRN or name


def _credentials(conn: Connection) -> Credentials:
    """The credentials by iamcheck's precedence; which source they came from is said with
    --debug, never the secret."""
    import sys

    from iamcheck.credentials import resolve

    creds = resolve(conn.apikey_file, conn.auth, conn.profile_id)
    for note in creds.notes:
        print(f"iamcheck: {note}", file=sys.stderr)
    if conn.debug:
        print(f"iamcheck: debug: credentials from {creds.source}", file=sys.stderr)
    return creds


def _authenticator(creds: Credentials, endpoint: str | None) -> Authenticator | None:
    """A trusted profile's SDK authenticator (None for an API key: the session builds its own).
    With --endpoint (the emulator), the metadata service and IAM are there too."""
    from dataclasses import replace

    from iamcheck.credentials import ApiKey, authenticator
    from iamcheck.ibm.session import iam_url

    if isinstance(creds, ApiKey):
        return None
    if endpoint is not None and creds.url is None:
        creds = replace(creds, url=endpoint)
    return authenticator(creds, endpoint or iam_url())


@contextmanager
def open_session(conn: Connection) -> Iterator[IbmSession]:
    """An IBM session; with --demo, against an emulator serving the demo account meanwhile."""
    from iamcheck.ibm.session import IbmSession
    from iamcheck.inputs import account_id

    account = account_id(conn.account) if conn.account is not None else None
    if not conn.demo:
        from iamcheck.credentials import ApiKey

        creds = _credentials(conn)
        endpoint = endpoint_from(conn.endpoint)
        settings = Settings(
            apikey=creds.secret if isinstance(creds, ApiKey) else Secret(""),
            endpoint=endpoint,
            account_id=account,
            concurrency=conn.concurrency,
            timeout=conn.timeout,
            debug=conn.debug,
        )
        yield IbmSession(settings, _authenticator(creds, endpoint))
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
