"""The console access token (VPC API) and the WebSocket URL it opens (ibm-iam-semantics.md §7.1,
§7.2). A token is single-use, valid 3 minutes, and one per instance at a time: use it at once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from iamcheck.console.propagation import NotYetInEffect
from iamcheck.errors import ApiFailure, ExitCode, IamcheckError, NotAuthorized
from iamcheck.ibm import vpc
from iamcheck.ibm.session import IbmSession
from iamcheck.ibm.vpc_values import ConsoleType
from iamcheck.model import Instance
from iamcheck.settings import is_loopback

TOKEN_LIFETIME = "3 minutes"
# IBM documents no status for "console in use" (§7.2): words first, then the statuses that
# can mean it. A conflict that names the power state is not "busy".
BUSY_STATUS = frozenset({409, 423})
BUSY_WORDS = ("busy", "in use", "in_use", "already")
NOT_RUNNING_WORDS = ("not running", "not_running", "stopped")


class ConsoleBusy(IamcheckError):
    """Someone else holds the instance's serial console (one session at a time)."""

    exit_code = ExitCode.FINDING


class NotRunning(IamcheckError):
    """The instance stopped between the pre-flight and the console."""

    exit_code = ExitCode.FINDING


class ConsoleRefused(NotAuthorized):
    """VPC refused the console although the pre-flight found nothing wrong."""


def busy_message(instance: Instance, console_type: ConsoleType, detail: str) -> str:
    if console_type == "vnc":
        return (
            f"the VNC console of {instance.name} is busy ({detail}); IBM allows two VNC "
            "sessions per instance: close one (--force does not apply to VNC), or use the "
            f"serial console: iamcheck console {instance.name} --serial"
        )
    return (
        f"the serial console of {instance.name} is in use by another session ({detail}); "
        "IBM allows one serial session per instance. To take it over, run again with --force: "
        "it disconnects the other session (you are asked to confirm; --yes skips the question)"
    )


def is_busy(status: int | None, detail: str) -> bool:
    text = detail.lower()
    if any(word in text for word in NOT_RUNNING_WORDS):
        return False
    return any(word in text for word in BUSY_WORDS) or status in BUSY_STATUS


def create_token(
    session: IbmSession,
    region: vpc.Region,
    instance: Instance,
    console_type: ConsoleType,
    force: bool,
    allowed: bool = True,
) -> vpc.ConsoleToken:
    """A fresh token, or an error that says what a refusal means for this console. `allowed`:
    the pre-flight found the caller's IAM access (else it could not tell)."""
    try:
        return vpc.create_console_token(session, region, instance.id, console_type, force)
    except vpc.TokenRefused as err:
        detail = f"VPC answered {err.status} {err.code}: {err.message}".rstrip(": ")
        if not (force and console_type == "serial") and is_busy(err.status, detail):
            raise ConsoleBusy(busy_message(instance, console_type, detail)) from None
        if any(word in detail.lower() for word in NOT_RUNNING_WORDS):
            raise NotRunning(
                f"{detail}. Start the instance (ibmcloud is instance-start {instance.id}), "
                "then run this again"
            ) from None
        if err.status == 403 and allowed:
            raise NotYetInEffect(
                f"{detail}. IAM policies allow the console, so a new policy may still be taking "
                "effect (retry in a few minutes), or a context-based restriction on VPC "
                "Infrastructure Services blocks this network"
            ) from None
        if err.status == 403:
            raise ConsoleRefused(
                f"{detail}. You may not open this console: an administrator can grant it "
                f"(iamcheck check --instance {instance.name} explains what is missing)"
            ) from None
        raise ApiFailure(f"creating the console access token failed: {detail}") from None


def websocket_url(token: vpc.ConsoleToken) -> str:
    """The token's href with the token itself (and version and generation if absent), as IBM's
    websocat example opens it. Plain ws:// is accepted only on loopback (the emulator)."""
    parts = urlsplit(token.href)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise ApiFailure(f"VPC returned a console href iamcheck cannot open ({parts.scheme}://)")
    if scheme == "ws" and not is_loopback(parts.hostname):
        raise ApiFailure(
            f"VPC returned an unencrypted console URL for {parts.hostname}; refusing to send "
            "the token in clear"
        )
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "access_token"]
    present = {k for k, _ in query}
    query.insert(0, ("access_token", token.access_token))
    if "version" not in present:
        query.append(("version", token.version))
    if "generation" not in present:
        query.append(("generation", "2"))
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))


def handshake_error(
    instance: Instance, console_type: ConsoleType, status: int, body: str, force: bool
) -> IamcheckError:
    """What a refused WebSocket upgrade means (IBM documents no status for a busy console)."""
    detail = f"the console WebSocket answered HTTP {status}" + (f": {body}" if body else "")
    if not (force and console_type == "serial") and is_busy(status, body):
        return ConsoleBusy(busy_message(instance, console_type, detail))
    if status in (401, 403):
        return ConsoleRefused(
            f"{detail}. The token is single-use and valid {TOKEN_LIFETIME}: run the command "
            "again for a fresh one"
        )
    return ApiFailure(f"{detail}; run the command again for a fresh token")
