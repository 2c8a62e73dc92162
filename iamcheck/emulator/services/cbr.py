"""Context Based Restrictions API: rules and network zones (what `ContextBasedRestrictionsV1`
reads and writes). Reads need a reading role (Viewer and up) on `context-based-restrictions` or
account management; writes need Editor or Administrator there, as IBM's CBR roles say."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import Handler, backend_of, base_url, caller_of, json_body, ok

API = "Context Based Restrictions"
SERVICE = "context-based-restrictions"
WRITING_ROLES = frozenset({"Editor", "Administrator"})
RULE_FILTERS = ("region", "resource", "resource_type", "service_instance", "service_name",
                "service_type", "zone_id", "enforcement_mode")


def _seen(request: Request) -> Visibility:
    return Visibility(backend_of(request), caller_of(request).iam_id)


def _reader(request: Request) -> None:
    if not _seen(request).reads_service(SERVICE):
        raise forbidden("context-based restrictions")


def _writer(request: Request) -> None:
    if not _seen(request).manages_service(SERVICE, WRITING_ROLES):
        raise forbidden("or change context-based restrictions")


Kind = Literal["rule", "zone"]


def _view(request: Request, kind: Kind, item: dict[str, Any]) -> dict[str, Any]:
    """A rule or zone as IBM returns it, with its href (`/v1/rules/...`, `/v1/zones/...`)."""
    return {**item, "href": f"{base_url(request)}/v1/{kind}s/{item['id']}"}


def _etag(item: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{item["last_modified_at"]}"'}


def _listed(request: Request, key: str,
            items: Callable[[Backend, str], list[dict[str, Any]]]) -> Response:
    """A list of the account named by `account_id` (required): `{count, <key>}`."""
    _reader(request)
    backend = backend_of(request)
    account_id = request.query_params.get("account_id")
    backend.cbr.check_account(account_id)
    with backend.lock:
        found = items(backend, str(account_id))
    return ok({"count": len(found), key: found})


async def list_rules(request: Request) -> Response:
    q = request.query_params
    return _listed(request, "rules", lambda backend, account_id: [
        _view(request, "rule", r) for r in backend.cbr.list_rules(
            account_id, {k: q[k] for k in RULE_FILTERS if k in q})])


async def replace_rule(request: Request) -> Response:
    _writer(request)
    body = await json_body(request)
    backend = backend_of(request)
    with backend.lock:
        rule = backend.cbr.replace_rule(request.path_params["rule_id"], body,
                                        caller_of(request).iam_id)
        return ok(_view(request, "rule", rule), headers=_etag(rule))


async def list_zones(request: Request) -> Response:
    name = request.query_params.get("name")
    return _listed(request, "zones", lambda backend, account_id: [
        {k: v for k, v in _view(request, "zone", z).items()
         if k not in ("addresses", "excluded", "account_id", "description")}
        | {"description": z["description"], "addresses_preview": z["addresses"][:5]}
        for z in backend.cbr.list_zones(account_id, name)])


def _get(kind: Kind) -> Handler:
    async def handler(request: Request) -> Response:
        _reader(request)
        backend = backend_of(request)
        with backend.lock:
            item = getattr(backend.cbr, kind)(request.path_params[f"{kind}_id"])
            return ok(_view(request, kind, item), headers=_etag(item))
    return handler


def _create(kind: Kind) -> Handler:
    async def handler(request: Request) -> Response:
        _writer(request)
        body = await json_body(request)
        backend = backend_of(request)
        with backend.lock:
            item = getattr(backend.cbr, f"create_{kind}")(body, caller_of(request).iam_id)
            return ok(_view(request, kind, item), status=201, headers=_etag(item))
    return handler


def _delete(kind: Kind) -> Handler:
    async def handler(request: Request) -> Response:
        _writer(request)
        backend = backend_of(request)
        with backend.lock:
            getattr(backend.cbr, f"delete_{kind}")(request.path_params[f"{kind}_id"])
        return Response(status_code=204)
    return handler


ENDPOINTS = [
    Endpoint(API, "GET", "/v1/rules", list_rules,
             "List CBR rules (account_id required; region, resource, resource_type, "
             "service_instance, service_name, service_type, zone_id, enforcement_mode)"),
    Endpoint(API, "POST", "/v1/rules", _create("rule"),
             "Create a CBR rule (Editor+ on context-based-restrictions)"),
    Endpoint(API, "GET", "/v1/rules/{rule_id}", _get("rule"), "Get a CBR rule (ETag)"),
    Endpoint(API, "PUT", "/v1/rules/{rule_id}", replace_rule, "Replace a CBR rule"),
    Endpoint(API, "DELETE", "/v1/rules/{rule_id}", _delete("rule"), "Delete a CBR rule"),
    Endpoint(API, "GET", "/v1/zones", list_zones,
             "List network zones (account_id required; name): summaries with addresses_preview"),
    Endpoint(API, "POST", "/v1/zones", _create("zone"), "Create a network zone (Editor+)"),
    Endpoint(API, "GET", "/v1/zones/{zone_id}", _get("zone"), "Get a network zone"),
    Endpoint(API, "DELETE", "/v1/zones/{zone_id}", _delete("zone"),
             "Delete a network zone (409 while a rule uses it)"),
]
