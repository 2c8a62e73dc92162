"""IAM Policy Management: /v1/policies, /v2/policies and /v2/roles (custom roles included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend import policy_shapes as shapes
from iamcheck.emulator.backend.policies import ListQuery, PolicyConflict, StoredPolicy
from iamcheck.emulator.backend.role_catalog import ACTION_DESCRIPTIONS
from iamcheck.emulator.backend.visibility import Visibility, forbidden, policy_page
from iamcheck.emulator.backend.write_authz import Writes
from iamcheck.emulator.errors import IbmError
from iamcheck.emulator.faults import answer_early
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import (
    backend_of,
    base_url,
    caller_of,
    int_param,
    json_body,
    ok,
)

API = "IAM Policy Management"
View = Callable[[StoredPolicy], dict[str, Any]]


def _list_query(request: Request) -> ListQuery:
    params = request.query_params
    account_id = params.get("account_id")
    if not account_id:
        raise IbmError(400, "missing_required_query_parameter",
                       "account_id is a required query parameter.")
    limit = int_param(request, "limit", 0, 1, 100) if "limit" in params else None
    names = ("iam_id", "access_group_id", "type", "service_type", "service_name",
             "service_group_id", "tag_name", "tag_value", "state", "sort", "format", "start")
    return ListQuery(account_id=account_id, limit=limit, **{n: params.get(n) for n in names})


def _collection(request: Request, view: View) -> Response:
    query = _list_query(request)
    page, next_start = policy_page(_seen(request), query)
    body: dict[str, Any] = {}
    if query.limit is not None:
        first = request.url.remove_query_params("start")
        body["limit"] = query.limit
        body["first"] = {"href": str(first)}
        if next_start is not None:
            body["next"] = {"href": str(first.include_query_params(start=next_start)),
                            "start": next_start}
    body["policies"] = [view(p) for p in page]
    return ok(body)


def _seen(request: Request) -> Visibility:
    return Visibility(backend_of(request), caller_of(request).iam_id)


def _readable(request: Request, stored: StoredPolicy) -> StoredPolicy:
    if not _seen(request).policy(stored.body):
        raise forbidden(f"policy '{stored.id}'")
    return stored


def _v1_view(request: Request) -> View:
    roles, base = backend_of(request).roles, base_url(request)
    return lambda stored: shapes.v1_view(stored.body, roles, base, stored.written_in_v1)


LAST_PERMIT = ("last_permit_at", "last_permit_frequency")


def _v2_view(request: Request, fmt: str | None = None) -> View:
    roles, base = backend_of(request).roles, base_url(request)

    def view(stored: StoredPolicy) -> dict[str, Any]:
        policy = stored.body
        out = {**policy, "href": f"{base}/v2/policies/{policy['id']}"}
        if fmt != "include_last_permit":  # served from the seed, and only when asked for
            for key in LAST_PERMIT:
                out.pop(key, None)
        if fmt == "display":  # IBM then lists each role's actions
            service = shapes.attribute_value(policy["resource"], "serviceName")
            enriched = []
            for role in policy["control"]["grant"]["roles"]:
                display, text = roles.describe(role["role_id"])
                actions = [{"id": a, "display_name": ACTION_DESCRIPTIONS.get(a, a),
                            "description": ACTION_DESCRIPTIONS.get(a, a)}
                           for a in sorted(roles.actions_of(role["role_id"], service))]
                enriched.append({"role_id": role["role_id"], "display_name": display,
                                 "description": text, "actions": actions})
            out["control"] = {"grant": {"roles": enriched}}
        return out

    return view


def _href(request: Request, stored: StoredPolicy, v1: bool) -> str:
    return f"{base_url(request)}/{'v1' if v1 else 'v2'}/policies/{stored.id}"


def _one(stored: StoredPolicy, view: View, status: int = 200) -> Response:
    return ok(view(stored), status=status, headers={"ETag": stored.etag})


def _may_write(request: Request, *policies: dict[str, Any]) -> None:
    """IBM's 403 unless the caller may write each of `policies` (before anything changes)."""
    writes = Writes(backend_of(request), caller_of(request).iam_id)
    for policy in policies:
        writes.check_policy(policy)


def _existing(request: Request, policy_id: str) -> dict[str, Any]:
    return backend_of(request).policies.get(policy_id).body


def _create(request: Request, policy: dict[str, Any], v1: bool = False) -> StoredPolicy:
    _may_write(request, policy)
    store = backend_of(request).policies
    try:
        stored = store.create(policy, caller_of(request).iam_id, written_in_v1=v1)
    except PolicyConflict as conflict:
        store.fail_after_create()
        raise conflict.with_href(_href(request, conflict.existing, v1)) from None
    except IbmError:
        store.fail_after_create()  # an armed failure hides the real answer too
        raise
    store.fail_after_create()
    return stored


def _replace(request: Request, policy_id: str, policy: dict[str, Any], v1: bool) -> StoredPolicy:
    try:
        return backend_of(request).policies.replace(
            policy_id, request.headers.get("if-match"), policy, caller_of(request).iam_id,
            written_in_v1=v1)
    except PolicyConflict as conflict:
        raise conflict.with_href(_href(request, conflict.existing, v1)) from None


async def _created(request: Request, stored: StoredPolicy, view: View) -> Response:
    """201 with the policy, or (test hook) an answer cut short although the create is done."""
    backend = backend_of(request)
    if backend.policies.drop_after_create():
        cut = await answer_early("reset", backend.faults)
        assert cut is not None
        return cut
    return _one(stored, view, status=201)


# ---- /v1/policies


async def list_policies(request: Request) -> Response:
    return _collection(request, _v1_view(request))


async def create_policy(request: Request) -> Response:
    policy = shapes.from_v1(await json_body(request))
    return await _created(request, _create(request, policy, v1=True), _v1_view(request))


async def get_policy(request: Request) -> Response:
    stored = backend_of(request).policies.read(request.path_params["policy_id"])
    return _one(_readable(request, stored), _v1_view(request))


async def replace_policy(request: Request) -> Response:
    return await _replaced(request, v1=True)


async def _replaced(request: Request, v1: bool) -> Response:
    body = await json_body(request)
    policy = shapes.from_v1(body) if v1 else shapes.from_v2(body)
    _may_write(request, _existing(request, _path_id(request)), policy)
    stored = _replace(request, _path_id(request), policy, v1=v1)
    return _one(stored, _v1_view(request) if v1 else _v2_view(request))


def _path_id(request: Request) -> str:
    """The policy a path names: /v1/policies/{policy_id}, /v2/policies/{id}."""
    params = request.path_params
    return str(params["policy_id"] if "policy_id" in params else params["id"])


async def update_policy_state(request: Request) -> Response:
    body = await json_body(request)
    _may_write(request, _existing(request, request.path_params["policy_id"]))
    stored = backend_of(request).policies.update_state(
        request.path_params["policy_id"], request.headers.get("if-match"), body.get("state"),
        caller_of(request).iam_id)
    return _one(stored, _v1_view(request))


async def delete_policy(request: Request) -> Response:
    """Both versions' DELETE."""
    _may_write(request, _existing(request, _path_id(request)))
    backend_of(request).policies.delete(_path_id(request))
    return Response(status_code=204)


# ---- /v2/policies


async def list_v2_policies(request: Request) -> Response:
    return _collection(request, _v2_view(request, request.query_params.get("format")))


async def create_v2_policy(request: Request) -> Response:
    policy = shapes.from_v2(await json_body(request))
    return await _created(request, _create(request, policy), _v2_view(request))


async def get_v2_policy(request: Request) -> Response:
    fmt = request.query_params.get("format")
    if fmt is not None and fmt not in ("include_last_permit", "display"):
        raise IbmError(400, "invalid_request", f"Invalid format '{fmt}'.")
    stored = backend_of(request).policies.read(request.path_params["id"])
    return _one(_readable(request, stored), _v2_view(request, fmt))


async def replace_v2_policy(request: Request) -> Response:
    return await _replaced(request, v1=False)


# ---- /v2/roles


async def list_roles(request: Request) -> Response:
    params = request.query_params  # source_service_name and policy_type are accepted, unused
    return ok(backend_of(request).roles.list_roles(
        base_url(request), account_id=params.get("account_id"),
        service_name=params.get("service_name"), service_group_id=params.get("service_group_id")))


def _may_change_roles(request: Request) -> None:
    Writes(backend_of(request), caller_of(request).iam_id).check_roles()


async def create_role(request: Request) -> Response:
    _may_change_roles(request)
    role = backend_of(request).roles.create(await json_body(request), caller_of(request).iam_id)
    return ok(role.render(base_url(request)), status=201, headers={"ETag": role.etag})


async def get_role(request: Request) -> Response:
    role = backend_of(request).roles.get(request.path_params["role_id"])
    return ok(role.render(base_url(request)), headers={"ETag": role.etag})


async def replace_role(request: Request) -> Response:
    _may_change_roles(request)
    role = backend_of(request).roles.replace(
        request.path_params["role_id"], request.headers.get("if-match"),
        await json_body(request), caller_of(request).iam_id)
    return ok(role.render(base_url(request)), headers={"ETag": role.etag})


async def delete_role(request: Request) -> Response:
    _may_change_roles(request)
    backend_of(request).roles.delete(request.path_params["role_id"])
    return Response(status_code=204)


async def list_policy_templates(request: Request) -> Response:
    if not request.query_params.get("account_id"):
        raise IbmError(400, "missing_required_query_parameter",
                       "account_id is a required query parameter.")
    return ok({"policy_templates": []})  # a seed describes no templates


_V1 = "/v1/policies/{policy_id}"
_V2 = "/v2/policies/{id}"
_ROLE = "/v2/roles/{role_id}"

ENDPOINTS = [
    Endpoint(API, "GET", "/v1/policies", list_policies, "List policies (v1 view)"),
    Endpoint(API, "POST", "/v1/policies", create_policy, "Create a policy (v1 body)"),
    Endpoint(API, "GET", _V1, get_policy, "Get a policy (v1 view)"),
    Endpoint(API, "PUT", _V1, replace_policy, "Replace a policy (v1 body, If-Match)"),
    Endpoint(API, "PATCH", _V1, update_policy_state, "Restore a deleted policy (If-Match)"),
    Endpoint(API, "DELETE", _V1, delete_policy, "Delete a policy"),
    Endpoint(API, "GET", "/v2/policies", list_v2_policies, "List policies (v2 view)"),
    Endpoint(API, "POST", "/v2/policies", create_v2_policy, "Create a policy (v2 body)"),
    Endpoint(API, "GET", _V2, get_v2_policy, "Get a policy (v2 view)"),
    Endpoint(API, "PUT", _V2, replace_v2_policy, "Replace a policy (v2 body, If-Match)"),
    Endpoint(API, "DELETE", _V2, delete_policy, "Delete a policy"),
    Endpoint(API, "GET", "/v2/roles", list_roles, "List system, service and custom roles"),
    Endpoint(API, "POST", "/v2/roles", create_role, "Create a custom role"),
    Endpoint(API, "GET", _ROLE, get_role, "Get a custom role"),
    Endpoint(API, "PUT", _ROLE, replace_role, "Replace a custom role (If-Match)"),
    Endpoint(API, "DELETE", _ROLE, delete_role, "Delete a custom role"),
    Endpoint(API, "GET", "/v1/policy_templates", list_policy_templates,
             "List policy templates: always none (templates are not emulated)"),
]
