"""Resource Manager: GET /v2/resource_groups and /v2/resource_groups/{id}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, ok

API = "Resource Manager"


async def list_resource_groups(request: Request) -> Response:
    params = request.query_params
    groups = backend_of(request).resource_groups.list(params.get("account_id"), params.get("name"))
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    return ok({"resources": [g for g in groups if seen.resource_group(g["id"])]})


async def get_resource_group(request: Request) -> Response:
    group_id = request.path_params["id"]
    group = backend_of(request).resource_groups.get(group_id)
    if not Visibility(backend_of(request), caller_of(request).iam_id).resource_group(group_id):
        raise forbidden(f"resource group '{group_id}'")
    return ok(group)


ENDPOINTS = [
    Endpoint(API, "GET", "/v2/resource_groups", list_resource_groups, "List resource groups"),
    Endpoint(API, "GET", "/v2/resource_groups/{id}", get_resource_group,
             "Get a resource group"),
]
