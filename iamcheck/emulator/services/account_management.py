"""Account Management: the account's details, which name its owner."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import account_owner, forbidden
from iamcheck.emulator.errors import IbmError
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, ok

API = "Account Management"


async def get_account(request: Request) -> Response:
    """GET /v4/accounts/{account_id}: any identity of the account may read who owns it."""
    backend, account_id = backend_of(request), request.path_params["account_id"]
    if account_id != backend.account_id or caller_of(request).account_id != account_id:
        raise forbidden(f"account '{account_id}'")
    owner = account_owner(backend) or ""
    try:
        profile = backend.users.get(account_id, owner)
    except IbmError:  # the owner's key may belong to a service ID in a test seed
        profile = {}
    return ok({
        "name": f"account-{account_id[:8]}", "id": account_id,
        "owner": profile.get("email", owner), "owner_userid": profile.get("user_id", ""),
        "owner_iamid": owner, "type": "PAYG", "status": "ACTIVE",
        "linked_softlayer_account": "", "team_directory_enabled": False,
        "traits": {"eu_supported": False, "poc": False, "hippa": False}})


ENDPOINTS = [
    Endpoint(API, "GET", "/v4/accounts/{account_id}", get_account,
             "Get an account (names its owner)"),
]
