"""Where iamcheck's configuration comes from: flags, then IBM's environment conventions."""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from iamcheck.errors import BadInput

ENV_API_KEY = "IBMCLOUD_API_KEY"
ENV_ENDPOINT = "IAMCHECK_ENDPOINT"


class Secret:
    """A value that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    apikey: Secret
    endpoint: str | None  # one base URL for every IBM service (the emulator's), or IBM's own
    account_id: str | None  # None: the account the key belongs to
    concurrency: int = 8
    timeout: float = 300.0  # total deadline for retries, seconds
    debug: bool = False


def read_api_key(apikey_file: Path | None) -> Secret:
    """The API key by iamcheck's precedence (iamcheck/credentials.py); never from a
    command-line value. What the reading noticed (a JSON key file, a file others may read)
    goes to stderr."""
    from iamcheck.credentials import ApiKey, resolve

    creds = resolve(apikey_file)
    for note in creds.notes:
        print(f"iamcheck: {note}", file=sys.stderr)
    if not isinstance(creds, ApiKey):  # a trusted profile named by the SDK's configuration
        raise BadInput(f"{creds.source}: trusted profiles are not wired into this command yet")
    return creds.secret


def check_endpoint(url: str, source: str = "--endpoint") -> str:
    """Accept https anywhere, and plain http only on loopback (the emulator).
    `source` names where the URL came from, for the message."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # e.g. an unclosed [IPv6 literal
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise BadInput(f"{source}: '{url[:120]}' is not an http(s) URL")
    if scheme == "http" and not is_loopback(host):
        raise BadInput(
            f"{source}: plain http is refused for '{host}'; use https "
            "(http is accepted only on loopback, for the emulator)"
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_from(flag: str | None) -> str | None:
    value = flag or os.environ.get(ENV_ENDPOINT) or None
    return check_endpoint(value) if value else None
