"""Account Management: who owns the account (the owner holds every role without a policy)."""

from __future__ import annotations

from ibm_platform_services.account_management_v4 import AccountManagementV4

from iamcheck.ibm import validate
from iamcheck.ibm._convert import reading
from iamcheck.ibm.errors import NotFound, Refused
from iamcheck.ibm.session import IbmSession


def account_owner(session: IbmSession, account_id: str) -> str | None:
    """The owner's iam_id, or None when iamcheck may not read the account's details."""
    client = session.client(AccountManagementV4)
    what = f"read account {account_id}"
    try:
        result = session.call(what, client.get_account, account_id=account_id).get_result()
    except (Refused, NotFound):
        return None
    validate.check(result, validate.ACCOUNT, what, validate.ACCOUNTS)
    with reading(what):
        return str(result["owner_iamid"])
