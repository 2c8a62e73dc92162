"""VPC: regions, and per region the instances with the image and boot volume that carry their
operating system. Served at the base URL as us-south (VpcV1's default) and at <base>/vpc/<region>.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import Visibility
from iamcheck.emulator.backend.vpc import DEFAULT_REGION, VpcError, VpcStore, vpc_not_found
from iamcheck.emulator.backend.vpc_shapes import image_json, instance_json, region_json, volume_json
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, base_url, caller_of, ok

API = "VPC"
FIRST_VERSION = date(2019, 1, 1)

# list_instances filters -> the record value they compare with (None: no instance has one).
_FILTERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "resource_group.id": lambda r: r["resource_group"]["id"],
    "name": lambda r: r["name"],
    "vpc.id": lambda r: r["vpc"]["id"],
    "vpc.crn": lambda r: r["vpc"]["crn"],
    "vpc.name": lambda r: r["vpc"]["name"],
    "availability.class": lambda r: "standard",
    "reservation_affinity.policy": lambda r: "disabled",
    **{key: (lambda r: None) for key in (
        "cluster_network.id", "cluster_network.crn", "cluster_network.name",
        "dedicated_host.id", "dedicated_host.crn", "dedicated_host.name",
        "instance_group_membership.instance_group.id",
        "instance_group_membership.instance_group.crn",
        "placement_group.id", "placement_group.crn", "placement_group.name",
        "reservation.id", "reservation.crn", "reservation.name")},
}


def _parameter_error(code: str, message: str, name: str, value: str | None = None) -> VpcError:
    target = {"name": name, "type": "parameter"}
    if value is not None:
        target["value"] = value
    return VpcError(400, code, message, target)


def _check_version_and_generation(request: Request) -> None:
    """VPC refuses any call without a dated `version` and `generation=2`."""
    version = request.query_params.get("version")
    if version is None:
        raise _parameter_error("missing_version", "The `version` query parameter is required.",
                               "version")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
            raise ValueError(version)
        day = date.fromisoformat(version)
    except ValueError:
        raise _parameter_error("invalid_version", "The `version` value must be a date in "
                               "format YYYY-MM-DD.", "version", version) from None
    if day < FIRST_VERSION:
        raise _parameter_error("invalid_version_range", "The `version` value cannot be before "
                               f"`{FIRST_VERSION.isoformat()}`.", "version", version)
    generation = request.query_params.get("generation")
    if generation is None:
        raise _parameter_error("missing_generation",
                               "The `generation` query parameter is required.", "generation")
    if generation != "2":
        raise _parameter_error("invalid_generation", "The `generation` value must be `2`.",
                               "generation", generation)


def vpc_context(request: Request) -> tuple[VpcStore, str, str, str]:
    """(store, region, base URL, API root) of a VPC call, after IBM's checks."""
    store = backend_of(request).vpc
    base = base_url(request)
    region = request.path_params.get("region")
    if region is not None and region not in store.regions():
        raise vpc_not_found("Region", region, "region")
    _check_version_and_generation(request)
    if region is None:
        return store, DEFAULT_REGION, base, base
    return store, region, base, f"{base}/vpc/{region}"


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise _parameter_error("invalid_limit", "The `limit` value must be an integer "
                               "between 1 and 100.", "limit", raw)
    return int(raw)


async def list_regions(request: Request) -> Response:
    store, _, base, root = vpc_context(request)
    return ok({"regions": [region_json(name, base, root) for name in store.regions()]})


async def get_region(request: Request) -> Response:
    store, _, base, root = vpc_context(request)
    name = request.path_params["name"]
    if name not in store.regions():
        raise vpc_not_found("Region", name, "name")
    return ok(region_json(name, base, root))


async def list_instances(request: Request) -> Response:
    store, region, base, root = vpc_context(request)
    limit = _limit(request)
    filters = {k: v for k, v in request.query_params.items() if k in _FILTERS}
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    chosen = [r for r in store.instances_in(region)
              if all(_FILTERS[k](r) == v for k, v in filters.items()) and seen.instance(r)]
    first = 0
    start = request.query_params.get("start")
    if start is not None:
        first = next((i for i, r in enumerate(chosen) if r["id"] == start), -1)
        if first < 0:
            raise _parameter_error("invalid_start", "The `start` value does not begin a page "
                                   "of this collection.", "start", start)
    page = chosen[first:first + limit]

    def href(**extra: str) -> dict[str, str]:
        query = urlencode({"limit": limit, **filters, **extra})
        return {"href": f"{root}/v1/instances?{query}"}

    body: dict[str, Any] = {
        "first": href(),
        "instances": [instance_json(r, base, root) for r in page],
        "limit": limit,
        "total_count": len(chosen),
    }
    if first + limit < len(chosen):
        body["next"] = href(start=chosen[first + limit]["id"])
    return ok(body)


async def get_instance(request: Request) -> Response:
    store, region, base, root = vpc_context(request)
    record = store.instance(region, request.path_params["id"])
    if not Visibility(backend_of(request), caller_of(request).iam_id).instance(record):
        raise VpcError(403, "not_authorized", "You are not authorized to read this instance.",
                       {"name": "id", "type": "parameter", "value": record["id"]})
    return ok(instance_json(record, base, root))


async def get_image(request: Request) -> Response:
    store, region, base, root = vpc_context(request)
    return ok(image_json(store.image(region, request.path_params["id"]), base, root))


async def get_volume(request: Request) -> Response:
    store, region, base, root = vpc_context(request)
    return ok(volume_json(store.boot_volume(region, request.path_params["id"]), base, root))


def _endpoints(prefix: str, where: str) -> list[Endpoint]:
    return [
        Endpoint(API, "GET", f"{prefix}/v1/regions", list_regions, f"List regions ({where})"),
        Endpoint(API, "GET", f"{prefix}/v1/regions/{{name}}", get_region,
                 f"Retrieve a region ({where})"),
        Endpoint(API, "GET", f"{prefix}/v1/instances", list_instances,
                 f"List instances ({where})"),
        Endpoint(API, "GET", f"{prefix}/v1/instances/{{id}}", get_instance,
                 f"Retrieve an instance ({where})"),
        Endpoint(API, "GET", f"{prefix}/v1/images/{{id}}", get_image,
                 f"Retrieve an image and its operating system ({where})"),
        Endpoint(API, "GET", f"{prefix}/v1/volumes/{{id}}", get_volume,
                 f"Retrieve a boot volume and its operating system ({where})"),
    ]


ENDPOINTS = [
    *_endpoints("", "us-south, the SDK's default URL"),
    *_endpoints("/vpc/{region}", "regional"),
]
