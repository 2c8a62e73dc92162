"""IAM Identity: GET /v1/apikeys/details tells who a key belongs to; GET /v1/serviceids lists
the account's service IDs (a reading role on IAM Identity, as for trusted profiles)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.profiles import DEFAULT_PAGESIZE, MAX_PAGESIZE
from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, identity_page, int_param, ok

API = "IAM Identity"


async def api_key_details(request: Request) -> Response:
    apikey = request.headers.get("iam-apikey")
    if not apikey:
        raise bad_request("The IAM-ApiKey header is required.")
    return ok(backend_of(request).identity.key_details(apikey))


async def list_service_ids(request: Request) -> Response:
    backend = backend_of(request)
    if not Visibility(backend, caller_of(request).iam_id).reads_service("iam-identity"):
        raise forbidden("service IDs")
    q = request.query_params
    size = int_param(request, "pagesize", DEFAULT_PAGESIZE, 1, MAX_PAGESIZE)
    with backend.lock:
        page = backend.identity.service_id_page(q.get("account_id"), q.get("name"), size,
                                                q.get("pagetoken"))
    return ok(identity_page(request, "/v1/serviceids/", "serviceids", "list_service_ids", page,
                            size))


ENDPOINTS = [
    Endpoint(API, "GET", "/v1/apikeys/details", api_key_details, "Details of an API key"),
    Endpoint(API, "GET", "/v1/serviceids/", list_service_ids,
             "List service IDs (account_id required; name, pagesize 1-100, pagetoken; sorted "
             "by name; 403 without a reading role on iam-identity; the SDKs ask with the slash)"),
]
