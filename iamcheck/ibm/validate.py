"""IBM's answers are checked, not trusted: each item iamcheck reads is held against what the
SDK's models require (their `from_dict` raises for a missing required property), the types
IBM documents, and what was asked (a policy from a `state=active` list is active; a
time-based pattern comes with its rule; an instance's CRN names the region it was listed in).
Anything else is `InvalidAnswer`, exit 5, naming the route and the field: no verdict is made
from an answer that could be misread (a wrong allow is worse than an error).

A spec is a Python type (or a tuple of them), a `dict` of field specs (`Opt` for optional
fields), or a one-element `list` (every item of a JSON array). Readers of new APIs (profiles,
CBR) call `check` with their own spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iamcheck.errors import ApiFailure, printable


class InvalidAnswer(ApiFailure):
    """An IBM answer that does not hold what its API documents: exit 5, no verdict."""


@dataclass(frozen=True)
class Opt:
    """An optional field: absent or null is fine, anything else must match `spec`."""

    spec: Any


class NonEmpty:
    """A string with at least one character (ids, names that key other data)."""


def _shown(where: str) -> str:
    return printable(where[:120])


def _fail(what: str, route: str, where: str, problem: str) -> InvalidAnswer:
    return InvalidAnswer(
        f"{what} ({route}): IBM Cloud sent an answer iamcheck cannot read: {problem} at "
        f"{_shown(where)}; no verdict is given on an answer that could be misread"
    )


def _kind(value: Any) -> str:
    return "null" if value is None else {dict: "an object", list: "an array", str: "a string",
                                         bool: "a boolean", int: "a number",
                                         float: "a number"}.get(type(value), type(value).__name__)


def _matches(value: Any, spec: Any) -> bool:
    kinds = spec if isinstance(spec, tuple) else (spec,)
    for kind in kinds:
        if kind is NonEmpty and isinstance(value, str) and value:
            return True
        if kind in (int, float) and isinstance(value, bool):
            continue
        if isinstance(kind, type) and kind is not NonEmpty and isinstance(value, kind):
            return True
    return False


def check(value: Any, spec: Any, what: str, route: str, where: str = "$") -> Any:
    """`value` if it matches `spec`, else InvalidAnswer naming the route and the field."""
    stack: list[tuple[Any, Any, str]] = [(value, spec, where)]
    while stack:
        node, sub, at = stack.pop()
        if isinstance(sub, dict):
            if not isinstance(node, dict):
                raise _fail(what, route, at, f"{_kind(node)} where an object belongs")
            for key, field_spec in sub.items():
                if isinstance(field_spec, Opt):
                    if node.get(key) is None:
                        continue
                    field_spec = field_spec.spec
                elif key not in node or node[key] is None:
                    raise _fail(what, route, f"{at}.{key}", "no value (the field is required)")
                stack.append((node[key], field_spec, f"{at}.{key}"))
        elif isinstance(sub, list):
            if not isinstance(node, list):
                raise _fail(what, route, at, f"{_kind(node)} where an array belongs")
            stack.extend((item, sub[0], f"{at}[{i}]") for i, item in enumerate(node))
        elif not _matches(node, sub):
            raise _fail(what, route, at, f"{_kind(node)} of the wrong type")
    return value


# ---- the specs of what iamcheck reads (fields it uses; the SDK's required ones among them)

STR_LIST = [str]
ATTRIBUTE = {"key": NonEmpty, "operator": NonEmpty, "value": (str, bool, list)}
POLICY = {
    "id": NonEmpty,
    "type": NonEmpty,
    "state": NonEmpty,
    "subject": {"attributes": [ATTRIBUTE]},
    "resource": {"attributes": [ATTRIBUTE], "tags": Opt([ATTRIBUTE])},
    "control": {"grant": {"roles": [{"role_id": NonEmpty}]}},
    "pattern": Opt(str),
    "rule": Opt(dict),
    "description": Opt(str),
    "template": Opt(dict),
}
ROLE = {"crn": NonEmpty, "display_name": str, "actions": STR_LIST, "service_name": Opt(str)}
ROLES = {"system_roles": list, "service_roles": list, "custom_roles": list}
USER = {"iam_id": NonEmpty, "state": NonEmpty, "email": Opt(str), "realm": Opt(str),
        "user_id": Opt(str), "firstname": Opt(str), "lastname": Opt(str)}
GROUP = {"id": NonEmpty, "name": str, "description": Opt(str), "is_federated": Opt(bool)}
MEMBER = {"iam_id": NonEmpty, "name": Opt(str), "type": Opt(str), "membership_type": Opt(str)}
GROUP_RULE = {"id": NonEmpty, "name": Opt(str), "realm_name": NonEmpty,
              "expiration": Opt(int),
              "conditions": Opt([{"claim": NonEmpty, "operator": NonEmpty, "value": str}])}
RESOURCE_GROUP = {"id": NonEmpty, "name": str}
REGION = {"name": NonEmpty, "endpoint": NonEmpty}
INSTANCE = {
    "id": NonEmpty, "crn": NonEmpty, "name": NonEmpty, "status": NonEmpty,
    "zone": {"name": NonEmpty}, "resource_group": {"id": NonEmpty}, "vpc": {"id": NonEmpty},
    "confidential_compute_mode": Opt(str),
    "image": Opt({"id": Opt(str), "name": Opt(str)}),
    "boot_volume_attachment": Opt({"volume": Opt({"id": Opt(str)})}),
    "vcpu": Opt({"architecture": Opt(str)}),
}
# access_tags was asked for: an item without it would read as "no tags", which a policy's
# tag condition turns into another verdict
SEARCH_PAGE = {"items": [{"crn": NonEmpty, "access_tags": STR_LIST}],
               "search_cursor": Opt(str)}
TAGS_PAGE = {"items": [{"name": NonEmpty}]}
ACCOUNT = {"owner_iamid": NonEmpty}
CLAIM = {"claim": NonEmpty, "operator": NonEmpty, "value": str}
SERVICE_ID = {"id": NonEmpty, "iam_id": NonEmpty, "name": Opt(str)}
PROFILE = {"id": NonEmpty, "iam_id": NonEmpty, "name": Opt(str), "description": Opt(str)}
PROFILE_RULE = {"id": NonEmpty, "type": NonEmpty, "name": Opt(str), "realm_name": Opt(str),
                "expiration": Opt(int), "conditions": Opt([CLAIM]), "cr_type": Opt(str)}
PROFILE_LINK = {"cr_type": NonEmpty, "id": Opt(str), "name": Opt(str),
                "link": {"crn": NonEmpty, "namespace": Opt(str), "name": Opt(str)}}
CBR_ATTRIBUTE = {"name": NonEmpty, "value": str, "operator": Opt(str)}
# a rule without its contexts or resources would read as "restricts nothing" or "everywhere"
CBR_RULE = {"id": NonEmpty, "enforcement_mode": Opt(str), "description": Opt(str),
            "contexts": [{"attributes": [CBR_ATTRIBUTE]}],
            "resources": [{"attributes": [CBR_ATTRIBUTE], "tags": Opt([CBR_ATTRIBUTE])}],
            "operations": Opt({"api_types": [{"api_type_id": NonEmpty}]})}
CBR_ADDRESS = {"type": NonEmpty, "value": Opt(str), "ref": Opt(dict)}
CBR_ZONE = {"id": NonEmpty, "name": Opt(str), "addresses": [CBR_ADDRESS],
            "excluded": Opt([CBR_ADDRESS])}
# ?format=display: each role with the actions it carries (R2)
DISPLAY_ROLE = {"role_id": NonEmpty, "display_name": Opt(str), "actions": Opt(list)}

# what each reader reads, for messages: IBM's route
POLICIES = "GET /v2/policies"
POLICY_ROUTE = "GET /v2/policies/{id}"
ROLES_ROUTE = "GET /v2/roles"
USERS = "GET /v2/accounts/{account_id}/users"
GROUPS = "GET /v2/groups"
MEMBERS = "GET /v2/groups/{id}/members"
RULES = "GET /v2/groups/{id}/rules"
RESOURCE_GROUPS = "GET /v2/resource_groups"
REGIONS = "GET /v1/regions"
INSTANCES = "GET /v1/instances"
SEARCH = "POST /v3/resources/search"
TAGS = "GET /v3/tags"
ACCOUNTS = "GET /v4/accounts/{account_id}"
PROFILES = "GET /v1/profiles"
SERVICE_IDS = "GET /v1/serviceids/"
PROFILE_RULES = "GET /v1/profiles/{id}/rules"
PROFILE_LINKS = "GET /v1/profiles/{id}/links"
CBR_RULES = "GET /v1/rules"
CBR_ZONES = "GET /v1/zones/{id}"

TIME_BASED = "time-based-conditions"


def _rule(raw: Any, what: str, where: str, route: str) -> None:
    """A v2 rule: a condition {key, operator, value} or a group {operator, conditions}."""
    stack = [(raw, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict) and "conditions" in node:
            check(node, {"operator": NonEmpty, "conditions": [dict]}, what, route, at)
            stack.extend((c, f"{at}.conditions[{i}]") for i, c in enumerate(node["conditions"]))
        else:
            check(node, ATTRIBUTE, what, route, at)


def _attributes(attributes: list[dict[str, Any]], what: str, where: str, route: str) -> None:
    for i, attribute in enumerate(attributes):
        value = attribute["value"]
        at = f"{where}[{i}].value"
        if isinstance(value, bool) and attribute["operator"] != "stringExists":
            raise _fail(what, route, at, "a boolean for an operator that compares text")
        if isinstance(value, list):
            check(value, STR_LIST, what, route, at)


def policy(raw: Any, what: str, *, state: str | None = None, kind: str | None = None,
           route: str = POLICIES) -> Any:
    """A v2 policy, as listed with `state` and `type` (None: not asked for)."""
    where = f"$.policies[{_id(raw)}]" if route == POLICIES else "$"
    check(raw, POLICY, what, route, where)
    if state is not None and raw["state"] != state:
        raise _fail(what, route, f"{where}.state",
                    f"state '{printable(raw['state'][:20])}' in a list of {state} policies")
    if kind is not None and raw["type"] != kind:
        raise _fail(what, route, f"{where}.type",
                    f"type '{printable(raw['type'][:20])}' in a list of {kind} policies")
    pattern, rule = raw.get("pattern"), raw.get("rule")
    if pattern is not None and pattern.startswith(TIME_BASED) and rule is None:
        raise _fail(what, route, f"{where}.rule", "a time-based pattern without its rule")
    if rule is not None:
        if pattern is None:
            raise _fail(what, route, f"{where}.pattern", "a rule without its pattern")
        _rule(rule, what, f"{where}.rule", route)
    _attributes(raw["subject"]["attributes"], what, f"{where}.subject.attributes", route)
    _attributes(raw["resource"]["attributes"], what, f"{where}.resource.attributes", route)
    if raw["resource"].get("tags"):
        _attributes(raw["resource"]["tags"], what, f"{where}.resource.tags", route)
    return raw


def instance(raw: Any, what: str, region: str) -> Any:
    """An instance listed in `region`: its CRN is a VPC instance's, of that region and id."""
    from iamcheck.inputs import crn_location

    where = f"$.instances[{_id(raw)}]"
    check(raw, INSTANCE, what, INSTANCES, where)
    located = crn_location(raw["crn"])
    if located is None:
        raise _fail(what, INSTANCES, f"{where}.crn", "a CRN that is not a VPC instance's")
    if located != (region, raw["id"]):
        raise _fail(what, INSTANCES, f"{where}.crn",
                    f"a CRN of another instance or region than {region}")
    return raw


def display_policy(raw: Any, what: str) -> Any:
    """A policy read with ?format=display: a policy, and each role's actions ids or objects."""
    policy(raw, what, route=POLICY_ROUTE)
    for i, role in enumerate(raw["control"]["grant"]["roles"]):
        at = f"$.control.grant.roles[{i}]"
        check(role, DISPLAY_ROLE, what, POLICY_ROUTE, at)
        for j, action in enumerate(role.get("actions") or ()):
            if not (isinstance(action, str) and action) and not (
                    isinstance(action, dict) and isinstance(action.get("id"), str)
                    and action["id"]):
                raise _fail(what, POLICY_ROUTE, f"{at}.actions[{j}]",
                            f"{_kind(action)} where an action id belongs")
    return raw


def item(raw: Any, spec: Any, what: str, route: str, name: str) -> Any:
    """One listed item of `spec`, named `name` in messages (users, groups, roles...)."""
    return check(raw, spec, what, route, f"$.{name}[{_id(raw)}]")


def _id(raw: Any) -> str:
    """How an item is named in a message: `id=...` (or its iam_id, crn or name)."""
    if isinstance(raw, dict):
        for key in ("id", "iam_id", "crn", "name"):
            if isinstance(raw.get(key), str):
                return f"{key}={printable(raw[key][:60])}"
    return "?"
