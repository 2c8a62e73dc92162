"""IAM Identity: GET /v1/apikeys/details tells who a key belongs to."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, ok

API = "IAM Identity"


async def api_key_details(request: Request) -> Response:
    apikey = request.headers.get("iam-apikey")
    if not apikey:
        raise bad_request("The IAM-ApiKey header is required.")
    return ok(backend_of(request).identity.key_details(apikey))


ENDPOINTS = [
    Endpoint(API, "GET", "/v1/apikeys/details", api_key_details, "Details of an API key"),
]
