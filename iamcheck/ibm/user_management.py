"""User Management: the account's users, and one user by email or iam_id."""

from __future__ import annotations

from typing import Any

from ibm_platform_services import UserManagementV1
from ibm_platform_services.user_management_v1 import UsersPager

from iamcheck.ibm._convert import convert_all, reading
from iamcheck.ibm.session import IbmSession, NotFound
from iamcheck.model import User

PAGE = 100


def list_users(session: IbmSession, account_id: str, search: str | None = None) -> list[User]:
    client = session.client(UserManagementV1)
    pager = UsersPager(client=client, account_id=account_id, limit=PAGE, search=search)
    what = "list users" if search is None else f"find users ({search})"
    return convert_all(what, session.pages(what, pager), user_from_json)


def find_user(
    session: IbmSession, account_id: str, *, email: str | None = None, iam_id: str | None = None
) -> User | None:
    """One user by email (case-insensitive) or by iam_id; None when the account has none."""
    if iam_id is not None:
        client = session.client(UserManagementV1)
        what = f"read user {iam_id}"
        try:
            raw = session.call(
                what, client.get_user_profile, account_id=account_id, iam_id=iam_id
            ).get_result()
        except NotFound:
            return None
        with reading(what):
            return user_from_json(raw)
    assert email is not None
    matches = [
        u
        for u in list_users(session, account_id, search=f"email:{email}")
        if u.email.lower() == email.lower()
    ]
    return matches[0] if matches else None


def user_from_json(raw: dict[str, Any]) -> User:
    return User(
        iam_id=raw["iam_id"],
        email=raw.get("email") or "",
        state=raw.get("state") or "",
        realm=raw.get("realm") or "",
        user_id=raw.get("user_id") or "",
        firstname=raw.get("firstname") or "",
        lastname=raw.get("lastname") or "",
    )
