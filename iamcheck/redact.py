"""Removing secrets from text iamcheck prints: relayed IBM messages, log lines, --debug traces.

Two layers. The secrets the run holds (the API key, the bearer and refresh tokens) are
removed wherever they appear, also URL-encoded or JSON-escaped. Then anything shaped like a
secret is removed even when iamcheck does not hold it: a value after `apikey=`,
`"refresh_token": "..."`, `Authorization: Bearer ...`, a JWT, and a long mixed-case run of
API-key characters (an IBM Cloud API key is 44 of them; a refresh token is longer).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MARK = "[redacted]"

_KEY_CHARS = r"A-Za-z0-9_\-"
# an IBM Cloud API key (44 characters of [A-Za-z0-9_-]) or an opaque token (a refresh token):
# a run of 40 or more such characters standing alone, mixing upper, lower case and digits
# and holding no UUID (the ids of that length: lower-case hex, or iam-ServiceId-<uuid>)
_OPAQUE = rf"(?<![{_KEY_CHARS}])(?P<opaque>[{_KEY_CHARS}]{{40,}})(?![{_KEY_CHARS}])"
# a JWT: base64url header and payload (both JSON objects, so "eyJ"), optional signature
_JWT = r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]*\.?[A-Za-z0-9_\-]*"
_SCHEME_TOKEN = r"(?i:\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=\-]+"
_SECRET_NAMES = (
    r"api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|token|password"
    r"|passcode|secret|client[_-]?secret|authorization"
)
# name=value, name: value (IBMCLOUD_API_KEY=... too), "name": "value", 'name': 'value':
# the value goes, the name stays
_NAMED = (
    rf"(?i:(?P<name>[\"']?(?<![A-Za-z0-9])(?:{_SECRET_NAMES})\b[\"']?\s*[:=]\s*))"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|(?:bearer\s+|basic\s+)?[^\s&,;}\]\"')]+)"
)
_SHAPES = re.compile(rf"{_NAMED}|{_JWT}|{_SCHEME_TOKEN}|{_OPAQUE}")


def _forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: raw, URL-encoded, JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


class Redactor:
    """The secrets of one run; `redact` is safe to call from any thread."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._known: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Hold one more secret (a token fetched during the run); empty values are ignored."""
        secret = secret.strip()
        if not secret:
            return
        with self._lock:
            forms = _forms(secret)
            if not forms <= self._secrets:
                self._secrets |= forms
                self._known = None  # compiled when next needed: adding stays cheap

    def __repr__(self) -> str:  # a traceback with locals must not print the secrets
        return f"Redactor({len(self._secrets)} forms)"

    def redact(self, text: str) -> str:
        with self._lock:
            if self._known is None and self._secrets:
                # longest first, so a secret that contains another goes whole
                alternatives = sorted(self._secrets, key=len, reverse=True)
                self._known = re.compile("|".join(re.escape(s) for s in alternatives))
            known = self._known
        if known is not None:
            text = known.sub(MARK, text)
        return _SHAPES.sub(_replace, text)


# IBM ids that reach that length: iam-ServiceId-<uuid>, iam-Profile-<uuid>, crn parts, ...
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _secret_like(run: str) -> bool:
    mixed = (any(c.isupper() for c in run) and any(c.islower() for c in run)
             and any(c.isdigit() for c in run))
    return mixed and not _UUID.search(run)


def _replace(match: re.Match[str]) -> str:
    opaque = match.group("opaque")
    if opaque is not None:
        return MARK if _secret_like(opaque) else opaque
    name = match.group("name")
    if name is None:
        return MARK
    value = match.group("value")
    if value.startswith(('"', "'")):
        return f"{name}{value[0]}{MARK}{value[0]}"
    return f"{name}{MARK}"


def redact_shapes(text: str) -> str:
    """Only the shape rules: for text from before the run's secrets are known."""
    return _SHAPES.sub(_replace, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message and any traceback of a record, so
    --debug output cannot carry a secret whatever the handler's format."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redactor.redact(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


# The run's secrets, process-wide: the session adds the key and each token it fetches, and
# every line iamcheck prints to stderr (errors, notes, --debug traces) goes through it.
RUN = Redactor()


def scrubbed(text: str) -> str:
    """`text` without the run's secrets or anything shaped like one."""
    return RUN.redact(text)


def guard_logger(name: str) -> None:
    """Redact every record of logger `name` (the SDK's, with --debug) before any handler."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter(RUN))
