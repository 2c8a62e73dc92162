"""The --claims FILE: which identity provider each user signs in through, and their claims.

A JSON object. Each key is an email, an IAM ID, or "*" (everyone the file does not name); each
value is {"realm": "<IdP URL or appid://realm>" | null, "claims": {"<claim>": value}} where a
value is a string or a list of strings (booleans and numbers are turned into strings, as IBM
does before it compares). Pure: text in, frozen values out, or errors.BadInput naming the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iamcheck.errors import BadInput, printable
from iamcheck.model import Claims, UserClaims
from iamcheck.strict_json import JsonRefused, loads

EVERYONE = "*"
_ENTRY_KEYS = {"realm", "claims"}
_MAX_KEY = 200  # shown in messages, so kept short


def load_claims(path: Path | None) -> Claims | None:
    """The --claims FILE, parsed (None without the option); exit 2 before any IBM call."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BadInput(f"--claims: cannot read {path} ({err.strerror})") from None
    except UnicodeDecodeError:
        raise BadInput(f"--claims: {path} is not UTF-8 text") from None
    return parse_claims(text, f"--claims {path}")


def parse_claims(text: str, source: str = "claims file") -> Claims:
    """Read the file's text. Raises BadInput (one line) naming the first bad key."""
    try:
        data = loads(text)  # strict: no huge integers, duplicate keys or NaN
    except JsonRefused as err:
        raise BadInput(f"{source}: not JSON ({printable(str(err))[:120]})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{source}: must be a JSON object keyed by email, IAM ID or \"*\"")
    by_iam_id: dict[str, UserClaims] = {}
    by_email: dict[str, UserClaims] = {}
    everyone: UserClaims | None = None
    for key, value in data.items():
        where = f"{source}: key {_show(key)}"
        if not key.strip():
            raise BadInput(f"{where}: an empty key names nobody")
        entry = _entry(value, where)
        if key == EVERYONE:
            everyone = entry
        elif "@" in key:
            _add(by_email, key.strip().lower(), entry, where)
        else:
            _add(by_iam_id, key.strip(), entry, where)
    return Claims(tuple(sorted(by_iam_id.items())), tuple(sorted(by_email.items())), everyone)


def _add(table: dict[str, UserClaims], key: str, entry: UserClaims, where: str) -> None:
    if key in table:
        raise BadInput(f"{where}: names the same user as another key")
    table[key] = entry


def _show(key: str) -> str:
    return json.dumps(printable(key[:_MAX_KEY]))


def _entry(value: Any, where: str) -> UserClaims:
    if not isinstance(value, dict):
        raise BadInput(f"{where}: must be an object with \"realm\" and \"claims\"")
    unknown = sorted(set(value) - _ENTRY_KEYS)
    if unknown:
        raise BadInput(f"{where}: unknown field {_show(unknown[0])} (expected realm, claims)")
    if "realm" not in value:
        raise BadInput(f"{where}: \"realm\" is required (the IdP URL, or null)")
    realm = value["realm"]
    if realm is not None and (not isinstance(realm, str) or not realm.strip()):
        raise BadInput(f"{where}: \"realm\" must be the identity provider's URL or null")
    claims = value.get("claims", {})
    if not isinstance(claims, dict):
        raise BadInput(f"{where}: \"claims\" must be an object of claim name to value")
    out: list[tuple[str, str | tuple[str, ...]]] = []
    for name, claim in claims.items():
        out.append((name, _claim(claim, f"{where}, claim {_show(name)}")))
    return UserClaims(realm.strip() if isinstance(realm, str) else None, tuple(sorted(out)))


def _claim(value: Any, where: str) -> str | tuple[str, ...]:
    if isinstance(value, list):
        return tuple(_scalar(item, where) for item in value)
    return _scalar(value, where)


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise BadInput(f"{where}: a claim value must be a string, a number, a boolean or a list "
                   "of them")
