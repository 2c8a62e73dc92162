"""User Management: the account's users, searched and paged the way IBM pages them."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from iamcheck.emulator.errors import IbmError, bad_request, not_found

ADDED_ON = "2026-01-05T09:00:00.000Z"
# `search` field -> UserProfile key. IBM also names `substate`, which profiles do not carry.
SEARCH_FIELDS: dict[str, str | None] = {
    "email": "email", "iam_id": "iam_id", "state": "state", "firstname": "firstname",
    "lastname": "lastname", "realm": "realm", "userId": "user_id", "substate": None,
}


class UserStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        self._users: dict[str, dict[str, Any]] = {
            u["iam_id"]: self._profile(u) for u in seed.get("users", [])}

    def _profile(self, user: dict[str, Any]) -> dict[str, Any]:
        """Every UserProfile field, the ones the seed leaves out filled as IBM would."""
        return {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, user["iam_id"]).hex,
            "iam_id": user["iam_id"],
            "realm": user.get("realm", "IBMid"),
            "user_id": user.get("user_id", user["email"]),
            "firstname": user.get("firstname", ""),
            "lastname": user.get("lastname", ""),
            "state": user["state"],
            "email": user["email"],
            "phonenumber": "",
            "altphonenumber": "",
            "photo": "",
            "account_id": self.account_id,
            "added_on": user.get("added_on", ADDED_ON),
        }

    def check_account(self, account_id: str) -> None:
        if account_id != self.account_id:
            raise IbmError(403, "forbidden",
                           f"You are not authorized to view the users of account '{account_id}'.")

    def get(self, account_id: str, iam_id: str) -> dict[str, Any]:
        self.check_account(account_id)
        try:
            return dict(self._users[iam_id])
        except KeyError:
            raise not_found("User", iam_id) from None

    def search(self, account_id: str, search: str | None,
               user_id: str | None) -> list[dict[str, Any]]:
        """The users that match `search` (terms OR'ed) and `user_id`, in the account's order."""
        self.check_account(account_id)
        terms = _terms(search) if search else []
        return [dict(u) for u in self._users.values()
                if (user_id is None or u["user_id"] == user_id)
                and (not terms or any(_hit(u, key, value) for key, value in terms))]

    @staticmethod
    def page(users: list[dict[str, Any]], start: str | None,
             limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page from the opaque `_start` token on, and the token of the next page."""
        offset = _decode_start(start) if start else 0
        end = offset + limit
        return users[offset:end], _encode_start(end) if end < len(users) else None


def _terms(search: str) -> list[tuple[str | None, str]]:
    """`email:a@example.com,state:ACTIVE` -> [(field, lowercased value), ...]."""
    terms = []
    for raw in search.split(","):
        name, sep, value = raw.partition(":")
        if not sep or name.strip() not in SEARCH_FIELDS:
            raise bad_request(f"Invalid search term '{raw}': use one of "
                              f"{', '.join(SEARCH_FIELDS)} followed by ':' and a value.",
                              "invalid_search")
        terms.append((SEARCH_FIELDS[name.strip()], value.strip().lower()))
    return terms


def _hit(user: dict[str, Any], key: str | None, value: str) -> bool:
    # IBM describes these as substring searches; all comparisons ignore case
    return key is not None and value in str(user[key]).lower()


def _encode_start(offset: int) -> str:
    return base64.urlsafe_b64encode(f"u{offset}".encode()).decode().rstrip("=")


def _decode_start(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("u") and text[1:].isdigit():
            return int(text[1:])
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise bad_request(f"The _start token '{token}' is not valid.", "invalid_start")
