"""Instance consoles: single-use access tokens, open sessions, and the limits IBM documents.

One valid token per instance (a new one replaces it), used once, valid TOKEN_SECONDS. Sessions:
one serial (a `force` token takes it over), two VNC. A session closes after IDLE_SECONDS without
input or SESSION_SECONDS in all, and when its instance stops. Every limit is a setting
(SETTINGS) the control API can change, so tests can shorten them.

Sessions belong to WebSocket handlers on the server's event loop; `kick()` may be called from
any thread (tests, the control API) and hands the close over to that loop.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamcheck.emulator.backend.guesses import RefuseAt
from iamcheck.emulator.backend.vpc import VpcError, VpcStore

CONSOLE_TYPES = ("serial", "vnc")
MAX_SESSIONS = {"serial": 1, "vnc": 2}  # IBM: "limited to 2" VNC, "limited to 1" serial
TOKEN_SECONDS = 180.0  # IBM: "The access token will be invalid after 3 minutes."
IDLE_SECONDS = 600.0  # IBM: "expires after idling for 10 minutes"
SESSION_SECONDS = 3600.0  # IBM: "closed after 60 minutes, regardless of activity"

# WebSocket close codes (4000-4999 are the application's) and the reasons sent with them.
TAKEN_OVER = 4001
IDLE = 4002
TOO_LONG = 4003
STOPPED = 4004
BUSY = 4009


class ConsoleRefused(Exception):
    """A session that cannot open: the socket is accepted, then closed with `code`, `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ConsoleToken:
    value: str
    region: str
    instance_id: str
    console_type: str
    force: bool
    created: float  # epoch seconds
    expires: float

    def json(self, href: str) -> dict[str, Any]:
        """The InstanceConsoleAccessToken body."""
        return {"access_token": self.value, "console_type": self.console_type,
                "created_at": _stamp(self.created), "expires_at": _stamp(self.expires),
                "force": self.force, "href": href}


@dataclass(eq=False)
class ConsoleSession:
    console_type: str
    instance: dict[str, Any]  # the VPC store's record: its name and status are live
    loop: asyncio.AbstractEventLoop
    opened: float = field(default_factory=time.monotonic)
    last_input: float = field(default_factory=time.monotonic)
    closing: asyncio.Future[tuple[int, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.closing = self.loop.create_future()

    @property
    def key(self) -> tuple[str, str]:
        return self.instance["region"], self.instance["id"]

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def kick(self, code: int, reason: str) -> None:
        """Ask the session's handler to close with `code` and `reason` (thread-safe)."""
        def settle() -> None:
            if not self.closing.done():
                self.closing.set_result((code, reason))
        self.loop.call_soon_threadsafe(settle)


class ConsoleStore:
    def __init__(self, vpc: VpcStore) -> None:
        self.vpc = vpc
        self.token_seconds = TOKEN_SECONDS
        self.idle_seconds = IDLE_SECONDS
        self.session_seconds = SESSION_SECONDS
        # A guess (IBM documents no code): refuse a stopped instance or a busy serial console
        # when the token is made ("token") or only when the socket connects ("connection").
        self.refuse_at: RefuseAt = "token"
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], ConsoleToken] = {}
        self._sessions: list[ConsoleSession] = []

    # ---- tokens

    def issue(self, instance: dict[str, Any], console_type: str, force: bool) -> ConsoleToken:
        """A new token for `instance`, replacing any other (IBM: one valid token at a time)."""
        key = (instance["region"], instance["id"])
        if self.refuse_at == "token":
            _check_running(instance)
        if (self.refuse_at == "token" and console_type == "serial" and not force
                and self.sessions(*key, "serial")):
            raise VpcError(409, "console_in_use", "The serial console of this instance is in use; "
                           "create the token with \"force\": true to take it over.")
        now = time.time()
        token = ConsoleToken(secrets.token_urlsafe(32), *key, console_type, force, now,
                             now + self.token_seconds)
        with self._lock:
            self._tokens[key] = token
        return token

    def redeem(self, value: str | None, region: str, instance_id: str) -> ConsoleToken:
        """Use up the token (single use); IBM's 401 when it is missing, unknown, used, expired
        or for another instance."""
        key = (region, instance_id)
        with self._lock:
            token = self._tokens.get(key)
            if not value or token is None or not secrets.compare_digest(token.value, value):
                raise VpcError(401, "console_access_token_invalid", "The console access token is "
                               "not valid for this instance (unknown, already used or replaced).")
            del self._tokens[key]
        if time.time() >= token.expires:
            raise VpcError(401, "console_access_token_expired",
                           f"The console access token expired at {_stamp(token.expires)}.")
        return token

    # ---- sessions

    def sessions(self, region: str, instance_id: str, console_type: str) -> list[ConsoleSession]:
        with self._lock:
            return [s for s in self._sessions if s.key == (region, instance_id)
                    and s.console_type == console_type and not s.closing.done()]

    def open(self, token: ConsoleToken, loop: asyncio.AbstractEventLoop) -> ConsoleSession:
        """Admit a session for a redeemed token, or raise ConsoleRefused."""
        try:
            instance = self.vpc.instance(token.region, token.instance_id)
        except VpcError:
            raise ConsoleRefused(STOPPED, "refused: the instance no longer exists") from None
        if instance["status"] != "running":
            raise ConsoleRefused(STOPPED, f"refused: the instance is {instance['status']}, "
                                 "not running")
        kind = token.console_type
        others = self.sessions(token.region, token.instance_id, kind)
        taken_over: list[ConsoleSession] = []
        if kind == "serial" and others and token.force:
            taken_over = others
            for other in others:
                other.kick(TAKEN_OVER, "disconnected: another user took over the serial "
                                       "console (force)")
        elif len(others) >= MAX_SESSIONS[kind]:
            raise ConsoleRefused(BUSY, f"console busy: the {kind} console of this instance "
                                 f"allows {MAX_SESSIONS[kind]} session(s) at a time")
        session = ConsoleSession(kind, instance, loop)
        with self._lock:
            self._sessions = [s for s in self._sessions if s not in taken_over] + [session]
        return session

    def close(self, session: ConsoleSession) -> None:
        with self._lock:
            self._sessions = [s for s in self._sessions if s is not session]

    def time_left(self, session: ConsoleSession) -> tuple[float, int, str]:
        """Seconds until the next limit closes the session, with that limit's code and reason."""
        now = time.monotonic()
        idle = session.last_input + self.idle_seconds - now
        total = session.opened + self.session_seconds - now
        if idle <= total:
            return idle, IDLE, (f"session closed: idle for {self.idle_seconds:g} seconds "
                                "(idle limit)")
        return total, TOO_LONG, (f"session closed: open for {self.session_seconds:g} seconds "
                                 "(session limit)")

    # ---- the instance's power state

    def set_status(self, instance: dict[str, Any], status: str) -> None:
        """Start or stop an instance; stopping drops its token and closes its consoles."""
        instance["status"] = status
        if status == "running":
            return
        key = (instance["region"], instance["id"])
        with self._lock:
            self._tokens.pop(key, None)
            doomed = [s for s in self._sessions if s.key == key]
        for session in doomed:
            session.kick(STOPPED, f"disconnected: the instance was {status}")


def _check_running(instance: dict[str, Any]) -> None:
    if instance["status"] != "running":
        raise VpcError(409, "instance_not_running", "A console access token can be created only "
                       f"for a running instance; this one is {instance['status']}.")


# Settings of POST /_emulator/config that belong to the consoles: key -> ConsoleStore field.
SETTINGS = {
    "console_token_seconds": "token_seconds",
    "console_idle_seconds": "idle_seconds",
    "console_session_seconds": "session_seconds",
}


def check_seconds(key: str, value: Any) -> float:
    """A console setting's value, or ValueError naming what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"'{key}' must be a positive number of seconds.")
    return float(value)
