"""Global Tagging (GET /v3/tags) and Global Search (POST /v3/resources/search) over the
account's VPC instances, the only taggable resources a seed describes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.backend.visibility import Visibility
from iamcheck.emulator.backend.vpc_shapes import SEARCH_FIELDS, search_item
from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, caller_of, int_param, json_body, ok

TAGGING = "Global Tagging"
SEARCH = "Global Search"
TAG_TYPES = ("user", "service", "access")
PROVIDERS = ("ghost", "ims")


async def list_tags(request: Request) -> Response:
    params = request.query_params
    tag_type = params.get("tag_type", "user")
    if tag_type not in TAG_TYPES:
        raise bad_request(f"tag_type must be one of {', '.join(TAG_TYPES)}.")
    order = params.get("order_by_name", "asc")
    if order not in ("asc", "desc"):
        raise bad_request("order_by_name must be asc or desc.")
    providers = params.get("providers", "ghost").split(",")
    if any(p not in PROVIDERS for p in providers):
        raise bad_request("providers must be ghost, ims or ghost,ims.")
    offset = int_param(request, "offset", 0, 0, 1_000_000)
    limit = int_param(request, "limit", 100, 1, 1000)
    store = backend_of(request).vpc
    account = params.get("account_id")
    names: list[str] = []
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    if "ghost" in providers and account in (None, store.account_id):
        # only the tags of resources the caller may read
        attached_to = params.get("attached_to")
        record = store.by_crn(attached_to) if attached_to else None
        if record is not None and seen.instance(record):
            names = store.tags(record["crn"], tag_type)
        elif attached_to is None and seen.owner:
            names = store.all_tags(tag_type)
        elif attached_to is None:
            names = sorted({t for r in store.instances() if seen.instance(r)
                            for t in store.tags(r["crn"], tag_type)})
    names = sorted(names, reverse=order == "desc")
    return ok({"total_count": len(names), "offset": offset, "limit": limit,
               "items": [{"name": n} for n in names[offset:offset + limit]]})


# Global Search accepts Lucene; the emulator reads the subset a client needs:
# `*`, or `field:value` terms joined by AND, values plain (\-escapes), "quoted", or ending in `*`;
# a term without a field (free text, `GST-sdk-*`) matches a value of any field.
_TOKEN = re.compile(r'\s*(?:"(?:[^"\\]|\\.)*"|(?:[^\s"\\]|\\.)+(?:"(?:[^"\\]|\\.)*")?)')
_UNESCAPE = re.compile(r"\\(.)")
ANY_FIELD = "*"


@dataclass(frozen=True)
class Term:
    field: str
    value: str
    prefix: bool  # value ended in an unescaped `*`: match values starting with it

    def matches(self, record: dict[str, Any]) -> bool:
        fields = SEARCH_FIELDS.values() if self.field == ANY_FIELD else [SEARCH_FIELDS[self.field]]
        values: list[Any] = []
        for read in fields:
            found = read(record)
            values += found if isinstance(found, list) else [found]
        if self.prefix:
            return any(str(v).startswith(self.value) for v in values)
        return any(str(v) == self.value for v in values)


def _tokens(query: str) -> list[str]:
    tokens, at = [], 0
    while at < len(query.rstrip()):
        match = _TOKEN.match(query, at)
        if match is None or match.end() == at:
            raise bad_request(f"Cannot parse the query near: {query[at:at + 30]!r}.")
        tokens.append(match.group().strip())
        at = match.end()
    return tokens


def _term(token: str) -> Term:
    field, colon, raw = token.partition(":")
    if token.startswith('"') or not colon:
        field, raw = ANY_FIELD, token  # free text: a value of any field
    if not field or not raw:
        raise bad_request(f"Query term {token!r} is not field:value, free text or `*`.")
    if field != ANY_FIELD and field not in SEARCH_FIELDS:
        raise bad_request(f"Unknown field {field!r} in the query; searchable fields: "
                          f"{', '.join(sorted(SEARCH_FIELDS))}.")
    if raw.startswith('"'):
        if not raw.endswith('"') or len(raw) < 2:
            raise bad_request(f"Unterminated quoted value in {token!r}.")
        return Term(field, _UNESCAPE.sub(r"\1", raw[1:-1]), prefix=False)
    if re.search(r'(?<!\\)[:"()]', raw):
        raise bad_request(f"Quote or escape the value in {token!r} (it holds : \" or brackets).")
    prefix = raw.endswith("*") and not raw.endswith("\\*")
    value = _UNESCAPE.sub(r"\1", raw[:-1] if prefix else raw)
    return Term(field, value, prefix)


def parse_query(query: str) -> list[Term]:
    """The AND-ed terms of a query (none: match everything). 400 for anything else."""
    tokens = _tokens(query)
    if tokens in ([], ["*"]):
        return []
    if len(tokens) % 2 == 0 or any(t != "AND" for t in tokens[1::2]):
        raise bad_request("The emulator supports `*` or field:value terms joined by AND only.")
    return [_term(t) for t in tokens[0::2]]


def _encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        state = None
    if (not isinstance(state, dict) or not isinstance(state.get("offset"), int)
            or not isinstance(state.get("query"), str)):
        raise bad_request("The search_cursor is not one this service returned.")
    return state


async def search(request: Request) -> Response:
    body = await json_body(request)
    limit = int_param(request, "limit", 10, 1, 1000)
    store = backend_of(request).vpc
    if body.get("search_cursor") is not None:
        # IBM ignores the rest of the body once a cursor is given: the cursor carries it.
        state = _decode_cursor(str(body["search_cursor"]))
    else:
        fields = body.get("fields")
        if fields is not None and (not isinstance(fields, list)
                                   or not all(isinstance(f, str) for f in fields)):
            raise bad_request("fields must be a list of field names.")
        query = body.get("query", "*")
        if not isinstance(query, str):
            raise bad_request("query must be a string.")
        state = {"query": query, "fields": fields, "offset": 0,
                 "account_id": request.query_params.get("account_id")}
    terms = parse_query(str(state["query"]))
    account = state.get("account_id")
    seen = Visibility(backend_of(request), caller_of(request).iam_id)
    chosen = [r for r in store.instances()  # only what the caller may read, as IBM's search
              if account in (None, r["account_id"]) and all(t.matches(r) for t in terms)
              and seen.instance(r)]
    offset: int = state["offset"]
    page = chosen[offset:offset + limit]
    answer: dict[str, Any] = {"limit": limit,
                              "items": [search_item(r, state["fields"]) for r in page]}
    # IBM returns a cursor on every call; an empty page (not a missing cursor) ends the scan.
    answer["search_cursor"] = _encode_cursor({**state, "offset": min(offset + limit,
                                                                     len(chosen))})
    return ok(answer)


ENDPOINTS = [
    Endpoint(TAGGING, "GET", "/v3/tags", list_tags,
             "List tags (all of a type, or those attached to a CRN)"),
    Endpoint(SEARCH, "POST", "/v3/resources/search", search,
             "Find resources (query: *, free text or field:value AND ...; a cursor on every "
             "page, an empty page ends)"),
]
