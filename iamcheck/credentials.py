"""Where the credentials come from, in IBM's conventions, checked before any call.

Precedence: --apikey-file; IBMCLOUD_API_KEY (the ibmcloud CLI's `@file` form too); IC_API_KEY
(Terraform's provider); the SDK's external configuration for the service name `iamcheck`
(`ibm-credentials.env` at IBM_CREDENTIALS_FILE, the working directory or home; then IAMCHECK_*
variables), read by ibm_cloud_sdk_core itself. `--auth trusted-profile` uses a trusted profile
instead of a key: VPCInstanceAuthenticator on a VPC instance, ContainerAuthenticator in a pod.
`Credentials.source` says which was used, for --debug; the secret itself never leaves `Secret`.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from iamcheck.errors import BadInput, printable
from iamcheck.local_file import read_bounded
from iamcheck.settings import Secret, check_endpoint

if TYPE_CHECKING:
    from ibm_cloud_sdk_core.authenticators import Authenticator

ENV_IBMCLOUD = "IBMCLOUD_API_KEY"
ENV_TERRAFORM = "IC_API_KEY"
ENV_CREDENTIALS_FILE = "IBM_CREDENTIALS_FILE"
SDK_SERVICE = "iamcheck"  # the SDK reads IAMCHECK_APIKEY, IAMCHECK_AUTH_TYPE, ...
SDK_KEYS = ("IAMCHECK_APIKEY", "IAMCHECK_AUTH_TYPE", "IAMCHECK_AUTH_URL",
            "IAMCHECK_IAM_PROFILE_ID", "IAMCHECK_IAM_PROFILE_CRN", "IAMCHECK_IAM_PROFILE_NAME",
            "IAMCHECK_CR_TOKEN_FILENAME")

MAX_FILE_BYTES = 64 * 1024  # a JSON key file is some 300 bytes
MAX_KEY_CHARS = 1024  # IBM's keys are 44 characters
PIPE_TIMEOUT = 10.0  # seconds to wait for a pipe's writer
METADATA_HOST = "169.254.169.254"  # the VPC instance metadata service: plain http by design
FORBIDDEN = set("\"'{}")

AuthMode = Literal["apikey", "trusted-profile"]
Where = Literal["auto", "vpc", "container"]


@dataclass(frozen=True)
class ApiKey:
    secret: Secret
    source: str  # e.g. "IBMCLOUD_API_KEY (@file keyfile.json)"; never the key
    notes: tuple[str, ...] = ()  # said on stderr: e.g. "read IBM's JSON key file"


@dataclass(frozen=True)
class TrustedProfile:
    where: Literal["vpc", "container"]
    profile_id: str | None = None
    profile_crn: str | None = None
    profile_name: str | None = None
    url: str | None = None  # vpc: the metadata service; container: IAM's token service
    cr_token_file: str | None = None  # container: the compute resource token (SDK default)
    source: str = ""
    notes: tuple[str, ...] = field(default=())


Credentials = ApiKey | TrustedProfile


def resolve(
    apikey_file: Path | None = None,
    auth: AuthMode = "apikey",
    profile: str | None = None,
    where: Where = "auto",
    pipe_timeout: float = PIPE_TIMEOUT,
) -> Credentials:
    """The credentials to sign in with, by the precedence above; BadInput (one line, never the
    secret) for anything that cannot be a key."""
    env = os.environ
    if auth == "trusted-profile":
        if apikey_file is not None:
            raise BadInput("--apikey-file and --auth trusted-profile exclude each other")
        return _trusted_profile(profile, where, env, _sdk_config())
    if profile is not None:
        raise BadInput("--profile-id needs --auth trusted-profile")
    if apikey_file is not None:
        text, notes = read_key_file(apikey_file, "--apikey-file", pipe_timeout)
        return _api_key(text, "--apikey-file", notes)
    for name in (ENV_IBMCLOUD, ENV_TERRAFORM):
        value = env.get(name, "")
        if value.strip().startswith("@"):  # the ibmcloud CLI's "@file"
            path = Path(os.path.expanduser(value.strip()[1:]))
            text, notes = read_key_file(path, f"{name}=@file", pipe_timeout)
            return _api_key(text, f"{name} (@file)", notes)
        if value.strip():
            return _api_key(value, name)
    config = _sdk_config()
    if config:
        return _from_sdk_config(config, profile, where, env)
    raise BadInput(
        f"no API key: set {ENV_IBMCLOUD} or pass --apikey-file FILE, or use a trusted profile "
        "(--auth trusted-profile); or try --demo"
    )


def _api_key(text: str, source: str, notes: tuple[str, ...] = ()) -> ApiKey:
    return ApiKey(Secret(check_key(text, source)), source, notes)


def check_key(text: str, source: str) -> str:
    """The key, stripped; refused with one line naming `source` when it cannot be one."""
    key = text.strip()
    if not key:
        raise BadInput(f"{source}: the API key is empty")
    if len(key) > MAX_KEY_CHARS:
        raise BadInput(f"{source}: {len(key)} characters is too long for an API key")
    if FORBIDDEN & set(key):
        raise BadInput(
            f"{source}: the API key contains quotes or braces; give the key alone, unquoted "
            "(or IBM's JSON key file, with --apikey-file)"
        )
    if any(c.isspace() or not c.isprintable() for c in key):
        raise BadInput(f"{source}: the API key contains spaces, line breaks or control characters")
    return key


def read_key_file(path: Path, source: str, pipe_timeout: float = PIPE_TIMEOUT
                  ) -> tuple[str, tuple[str, ...]]:
    """The key a file holds: plain, or IBM's JSON key file (`{"name":..., "apikey":...}`).
    A regular file or a pipe only; at most MAX_FILE_BYTES; a pipe read within `pipe_timeout`."""
    data, mode = read_bounded(path, source, MAX_FILE_BYTES, pipe_timeout, devices=False)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise BadInput(f"{source}: {printable(str(path))} is not text") from None
    notes: list[str] = []
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):
        notes.append(f"warning: {printable(str(path))} is readable by other users; "
                     f"run: chmod 600 {printable(str(path))}")
    if not text.strip():
        raise BadInput(f"{source}: {printable(str(path))} is empty")
    if text.lstrip().startswith("{"):
        text = _json_key(text, source, path)
        notes.append(f"{source}: read the apikey of IBM's JSON key file {printable(str(path))}")
    return text, tuple(notes)


def _json_key(text: str, source: str, path: Path) -> str:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise BadInput(f"{source}: {printable(str(path))} starts with '{{' but is not JSON; "
                       "give the key alone or IBM's JSON key file") from None
    key = document.get("apikey") if isinstance(document, dict) else None
    if not isinstance(key, str):
        raise BadInput(f"{source}: {printable(str(path))} is JSON without a string 'apikey' "
                       "(IBM's key file has one)")
    return key


def credentials_file(env: Mapping[str, str]) -> Path | None:
    """The ibm-credentials.env IBM's SDK core reads, found the way it finds it."""
    if ENV_CREDENTIALS_FILE in env:
        return Path(env[ENV_CREDENTIALS_FILE])
    for folder in (Path.cwd(), Path.home()):
        if (folder / "ibm-credentials.env").is_file():
            return folder / "ibm-credentials.env"
    return None


def _sdk_config() -> dict[str, str]:
    """IBM's SDK core's own reading of the external configuration of the service `iamcheck`.
    It reads the credentials file without bound, so that file is checked first."""
    from ibm_cloud_sdk_core import read_external_sources

    path = credentials_file(os.environ)
    if path is not None:
        _check_credentials_file(path)
    try:
        config = read_external_sources(SDK_SERVICE) or {}
    except UnicodeDecodeError:
        raise BadInput(f"{printable(str(path))}: not UTF-8 text") from None
    except (ValueError, RecursionError, AttributeError, TypeError):  # VCAP_SERVICES, malformed
        raise BadInput("VCAP_SERVICES: not the JSON object Cloud Foundry writes") from None
    wanted = {key.removeprefix(SDK_SERVICE.upper() + "_") for key in SDK_KEYS}
    return {str(k): str(v) for k, v in config.items() if k in wanted}


def _check_credentials_file(path: Path) -> None:
    source = ENV_CREDENTIALS_FILE if ENV_CREDENTIALS_FILE in os.environ else "ibm-credentials.env"
    name = printable(str(path))
    try:
        info = path.stat()
    except OSError as err:
        raise BadInput(f"{source}: cannot read {name} ({err.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{source}: {name} is not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise BadInput(f"{source}: {name} is larger than {MAX_FILE_BYTES // 1024} KiB")


def _sdk(config: Mapping[str, str], variable: str, default: str = "") -> str:
    """The value IBM's SDK core read for `variable` (its config drops the service prefix)."""
    return config.get(variable.removeprefix(SDK_SERVICE.upper() + "_"), default)


def _sdk_source(key: str, value: str, env: Mapping[str, str]) -> str:
    if env.get(f"{SDK_SERVICE.upper()}_{key}") == value:
        return f"{SDK_SERVICE.upper()}_{key}"
    path = credentials_file(env)
    return f"{SDK_SERVICE.upper()}_{key} in {printable(str(path))}" if path else "VCAP_SERVICES"


def _from_sdk_config(config: Mapping[str, str], profile: str | None, where: Where,
                     env: Mapping[str, str]) -> Credentials:
    auth_type = _sdk(config, "IAMCHECK_AUTH_TYPE", "iam").strip().lower()
    if auth_type in ("iam", ""):
        if not _sdk(config, "IAMCHECK_APIKEY"):
            where_from = _sdk_source("AUTH_TYPE", _sdk(config, "IAMCHECK_AUTH_TYPE"), env)
            raise BadInput(f"{where_from}: auth type iam needs IAMCHECK_APIKEY")
        key = _sdk(config, "IAMCHECK_APIKEY")
        return _api_key(key, _sdk_source("APIKEY", key, env))
    if auth_type == "vpc":
        return _trusted_profile(profile, "vpc", env, config)
    if auth_type == "container":
        return _trusted_profile(profile, "container", env, config)
    raise BadInput(f"IAMCHECK_AUTH_TYPE: '{printable(auth_type[:40])}' is not one iamcheck "
                   "supports (iam, vpc, container)")


def _trusted_profile(profile: str | None, where: Where, env: Mapping[str, str],
                     config: Mapping[str, str]) -> TrustedProfile:
    cr_file = _sdk(config, "IAMCHECK_CR_TOKEN_FILENAME") or None
    place: Literal["vpc", "container"]
    if where == "auto":
        place = "container" if cr_file or _default_cr_token_present() else "vpc"
    else:
        place = where
    given = profile or next((value for value in (
        _sdk(config, "IAMCHECK_IAM_PROFILE_CRN"), _sdk(config, "IAMCHECK_IAM_PROFILE_ID"),
        _sdk(config, "IAMCHECK_IAM_PROFILE_NAME")) if value), None)
    if not given or not given.strip():
        raise BadInput("--auth trusted-profile needs --profile-id ID (or the profile's CRN or "
                       "name)")
    given = given.strip()
    if len(given) > 512 or any(c.isspace() or not c.isprintable() for c in given):
        raise BadInput("--profile-id: not a trusted profile ID, CRN or name")
    crn = given if given.startswith("crn:") else None
    pid = given if given.startswith("Profile-") else None
    name = None if crn or pid else given
    if crn is not None:
        if ":profile:" not in crn:
            raise BadInput(f"--profile-id: '{printable(crn[:120])}' is not a trusted profile's "
                           "CRN (…::profile:Profile-…)")
        if place == "container":  # ContainerAuthenticator takes an ID or a name, not a CRN
            pid, crn = crn.rsplit(":profile:", 1)[1], None
    url = _sdk(config, "IAMCHECK_AUTH_URL") or None
    if url is not None:
        url = check_metadata_url(url) if place == "vpc" else check_endpoint(url, "IAM token URL")
    source = f"trusted profile {printable((crn or pid or name or '')[:120])} " + (
        "(VPC instance metadata)" if place == "vpc" else "(compute resource token)")
    return TrustedProfile(place, pid, crn, name, url, cr_file, source)


def _default_cr_token_present() -> bool:
    from ibm_cloud_sdk_core.token_managers.container_token_manager import ContainerTokenManager

    names = (ContainerTokenManager.DEFAULT_CR_TOKEN_FILENAME1,
             ContainerTokenManager.DEFAULT_CR_TOKEN_FILENAME2,
             getattr(ContainerTokenManager, "DEFAULT_CR_TOKEN_FILENAME3", ""))
    return any(n and os.path.isfile(n) for n in names)


def check_metadata_url(url: str) -> str:
    """The metadata service is plain http at 169.254.169.254; anything else as --endpoint."""
    try:
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.hostname == METADATA_HOST:
            return url.rstrip("/")
    except ValueError:
        pass
    return check_endpoint(url, "the metadata service URL")


def authenticator(creds: Credentials, iam_url: str) -> Authenticator:
    """IBM's SDK authenticator for these credentials; `iam_url` is IAM's token service."""
    from ibm_cloud_sdk_core.authenticators import (
        ContainerAuthenticator,
        IAMAuthenticator,
        VPCInstanceAuthenticator,
    )

    try:
        if isinstance(creds, ApiKey):
            return IAMAuthenticator(creds.secret.reveal(), url=iam_url)
        if creds.where == "vpc":
            return VPCInstanceAuthenticator(
                iam_profile_crn=creds.profile_crn, iam_profile_id=creds.profile_id,
                iam_profile_name=creds.profile_name, url=creds.url)
        return ContainerAuthenticator(
            cr_token_filename=creds.cr_token_file, iam_profile_name=creds.profile_name,
            iam_profile_id=creds.profile_id, url=creds.url or iam_url)
    except ValueError as err:  # the SDK's own validation; its messages hold no secret
        raise BadInput(f"{creds.source}: {printable(str(err).splitlines()[0][:200])}") from None
