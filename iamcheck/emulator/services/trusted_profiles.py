"""IAM Identity: trusted profiles, their claim rules, links and identities.

Reads need a reading role (Viewer, Operator, Editor, Administrator) on IAM Identity
(`serviceName: iam-identity`) or account management, or the account owner (IBM: Viewer "View
IDs"); a list answers 403 without one. Links and rules need Operator, Editor or Administrator
there (IBM: Operator "Create and delete IDs")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.backend.profiles import DEFAULT_PAGESIZE, MAX_PAGESIZE
from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import (
    Handler,
    backend_of,
    caller_of,
    identity_page,
    int_param,
    json_body,
    ok,
)

API = "IAM Identity"
SERVICE = "iam-identity"


def _check_reader(request: Request) -> None:
    backend = backend_of(request)
    if not Visibility(backend, caller_of(request).iam_id).reads_service(SERVICE):
        raise forbidden("trusted profiles")


def _profile_id(request: Request) -> str:
    return str(request.path_params["profile_id"])


async def list_profiles(request: Request) -> Response:
    _check_reader(request)
    q = request.query_params
    size = int_param(request, "pagesize", DEFAULT_PAGESIZE, 1, MAX_PAGESIZE)
    backend = backend_of(request)
    with backend.lock:
        page = backend.profiles.page(q.get("account_id"), q.get("name"), size,
                                     q.get("pagetoken"))
    return ok(identity_page(request, "/v1/profiles", "profiles", "list_profiles", page, size))


async def get_profile(request: Request) -> Response:
    _check_reader(request)
    backend = backend_of(request)
    with backend.lock:
        profile = backend.profiles.get(_profile_id(request))
        return ok(dict(profile.body), headers={"ETag": profile.body["entity_tag"]})


def _reading(request: Request, answer: Callable[[Backend, str, dict[str, str]], Any]
             ) -> Response:
    """A read of one profile's: the caller may read IAM Identity; `answer` runs locked."""
    _check_reader(request)
    backend = backend_of(request)
    with backend.lock:
        return ok(answer(backend, _profile_id(request), request.path_params))


def _items(key: Literal["rules", "links"]) -> Handler:
    """A profile's claim rules or links, all at once (IBM does not page them)."""
    async def handler(request: Request) -> Response:
        return _reading(request, lambda backend, pid, _: {
            key: [dict(x) for x in getattr(backend.profiles.get(pid), key).values()]})
    return handler


def _item(kind: Literal["rule", "link"]) -> Handler:
    """One claim rule or link of a profile."""
    async def handler(request: Request) -> Response:
        return _reading(request, lambda backend, pid, path: getattr(backend.profiles, kind)(
            pid, path[f"{kind}_id"]))
    return handler


async def get_identities(request: Request) -> Response:
    _check_reader(request)
    backend = backend_of(request)
    with backend.lock:
        profile = backend.profiles.get(_profile_id(request))
        return ok({"entity_tag": profile.body["entity_tag"], "identities": [
            {"iam_id": x["iam_id"], "identifier": x["iam_id"], "type": x.get("type", "user"),
             "accounts": [backend.account_id], "description": x.get("description", "")}
            for x in profile.identities]})


WRITING_ROLES = frozenset({"Operator", "Editor", "Administrator"})  # IBM: Operator creates IDs


def _check_writer(request: Request) -> None:
    if not Visibility(backend_of(request), caller_of(request).iam_id).manages_service(
            SERVICE, WRITING_ROLES):
        raise forbidden("or change trusted profiles")


async def create_link(request: Request) -> Response:
    _check_writer(request)
    body = await json_body(request)
    backend = backend_of(request)
    with backend.lock:
        return ok(backend.profiles.add_link(_profile_id(request), body), status=201)


async def create_rule(request: Request) -> Response:
    _check_writer(request)
    body = await json_body(request)
    if not isinstance(body.get("conditions"), list):
        raise bad_request("conditions must be a list.")
    backend = backend_of(request)
    with backend.lock:
        return ok(backend.profiles.add_rule(_profile_id(request), body), status=201)


def _delete(kind: Literal["rule", "link"]) -> Handler:
    """Delete one claim rule or link of a profile."""
    async def handler(request: Request) -> Response:
        _check_writer(request)
        backend = backend_of(request)
        with backend.lock:
            getattr(backend.profiles, f"delete_{kind}")(_profile_id(request),
                                                         request.path_params[f"{kind}_id"])
        return Response(status_code=204)
    return handler


P = "/v1/profiles/{profile_id}"
ENDPOINTS = [
    Endpoint(API, "GET", "/v1/profiles", list_profiles,
             "List trusted profiles (account_id required; name, pagesize 1-100, pagetoken; "
             "sorted by name; 403 without a reading role on iam-identity)"),
    Endpoint(API, "GET", P, get_profile, "Get a trusted profile"),
    Endpoint(API, "GET", f"{P}/rules", _items("rules"), "List a profile's claim rules"),
    Endpoint(API, "POST", f"{P}/rules", create_rule,
             "Add a claim rule (Operator+ on iam-identity)"),
    Endpoint(API, "GET", f"{P}/rules/{{rule_id}}", _item("rule"), "Get a claim rule"),
    Endpoint(API, "DELETE", f"{P}/rules/{{rule_id}}", _delete("rule"), "Delete a claim rule"),
    Endpoint(API, "GET", f"{P}/links", _items("links"), "List a profile's compute-resource links"),
    Endpoint(API, "POST", f"{P}/links", create_link,
             "Link a compute resource (cr_type VSI, IKS_SA, ROKS_SA, CE; Operator+)"),
    Endpoint(API, "GET", f"{P}/links/{{link_id}}", _item("link"), "Get a link"),
    Endpoint(API, "DELETE", f"{P}/links/{{link_id}}", _delete("link"), "Delete a link"),
    Endpoint(API, "GET", f"{P}/identities", get_identities,
             "The identities (users, service IDs) that may assume the profile"),
]
