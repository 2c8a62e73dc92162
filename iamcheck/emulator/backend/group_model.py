"""Access group data: groups, members, rules, IBM's limits, and the checks on what clients send."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamcheck.emulator.errors import IbmError, bad_request

PUBLIC_ACCESS_ID = "AccessGroupId-PublicAccess"
MAX_GROUPS_PER_ACCOUNT = 500  # IBM's documented limits
MAX_GROUPS_PER_MEMBER = 50
MAX_RULES_PER_GROUP = 5
MAX_PER_CALL = 50  # members per add/remove call, groups per add-to-many call
SEED_TIME = "2026-01-05T09:00:00.000Z"
MEMBER_TYPES = ("user", "service", "profile")
MEMBERSHIP_TYPES = ("static", "dynamic", "all")
RULE_OPERATORS = ("EQUALS", "EQUALS_IGNORE_CASE", "IN", "NOT_EQUALS_IGNORE_CASE", "NOT_EQUALS",
                  "CONTAINS")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def type_of(iam_id: str) -> str:
    if iam_id.startswith("iam-ServiceId-"):
        return "service"
    return "profile" if iam_id.startswith("iam-Profile-") else "user"


def etag_of(ident: str, revision: int) -> str:
    return f"{revision}-{uuid.uuid5(uuid.NAMESPACE_URL, f'{ident}#{revision}').hex[:24]}"


def failure(status: int, code: str, message: str, **keys: Any) -> dict[str, Any]:
    """One failed item of a 207 multi-status answer."""
    return {**keys, "status_code": status, "trace": uuid.uuid4().hex,
            "errors": [{"code": code, "message": message}]}


@dataclass
class Member:
    iam_id: str
    type: str
    created_at: str
    created_by_id: str


@dataclass
class Rule:
    id: str
    name: str
    expiration: int
    realm_name: str
    conditions: list[dict[str, str]]
    created_at: str
    created_by_id: str
    last_modified_at: str
    last_modified_by_id: str
    revision: int = 1

    @property
    def etag(self) -> str:
        return etag_of(self.id, self.revision)


@dataclass
class Group:
    id: str
    name: str
    description: str
    created_at: str
    created_by_id: str
    last_modified_at: str
    last_modified_by_id: str
    revision: int = 1
    members: dict[str, Member] = field(default_factory=dict)  # static, in the order added
    dynamic: dict[str, Member] = field(default_factory=dict)  # members right now through rules
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return etag_of(self.id, self.revision)


GROUP_SORT: dict[str, Callable[[Group], Any]] = {
    "id": lambda g: g.id, "name": lambda g: g.name.lower(),
    "description": lambda g: g.description.lower(), "is_federated": lambda g: bool(g.rules),
}

def search_hit(g: Group, search: str) -> bool:
    """IBM's `search`: `id:`, `name:` or `description:` and a value, matched case-insensitively."""
    key, sep, term = search.partition(":")
    if sep and key not in ("id", "name", "description"):
        raise bad_request("search must look like id:<id>, name:<name> or description:<text>.",
                          "invalid_value")
    fields = (key,) if sep else ("id", "name", "description")
    term = (term if sep else search).lower()
    return any(term in str(getattr(g, f)).lower() for f in fields)


def group_fields(name: Any, description: Any, *, required: bool) -> tuple[Any, Any]:
    if (name is not None or required) and (
            not isinstance(name, str) or not name.strip() or len(name) > 100):
        raise bad_request("name must be a string of 1 to 100 characters.", "invalid_name")
    if description is not None and (not isinstance(description, str) or len(description) > 250):
        raise bad_request("description must be a string of at most 250 characters.",
                          "invalid_description")
    return name, description


def rule_fields(body: dict[str, Any]) -> tuple[str, int, str, list[dict[str, str]]]:
    name, expiration = body.get("name", ""), body.get("expiration")
    realm, conditions = body.get("realm_name"), body.get("conditions")
    if not isinstance(name, str):
        raise bad_request("name must be a string.", "invalid_name")
    if not isinstance(expiration, int) or isinstance(expiration, bool) or not 1 <= expiration <= 24:
        raise bad_request("expiration must be a number of hours from 1 to 24.",
                          "invalid_expiration")
    if not isinstance(realm, str) or not realm:
        raise bad_request("realm_name is required.", "invalid_realm_name")
    if not isinstance(conditions, list) or not conditions:
        raise bad_request("conditions must be a non-empty array.", "invalid_conditions")
    for c in conditions:
        if not (isinstance(c, dict) and isinstance(c.get("claim"), str) and c["claim"]
                and c.get("operator") in RULE_OPERATORS and isinstance(c.get("value"), str)):
            raise bad_request("Each condition needs a claim, an operator among "
                              f"{', '.join(RULE_OPERATORS)} and a string value.",
                              "invalid_conditions")
    return name, expiration, realm, [{k: c[k] for k in ("claim", "operator", "value")}
                                     for c in conditions]


def check_membership_type(kind: str | None) -> None:
    if kind is not None and kind not in MEMBERSHIP_TYPES:
        raise bad_request("membership_type must be one of static, dynamic, all.", "invalid_value")


def check_etag(if_match: str | None, current: str, what: str) -> None:
    if not if_match:
        raise IbmError(428, "precondition_required", "The If-Match header is required.")
    if if_match.strip().removeprefix("W/").strip('"') != current:
        raise IbmError(412, "precondition_failed",
                       f"The {what} was changed since the revision in If-Match; read it again.")


def check_batch(items: Any, what: str) -> None:
    if not isinstance(items, list) or not items:
        raise bad_request(f"'{what}' must be a non-empty array.", "invalid_body")
    if len(items) > MAX_PER_CALL:
        raise bad_request(f"At most {MAX_PER_CALL} {what} can be given in one request.",
                          "limit_exceeded")
