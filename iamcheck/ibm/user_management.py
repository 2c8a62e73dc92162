"""User Management: the account's users, and those an email or iam_id names."""

from __future__ import annotations

from typing import Any

from ibm_platform_services.user_management_v1 import UserManagementV1, UsersPager

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_all, reading
from iamcheck.ibm.session import IbmSession
from iamcheck.model import User

PAGE = 100


def list_users(session: IbmSession, account_id: str, search: str | None = None) -> list[User]:
    client = session.client(UserManagementV1)
    pager = UsersPager(client=client, account_id=account_id, limit=PAGE, search=search)
    what = "list users" if search is None else f"find users ({search})"
    return convert_all(what, session.pages(what, pager), lambda raw: user_from_json(
        validate.item(raw, validate.USER, what, validate.USERS, "resources")))


def users_named(session: IbmSession, account_id: str, kind: str, value: str) -> list[User]:
    """The users an email (`kind` "email", as IBM's search matches it) or an iam_id names;
    iamcheck.read.lookup picks among them."""
    if kind == "email":
        return list_users(session, account_id, search=f"email:{value}")
    client = session.client(UserManagementV1)
    what = f"read user {value}"
    raw = session.optional(what, client.get_user_profile, account_id=account_id, iam_id=value)
    if raw is None:
        return []
    validate.item(raw, validate.USER, what, validate.USERS, "user")
    if raw["iam_id"] != value:
        raise validate.InvalidAnswer(f"{what}: IBM Cloud answered with another user")
    with reading(what):
        return [user_from_json(raw)]


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
