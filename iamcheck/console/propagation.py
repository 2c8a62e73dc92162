"""Waiting for a new policy to reach VPC (rule E1). IBM: "Changes to IAM access policies for VPC
can take up to 10 minutes to take effect". A 403 on the console token after a pre-flight that
allowed is therefore retried with back-off, for at most `limit` seconds, saying on stderr what it
waits for and how long it has waited; then it is exit 4 naming the delay. Ctrl-C ends the wait at
once (the sleep is interrupted: exit 130)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from iamcheck.errors import NotAuthorized

T = TypeVar("T")
DEFAULT_WAIT = 600  # seconds: IBM's "up to 10 minutes"
FIRST_DELAY, MAX_DELAY = 1.0, 30.0  # seconds between attempts, doubling


class NotYetInEffect(NotAuthorized):
    """VPC refused the console although IAM allows it: a new policy may not be in effect yet."""


class PropagationTimeout(NotAuthorized):
    """VPC kept refusing for the whole wait."""


def wait_for_vpc(attempt: Callable[[], T], limit: float, note: Callable[[str], None],
                 what: str, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """`attempt()` until it stops raising NotYetInEffect, for at most `limit` seconds."""
    start = clock()
    delay = FIRST_DELAY
    while True:
        try:
            return attempt()
        except NotYetInEffect as err:
            waited = clock() - start
            if waited + delay > limit:
                if limit <= 0:
                    raise
                raise PropagationTimeout(
                    f"{err}; VPC still refused after {waited:.0f} s of waiting "
                    f"(--wait-propagation {limit:g}). IBM says a change to IAM policies can take "
                    "up to 10 minutes to reach VPC: run this again later, or wait longer with "
                    "--wait-propagation SECONDS") from None
            note(f"iamcheck: VPC refuses the console token of {what} although IAM allows it: "
                 "a new policy can take up to 10 minutes to reach VPC (E1). Waited "
                 f"{waited:.0f} s of at most {limit:g} s; trying again in {delay:.0f} s "
                 "(Ctrl-C stops)")
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
