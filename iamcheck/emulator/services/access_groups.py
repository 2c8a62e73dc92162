"""IAM Access Groups (v2): groups, members, membership checks and dynamic rules."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.group_model import Group, Member, Rule
from iamcheck.emulator.backend.groups import GroupStore
from iamcheck.emulator.backend.visibility import Visibility, forbidden
from iamcheck.emulator.backend.write_authz import Writes
from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import (
    backend_of,
    base_url,
    caller_of,
    int_param,
    json_body,
    ok,
)

API = "IAM Access Groups"
DEFAULT_LIMIT = 50


def _store(request: Request) -> GroupStore:
    return backend_of(request).groups


def _seen(request: Request) -> Visibility:
    return Visibility(backend_of(request), caller_of(request).iam_id)


def _visible(request: Request, group_id: str, inside: bool = False) -> Group:
    """The group, when the caller may see it (`inside`: its members and rules too)."""
    group = _store(request).get(group_id)
    seen = _seen(request)
    if not (seen.all_groups if inside else seen.group(group_id)):
        raise forbidden(f"access group '{group_id}'" + (" members and rules" if inside else ""))
    return group


def _may_change(request: Request, group_id: str | None = None) -> None:
    """IBM's 403 unless the caller may change `group_id` (None: create groups)."""
    Writes(backend_of(request), caller_of(request).iam_id).check_group(group_id)


def _gid(request: Request) -> str:
    """The group in the path, checked for existence (404) and write rights (403)."""
    gid = str(request.path_params["access_group_id"])
    _store(request).get(gid)
    _may_change(request, gid)
    return gid


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise bad_request(f"Query parameter '{name}' must be true or false.", "invalid_value")


def _group(request: Request, g: Group) -> dict[str, Any]:
    account = _store(request).account_id
    out: dict[str, Any] = {
        "id": g.id, "name": g.name, "description": g.description, "account_id": account,
        "created_at": g.created_at, "created_by_id": g.created_by_id,
        "last_modified_at": g.last_modified_at, "last_modified_by_id": g.last_modified_by_id,
        "href": f"{base_url(request)}/v2/groups/{g.id}"}
    if _flag(request, "show_federated"):
        out["is_federated"] = bool(g.rules)
    if _flag(request, "show_crn"):
        out["crn"] = f"crn:v1:bluemix:public:iam-groups::a/{account}::access-group:{g.id}"
    return out


def _rule_json(request: Request, r: Rule) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "expiration": r.expiration, "realm_name": r.realm_name,
            "access_group_id": request.path_params["access_group_id"],
            "account_id": _store(request).account_id,
            "conditions": [dict(c) for c in r.conditions], "created_at": r.created_at,
            "created_by_id": r.created_by_id, "last_modified_at": r.last_modified_at,
            "last_modified_by_id": r.last_modified_by_id}


def _rule(request: Request, r: Rule, status: int = 200) -> Response:
    return ok(_rule_json(request, r), status, headers={"ETag": r.etag})


def _member(request: Request, m: Member, membership: str) -> dict[str, Any]:
    gid = request.path_params["access_group_id"]
    href = f"{base_url(request)}/v2/groups/{gid}/members/{m.iam_id}"
    out = {"iam_id": m.iam_id, "type": m.type, "membership_type": membership, "href": href,
           "created_at": m.created_at, "created_by_id": m.created_by_id}
    if _flag(request, "verbose"):
        info = _store(request).member_info(m)
        out.update({k: info[k] for k in ("name", "email", "description") if k in info})
    return out


def _page(request: Request, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """Offset paging as IBM does it: limit 0..100, first/last/next/previous links."""
    limit = int_param(request, "limit", DEFAULT_LIMIT, 0, 100)
    offset = int_param(request, "offset", 0, 0, 2**31)
    total = len(items)

    def href(at: int | None) -> dict[str, str]:
        query = [(k, v) for k, v in request.query_params.multi_items()
                 if k not in ("limit", "offset")]
        query += [("limit", str(limit))] + ([("offset", str(at))] if at is not None else [])
        return {"href": f"{base_url(request)}{request.url.path}?{urlencode(query)}"}

    links: dict[str, Any] = {"limit": limit, "offset": offset, "total_count": total,
                             "first": href(None)}
    if limit:
        links["last"] = href(max(total - 1, 0) // limit * limit)
        if offset + limit < total:
            links["next"] = href(offset + limit)
        if offset:
            links["previous"] = href(max(offset - limit, 0))
    return items[offset:offset + limit], links


# --- groups ------------------------------------------------------------------------------

async def list_groups(request: Request) -> Response:
    params, store = request.query_params, _store(request)
    store.check_account(params.get("account_id"))
    groups = store.list_groups(
        iam_id=params.get("iam_id"), membership_type=params.get("membership_type"),
        search=params.get("search"), sort=params.get("sort"),
        hide_public=_flag(request, "hide_public_access"))
    seen = _seen(request)
    page, links = _page(request, [g for g in groups if seen.group(g.id)])
    return ok({**links, "groups": [_group(request, g) for g in page]})


async def create_group(request: Request) -> Response:
    store = _store(request)
    store.check_account(request.query_params.get("account_id"))
    _may_change(request)
    body = await json_body(request)
    group = store.create_group(body.get("name"), body.get("description"), caller_of(request).iam_id)
    return ok(_group(request, group), 201, headers={"ETag": group.etag})


async def get_group(request: Request) -> Response:
    group = _visible(request, request.path_params["access_group_id"])
    return ok(_group(request, group), headers={"ETag": group.etag})


async def update_group(request: Request) -> Response:
    body = await json_body(request)
    group = _store(request).update_group(
        _gid(request), request.headers.get("if-match"),
        body.get("name"), body.get("description"), caller_of(request).iam_id)
    return ok(_group(request, group), headers={"ETag": group.etag})


async def delete_group(request: Request) -> Response:
    _store(request).delete_group(_gid(request), _flag(request, "force"))
    return Response(status_code=204)


async def get_settings(request: Request) -> Response:
    return ok(_store(request).settings(request.query_params.get("account_id")))


async def update_settings(request: Request) -> Response:
    _may_change(request)
    body = await json_body(request)
    return ok(_store(request).update_settings(request.query_params.get("account_id"),
                                              body.get("public_access_enabled"),
                                              caller_of(request).iam_id))


# --- members -----------------------------------------------------------------------------

async def is_member(request: Request) -> Response:
    gid, iam_id = request.path_params["access_group_id"], request.path_params["iam_id"]
    # anyone who sees the group may ask about themselves; asking about others reads members
    group = _visible(request, gid, inside=iam_id != caller_of(request).iam_id)
    found = _store(request).holds(group, iam_id, "all")
    return Response(status_code=204 if found else 404)


async def list_members(request: Request) -> Response:
    params = request.query_params
    _visible(request, request.path_params["access_group_id"], inside=True)
    rows = _store(request).list_members(
        request.path_params["access_group_id"], params.get("membership_type"), params.get("type"),
        params.get("sort"))
    page, links = _page(request, rows)
    return ok({**links, "members": [_member(request, m, kind) for m, kind in page]})


async def add_members(request: Request) -> Response:
    body = await json_body(request)
    results = _store(request).add_members(
        _gid(request), body.get("members"), caller_of(request).iam_id)
    return ok({"members": results}, 207)


async def remove_member(request: Request) -> Response:
    _store(request).remove_member(_gid(request),
                                  request.path_params["iam_id"])
    return Response(status_code=204)


async def remove_members(request: Request) -> Response:
    body = await json_body(request)
    gid = _gid(request)
    results = _store(request).remove_members(gid, body.get("members"))
    return ok({"access_group_id": gid, "members": results}, 207)


async def remove_from_all(request: Request) -> Response:
    _may_change(request)  # every group at once: account-wide rights
    _store(request).remove_from_all(request.query_params.get("account_id"),
                                    request.path_params["iam_id"])
    return Response(status_code=204)  # IBM answers 207 with a body only on a partial failure


async def add_to_groups(request: Request) -> Response:
    body, iam_id = await json_body(request), request.path_params["iam_id"]
    groups = body.get("groups")
    for gid in groups if isinstance(groups, list) else []:
        if isinstance(gid, str) and gid in _store(request).groups:
            _may_change(request, gid)
    results = _store(request).add_to_groups(
        request.query_params.get("account_id"), iam_id, body.get("type"), body.get("groups"),
        caller_of(request).iam_id)
    return ok({"iam_id": iam_id, "groups": results}, 207)


# --- rules -------------------------------------------------------------------------------

async def add_rule(request: Request) -> Response:
    body = await json_body(request)
    rule = _store(request).add_rule(_gid(request), body,
                                    caller_of(request).iam_id)
    return _rule(request, rule, 201)


async def list_rules(request: Request) -> Response:
    group = _visible(request, request.path_params["access_group_id"], inside=True)
    return ok({"rules": [_rule_json(request, r) for r in group.rules.values()]})


async def get_rule(request: Request) -> Response:
    params = request.path_params
    _visible(request, params["access_group_id"], inside=True)
    return _rule(request, _store(request).get_rule(params["access_group_id"], params["rule_id"]))


async def replace_rule(request: Request) -> Response:
    body, params = await json_body(request), request.path_params
    rule = _store(request).replace_rule(_gid(request), params["rule_id"],
                                        request.headers.get("if-match"), body,
                                        caller_of(request).iam_id)
    return _rule(request, rule)


async def remove_rule(request: Request) -> Response:
    params = request.path_params
    _store(request).remove_rule(_gid(request), params["rule_id"])
    return Response(status_code=204)


GROUP = "/v2/groups/{access_group_id}"
ALL_GROUPS = "/v2/groups/_allgroups/members/{iam_id}"
# Literal paths come before the templates that would also match them.
ENDPOINTS = [
    Endpoint(API, "GET", "/v2/groups", list_groups, "List access groups"),
    Endpoint(API, "POST", "/v2/groups", create_group, "Create an access group"),
    Endpoint(API, "GET", "/v2/groups/settings", get_settings, "Get account settings"),
    Endpoint(API, "PATCH", "/v2/groups/settings", update_settings,
             "Update account settings (public_access_enabled)"),
    Endpoint(API, "PUT", ALL_GROUPS, add_to_groups, "Add member to multiple access groups"),
    Endpoint(API, "DELETE", ALL_GROUPS, remove_from_all, "Delete member from all access groups"),
    Endpoint(API, "GET", GROUP, get_group, "Get an access group"),
    Endpoint(API, "PATCH", GROUP, update_group, "Update an access group"),
    Endpoint(API, "DELETE", GROUP, delete_group, "Delete an access group"),
    Endpoint(API, "GET", f"{GROUP}/members", list_members, "List access group members"),
    Endpoint(API, "PUT", f"{GROUP}/members", add_members, "Add members to an access group"),
    Endpoint(API, "POST", f"{GROUP}/members/delete", remove_members,
             "Delete members from an access group"),
    Endpoint(API, "HEAD", f"{GROUP}/members/{{iam_id}}", is_member,
             "Check membership in an access group"),
    Endpoint(API, "DELETE", f"{GROUP}/members/{{iam_id}}", remove_member,
             "Delete member from an access group"),
    Endpoint(API, "GET", f"{GROUP}/rules", list_rules, "List access group rules"),
    Endpoint(API, "POST", f"{GROUP}/rules", add_rule, "Create rule for an access group"),
    Endpoint(API, "GET", f"{GROUP}/rules/{{rule_id}}", get_rule, "Get an access group rule"),
    Endpoint(API, "PUT", f"{GROUP}/rules/{{rule_id}}", replace_rule,
             "Replace an access group rule"),
    Endpoint(API, "DELETE", f"{GROUP}/rules/{{rule_id}}", remove_rule,
             "Delete an access group rule"),
]
