"""Checking what the user typed before any IBM call: emails, iam_ids, instance refs, times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from iamcheck.errors import BadInput, printable

EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
IAM_ID = re.compile(r"^(IBMid|iam-ServiceId|iam-Profile|[0-9]{3,})-[A-Za-z0-9_-]{3,}$")
INSTANCE_ID = re.compile(r"^[0-9a-z]{4}_[0-9a-z][0-9a-z-]{6,62}$")
INSTANCE_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
INSTANCE_CRN = re.compile(
    r"^crn:v1:(?P<cname>[a-z0-9-]+):(?P<ctype>public|dedicated|local):is:"
    r"(?P<zone>[a-z]{2}-[a-z]{2,5}-[1-9]):a/(?P<account>[0-9a-f]{32})::instance:"
    r"(?P<id>[0-9a-z]{4}_[0-9a-z-]{7,63})$"
)
# ASCII digits only: `\d` would take "٣h" (an Arabic-Indic three) as three hours
DURATION = re.compile(r"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$")
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
# a VPC region: geography-place, as IBM names them (us-south, eu-gb, jp-tok)
REGION = re.compile(r"^[a-z]{2}-[a-z]{2,12}$")


def _shown(text: str, limit: int) -> str:
    return printable(text[:limit])


@dataclass(frozen=True)
class UserRef:
    kind: Literal["email", "iam_id"]
    value: str


@dataclass(frozen=True)
class InstanceRef:
    kind: Literal["crn", "id", "name"]
    value: str


def crn_location(crn: str) -> tuple[str, str] | None:
    """(region, instance id) of a VPC instance's CRN; None when it is not one."""
    match = INSTANCE_CRN.match(crn)
    return (match["zone"].rsplit("-", 1)[0], match["id"]) if match else None


def user_ref(text: str, option: str = "--user") -> UserRef:
    text = text.strip()
    if "@" in text:
        if not EMAIL.match(text) or len(text) > 254:
            raise BadInput(f"{option}: '{_shown(text, 80)}' is not a valid email address")
        return UserRef("email", text)
    if IAM_ID.match(text) and len(text) <= 128:
        return UserRef("iam_id", text)
    raise BadInput(
        f"{option}: '{_shown(text, 80)}' is neither an email nor an IAM ID "
        "(IBMid-..., iam-ServiceId-...)"
    )


def instance_ref(text: str, option: str = "--instance") -> InstanceRef:
    text = text.strip()
    if text.startswith("crn:"):
        if crn_location(text) is None:
            raise BadInput(
                f"{option}: '{_shown(text, 120)}' is not the CRN of a VPC instance "
                "(crn:v1:bluemix:public:is:<zone>:a/<account>::instance:<id>)"
            )
        return InstanceRef("crn", text)
    if INSTANCE_ID.match(text):
        return InstanceRef("id", text)
    if INSTANCE_NAME.match(text):
        return InstanceRef("name", text)
    raise BadInput(f"{option}: '{_shown(text, 80)}' is not an instance id, name or CRN")


def instant(text: str, option: str = "--at") -> datetime:
    """An ISO 8601 time with an explicit UTC offset (IAM's time rules carry offsets, P4)."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise BadInput(
            f"{option}: '{_shown(text, 60)}' is not an ISO 8601 time "
            "(e.g. 2026-12-24T18:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise BadInput(
            f"{option}: '{_shown(text, 60)}' has no UTC offset; add one, e.g. +00:00 or Z"
        )
    return value


def duration(text: str, option: str = "--ttl") -> timedelta:
    """A duration like 90m, 8h, 2d or 1d12h."""
    match = DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise BadInput(
            f"{option}: '{_shown(text, 40)}' is not a duration like 90m, 8h, 2d or 1d12h"
        )
    days, hours, minutes = (int(g or 0) for g in match.groups())
    if max(days, hours, minutes) > 10**6:  # far past the limit below; timedelta would overflow
        raise BadInput(f"{option}: '{_shown(text, 40)}' must be between 1 minute and 366 days")
    value = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(minutes=1) <= value <= timedelta(days=366):
        raise BadInput(f"{option}: '{_shown(text, 40)}' must be between 1 minute and 366 days")
    return value


def account_id(text: str, option: str = "--account") -> str:
    """An IBM Cloud account id: 32 lower-case hex digits."""
    value = text.strip()
    if not ACCOUNT_ID.match(value):
        raise BadInput(f"{option}: '{_shown(text, 60)}' is not an account id (32 hex digits)")
    return value


def region_name(text: str, option: str = "--region") -> str:
    """The shape of a VPC region name; whether it exists is checked against IBM's list."""
    value = text.strip()
    if not REGION.match(value):
        raise BadInput(f"{option}: '{_shown(text, 40)}' is not a VPC region name (e.g. us-south)")
    return value


def known_region(name: str, known: list[str] | tuple[str, ...], option: str = "--region") -> None:
    """BadInput unless `name` is one of the regions IBM (or the snapshot) lists."""
    if name not in known:
        listed = ", ".join(sorted(known)[:20]) or "none"
        raise BadInput(f"{option}: no VPC region '{_shown(name, 40)}' (known: {listed})")
