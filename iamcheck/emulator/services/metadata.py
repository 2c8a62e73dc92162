"""VPC Instance Metadata service: the instance identity token and its exchange for an IAM token
as a trusted profile linked to the instance (what `VPCInstanceAuthenticator` calls; its base URL
is the emulator's). The instance asking is the one named by the emulator setting
`metadata_instance` (see backend/compute.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.compute import iso
from iamcheck.emulator.backend.profiles import Profile
from iamcheck.emulator.backend.vpc import VpcError
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, ok

API = "VPC Instance Metadata"
MIN_EXPIRES, MAX_EXPIRES, DEFAULT_EXPIRES = 5, 3600, 300


def _check_flavor(request: Request) -> None:
    if request.headers.get("metadata-flavor") != "ibm":
        raise VpcError(400, "missing_metadata_flavor", "The Metadata-Flavor header must be 'ibm'.")
    if not request.query_params.get("version"):
        raise VpcError(400, "missing_version", "The version query parameter is required.")


def _instance(request: Request) -> dict[str, Any]:
    backend = backend_of(request)
    iid = backend.settings.metadata_instance
    instance = next((r for r in backend.vpc.instances() if r["id"] == iid), None) if iid else None
    if instance is None:
        raise VpcError(404, "not_found", "The metadata service is not enabled for this caller: "
                       "no instance is set (emulator setting metadata_instance).")
    return instance


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise VpcError(400, "invalid_body", "The request body must be a JSON object.")
    return body


async def create_identity_token(request: Request) -> Response:
    _check_flavor(request)
    body = await _body(request)
    expires = body.get("expires_in", DEFAULT_EXPIRES)
    if isinstance(expires, bool) or not isinstance(expires, int) or not (
            MIN_EXPIRES <= expires <= MAX_EXPIRES):
        raise VpcError(400, "invalid_field", f"expires_in must be {MIN_EXPIRES}-{MAX_EXPIRES}.",
                       {"name": "expires_in", "type": "field"})
    backend = backend_of(request)
    with backend.lock:
        return ok(backend.compute.instance_token(_instance(request), expires))


def _choose(profiles: list[Profile], wanted: dict[str, Any] | None) -> Profile:
    if wanted:
        key = next((k for k in ("id", "crn", "name") if k in wanted), None)
        field = {"id": "id", "crn": "crn", "name": "name"}.get(key or "")
        found = [p for p in profiles if field and p.body[field] == wanted[field]]
    else:
        found = profiles if len(profiles) == 1 else []  # the instance's only profile: its default
    if len(found) != 1:
        raise VpcError(400, "trusted_profile_not_linked", "The trusted profile is not linked to "
                       "this instance (or the instance has no single default profile).")
    return found[0]


async def create_iam_token(request: Request) -> Response:
    _check_flavor(request)
    body = await _body(request)
    backend = backend_of(request)
    with backend.lock:
        crn = backend.compute.read_instance_token(request.headers.get("authorization"))
        linked = [p for p in backend.profiles.profiles.values() if backend.profiles.linked(p, crn)]
        wanted = body.get("trusted_profile")
        profile = _choose(linked, wanted if isinstance(wanted, dict) else None)
        token, expires_in, expiration = backend.signer.issue(profile.iam_id, backend.account_id,
                                                             "Profile")
    return ok({"access_token": token, "created_at": iso(expiration - expires_in),
               "expires_at": iso(expiration), "expires_in": expires_in})


ENDPOINTS = [
    Endpoint(API, "PUT", "/instance_identity/v1/token", create_identity_token,
             "Instance identity token for the instance named by the setting metadata_instance "
             "(Metadata-Flavor: ibm, version required; expires_in 5-3600, default 300)",
             auth=False),
    Endpoint(API, "PUT", "/identity/v1/token", create_identity_token,
             "The same (metadata API version 2025-08-26 path)", auth=False),
    Endpoint(API, "POST", "/instance_identity/v1/iam_token", create_iam_token,
             "Exchange the instance identity token for an IAM token as a trusted profile linked "
             "to the instance (trusted_profile id/crn/name, or its only linked profile)",
             auth=False),
    Endpoint(API, "POST", "/identity/v1/iam_tokens", create_iam_token,
             "The same (metadata API version 2025-08-26 path)", auth=False),
]
