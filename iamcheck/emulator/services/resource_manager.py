"""Resource Manager: GET /v2/resource_groups."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import Visibility
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, ok

API = "Resource Manager"


async def list_resource_groups(request: Request) -> Response:
    params = request.query_params
    groups = backend_of(request).resource_groups.list(params.get("account_id"), params.get("name"))
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    return ok({"resources": [g for g in groups if seen.resource_group(g["id"])]})


ENDPOINTS = [
    Endpoint(API, "GET", "/v2/resource_groups", list_resource_groups, "List resource groups"),
]
