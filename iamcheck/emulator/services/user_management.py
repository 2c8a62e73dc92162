"""User Management (v1 SDK, /v2 paths): list the account's users, read one profile."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, int_param, ok

API = "User Management"
DEFAULT_LIMIT = 100


async def list_users(request: Request) -> Response:
    params, account_id = request.query_params, request.path_params["account_id"]
    limit = int_param(request, "limit", DEFAULT_LIMIT, 1, 100)
    store = backend_of(request).users
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    # without a role on User Management, IBM lists only the caller
    users = [u for u in store.search(account_id, params.get("search"), params.get("user_id"))
             if seen.user(u["iam_id"])]
    page, next_start = store.page(users, params.get("_start"), limit)
    # IBM's links are relative and carry the same filters; the next one adds `_start`
    query = [("limit", str(limit))] + [(k, params[k]) for k in ("search", "user_id") if k in params]
    path = f"/v2/accounts/{account_id}/users"
    body = {"total_results": len(users), "limit": limit,
            "first_url": f"{path}?{urlencode(query)}", "resources": page}
    if next_start is not None:
        body["next_url"] = f"{path}?{urlencode([*query, ('_start', next_start)])}"
    return ok(body)


async def get_user_profile(request: Request) -> Response:
    params = request.path_params
    if not Visibility(backend_of(request), caller_of(request).iam_id).user(params["iam_id"]):
        raise forbidden(f"user '{params['iam_id']}'")
    return ok(backend_of(request).users.get(params["account_id"], params["iam_id"]))


ENDPOINTS = [
    Endpoint(API, "GET", "/v2/accounts/{account_id}/users", list_users, "List users"),
    Endpoint(API, "GET", "/v2/accounts/{account_id}/users/{iam_id}", get_user_profile,
             "Get user profile"),
]
