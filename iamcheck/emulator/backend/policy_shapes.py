"""Policy bodies: v1 <-> v2 conversion, IBM's validation rules, and the v1 views of a policy.

The store keeps every policy in v2 form; /v1 sees a v1 rendering of it, or IBM's
"unsupported version" placeholder when v1 cannot express it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from iamcheck.emulator.errors import IbmError, bad_request

if TYPE_CHECKING:
    from iamcheck.emulator.backend.roles import RoleStore

V1_OPERATORS = frozenset({"stringEquals", "stringMatch"})
RESOURCE_OPERATORS = frozenset(
    {"stringEquals", "stringExists", "stringMatch", "stringEqualsAnyOf", "stringMatchAnyOf"}
)
SUBJECT_OPERATORS = frozenset({"stringEquals", "stringExists"})
RULE_OPERATORS = RESOURCE_OPERATORS | {
    f"{kind}{cmp}"
    for kind in ("time", "date", "dateTime")
    for cmp in ("LessThan", "LessThanOrEquals", "GreaterThan", "GreaterThanOrEquals")
} | {"dayOfWeekEquals", "dayOfWeekAnyOf"}
PATTERNS = frozenset({
    "time-based-conditions:once",
    "time-based-conditions:weekly",  # IBM's own CLI and API examples write it so
    "time-based-conditions:weekly:all-day",
    "time-based-conditions:weekly:custom-hours",
    "attribute-based-condition:resource:literal-and-wildcard",
})
SCOPE_KEYS = ("serviceType", "serviceName", "resourceGroupId", "service_group_id")
UNSUPPORTED_ROLE = "crn:v1:bluemix:public:iam::::role:UnsupportedVersion"
PLACEHOLDER_TEXT = ("**This is a unsupported policy version placeholder, to view the full "
                    "content, please call GET with provided href**")


def invalid(message: str) -> IbmError:
    return bad_request(message, code="invalid_body")


def _list_of_objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise invalid(f"'{where}' must be a non-empty list of objects.")
    return value


def _one(value: Any, where: str) -> dict[str, Any]:
    items = _list_of_objects(value, where)
    if len(items) != 1:
        raise invalid(f"'{where}' must contain exactly one element.")
    return items[0]


# ---- request bodies -> stored v2 form


def from_v1(body: dict[str, Any]) -> dict[str, Any]:
    """A POST/PUT /v1/policies body in v2 form (shape errors are 400s)."""
    for key in ("type", "subjects", "roles", "resources"):
        if key not in body:
            raise invalid(f"The request body is missing '{key}'.")
    subject = _one(body["subjects"], "subjects")
    resource = _one(body["resources"], "resources")
    subject_attrs = []
    for attr in _list_of_objects(subject.get("attributes"), "subjects[0].attributes"):
        if not isinstance(attr.get("name"), str) or not isinstance(attr.get("value"), str):
            raise invalid("Every subject attribute needs a string 'name' and 'value'.")
        subject_attrs.append({"key": attr["name"], "operator": "stringEquals",
                              "value": attr["value"]})
    resource_attrs = []
    for attr in _list_of_objects(resource.get("attributes"), "resources[0].attributes"):
        operator = attr.get("operator", "stringEquals")
        if operator not in V1_OPERATORS:
            raise invalid("/v1/policies supports only the stringEquals and stringMatch operators.")
        if not isinstance(attr.get("name"), str) or not isinstance(attr.get("value"), str):
            raise invalid("Every resource attribute needs a string 'name' and 'value'.")
        resource_attrs.append({"key": attr["name"], "operator": operator, "value": attr["value"]})
    policy: dict[str, Any] = {"type": body["type"]}
    if "description" in body:
        policy["description"] = body["description"]
    policy["subject"] = {"attributes": subject_attrs}
    policy["resource"] = {"attributes": resource_attrs}
    if resource.get("tags"):
        policy["resource"]["tags"] = [
            {"key": t.get("name"), "value": t.get("value"),
             "operator": t.get("operator", "stringEquals")}
            for t in _list_of_objects(resource["tags"], "resources[0].tags")
        ]
    roles = _list_of_objects(body["roles"], "roles")
    policy["control"] = {"grant": {"roles": [{"role_id": r.get("role_id")} for r in roles]}}
    return policy


def from_v2(body: dict[str, Any]) -> dict[str, Any]:
    """A POST/PUT /v2/policies body reduced to the fields a client may set."""
    for key in ("type", "control"):
        if key not in body:
            raise invalid(f"The request body is missing '{key}'.")
    for key in ("subject", "resource"):
        if not isinstance(body.get(key), dict):
            raise invalid(f"The request body needs a '{key}' object.")
    control = body["control"]
    if not isinstance(control, dict) or not isinstance(control.get("grant"), dict):
        raise invalid("'control' must be {\"grant\": {\"roles\": [...]}}.")
    roles = _list_of_objects(control["grant"].get("roles"), "control.grant.roles")
    keys = ("type", "description", "subject", "resource", "pattern", "rule")
    policy = {k: body[k] for k in keys if k in body}
    policy["control"] = {"grant": {"roles": [{"role_id": r.get("role_id")} for r in roles]}}
    return policy


# ---- IBM's rules for a policy body


def validate(policy: dict[str, Any], account_id: str, roles: RoleStore) -> None:
    if policy["type"] not in ("access", "authorization"):
        raise invalid("'type' must be 'access' or 'authorization'.")
    if "description" in policy and (not isinstance(policy["description"], str)
                                    or len(policy["description"]) > 300):
        raise invalid("'description' must be a string of at most 300 characters.")
    subject_attrs = _attributes(policy["subject"], "subject", SUBJECT_OPERATORS)
    resource_attrs = _attributes(policy["resource"], "resource", RESOURCE_OPERATORS)
    if policy["type"] == "access":
        if len(subject_attrs) != 1 or subject_attrs[0]["key"] not in ("iam_id", "access_group_id"):
            raise invalid("An access policy's subject must be one 'iam_id' or "
                          "'access_group_id' attribute.")
        if subject_attrs[0]["operator"] != "stringEquals":
            raise invalid("An access policy's subject must use the stringEquals operator.")
    account = [a for a in resource_attrs if a["key"] == "accountId"]
    if not account:
        raise invalid("The policy resource must include the 'accountId' attribute.")
    if account[0]["value"] != account_id or account[0]["operator"] != "stringEquals":
        raise invalid(f"Invalid accountId '{account[0]['value']}': it must equal the account "
                      "of the policy.")
    if not any(a["key"] in SCOPE_KEYS for a in resource_attrs) and not policy["resource"].get(
            "tags"):
        raise invalid("The policy resource must include a serviceType, serviceName, "
                      "resourceGroupId or service_group_id attribute.")
    _tags(policy["resource"].get("tags"))
    service = attribute_value(policy["resource"], "serviceName")
    for role in policy["control"]["grant"]["roles"]:
        role_id = role.get("role_id")
        if not isinstance(role_id, str) or roles.resolve(role_id, service) is None:
            raise invalid(f"Invalid role_id '{role_id}': it is not a role of "
                          f"{service or 'the policy resource'} in this account.")
    if "rule" in policy or "pattern" in policy:
        if policy.get("pattern") not in PATTERNS:
            raise invalid(f"Invalid pattern '{policy.get('pattern')}'; allowed patterns: "
                          + ", ".join(sorted(PATTERNS)) + ".")
        if "rule" not in policy:
            raise invalid("A policy with a 'pattern' needs a 'rule'.")
        _rule(policy["rule"], depth=1)


def _attributes(section: dict[str, Any], where: str, operators: frozenset[str]
                ) -> list[dict[str, Any]]:
    attrs = _list_of_objects(section.get("attributes"), f"{where}.attributes")
    for attr in attrs:
        key, operator, value = attr.get("key"), attr.get("operator"), attr.get("value")
        if not isinstance(key, str) or not key:
            raise invalid(f"Every {where} attribute needs a 'key'.")
        if operator not in operators:
            raise invalid(f"Operator '{operator}' is not supported on {where} attribute '{key}'.")
        _check_value(operator, value, f"{where} attribute '{key}'")
    return attrs


def _check_value(operator: str, value: Any, where: str) -> None:
    if operator == "stringExists":
        ok = isinstance(value, bool)
    elif operator.endswith("AnyOf"):
        ok = isinstance(value, list) and 0 < len(value) <= 10
    else:
        ok = isinstance(value, str | bool | int) and 0 < len(str(value)) <= 1000
    if not ok:
        raise invalid(f"Invalid value for {where} with operator '{operator}'.")


def _tags(tags: Any) -> None:
    if tags is None:
        return
    for tag in _list_of_objects(tags, "resource.tags"):
        if not isinstance(tag.get("key"), str) or not isinstance(tag.get("value"), str):
            raise invalid("Every resource tag needs a string 'key' and 'value'.")
        if tag.get("operator") not in V1_OPERATORS:
            raise invalid("Resource tags support only stringEquals and stringMatch.")


def _rule(rule: Any, depth: int) -> None:
    if not isinstance(rule, dict):
        raise invalid("'rule' must be an object.")
    if "conditions" in rule:
        if rule.get("operator") not in ("and", "or") or depth > 2:
            raise invalid("A rule combines conditions with 'and' or 'or', nested at most twice.")
        conditions = _list_of_objects(rule["conditions"], "rule.conditions")
        if len(conditions) > 10:
            raise invalid("A rule can have at most 10 conditions.")
        for condition in conditions:
            _rule(condition, depth + 1)
        return
    key, operator = rule.get("key"), rule.get("operator")
    if not isinstance(key, str) or not key or operator not in RULE_OPERATORS:
        raise invalid(f"Invalid rule condition: key '{key}', operator '{operator}'.")
    if "value" not in rule:
        raise invalid(f"Rule condition '{key}' needs a 'value'.")


# ---- reading a stored policy


def attribute_value(section: dict[str, Any], key: str) -> Any:
    """The value of the first `key` attribute of a subject or resource, or None."""
    return next((a.get("value") for a in section.get("attributes", []) if a.get("key") == key),
                None)


def fingerprint(policy: dict[str, Any], roles: RoleStore) -> str:
    """Equal for policies IBM treats as duplicates (same type, subject, resource, roles, rule)."""
    def attrs(items: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(a, sort_keys=True) for a in items)

    return json.dumps([
        policy["type"],
        attrs(policy["subject"]["attributes"]),
        attrs(policy["resource"]["attributes"]),
        attrs(policy["resource"].get("tags", [])),
        sorted({roles.canonical(r["role_id"]) for r in policy["control"]["grant"]["roles"]}),
        policy.get("rule"),
        policy.get("pattern"),
    ], sort_keys=True)


def v1_expressible(policy: dict[str, Any]) -> bool:
    """True when /v1 can show the policy as it is (no rule or pattern, v1 operators only)."""
    if "rule" in policy or "pattern" in policy:
        return False
    attrs = [*policy["subject"]["attributes"], *policy["resource"]["attributes"]]
    return all(a.get("operator") in V1_OPERATORS and isinstance(a.get("value"), str)
               for a in attrs) and all(a.get("operator") == "stringEquals"
                                       for a in policy["subject"]["attributes"])


def v1_view(policy: dict[str, Any], roles: RoleStore, base: str,
            written_in_v1: bool = False) -> dict[str, Any]:
    """The policy as /v1/policies shows it: in full when it was last written through /v1 (and
    v1 can express it), else IBM's placeholder, as for every policy created through /v2."""
    meta_keys = ("created_at", "created_by_id", "last_modified_at", "last_modified_by_id", "state")
    meta: dict[str, Any] = {k: policy[k] for k in meta_keys if k in policy}
    if not (written_in_v1 and v1_expressible(policy)):
        account = attribute_value(policy["resource"], "accountId")
        return {
            "id": policy["id"],
            "type": policy["type"],
            "description": PLACEHOLDER_TEXT,
            "subjects": [{"attributes": [{"name": "iam_id", "value": "unsupported version"}]}],
            "roles": [{"role_id": UNSUPPORTED_ROLE, "display_name": "Unsupported Version",
                       "description": PLACEHOLDER_TEXT}],
            "resources": [{"attributes": [{"name": "accountId", "value": account}]}],
            "href": f"{base}/v2/policies/{policy['id']}",
            **meta,
        }
    view: dict[str, Any] = {"id": policy["id"], "type": policy["type"]}
    if "description" in policy:
        view["description"] = policy["description"]
    view["subjects"] = [{"attributes": [{"name": a["key"], "value": a["value"]}
                                        for a in policy["subject"]["attributes"]]}]
    view["roles"] = []
    for role in policy["control"]["grant"]["roles"]:
        display, text = roles.describe(role["role_id"])
        view["roles"].append({"role_id": role["role_id"], "display_name": display,
                              "description": text})
    resource: dict[str, Any] = {"attributes": [
        {"name": a["key"], "value": a["value"], "operator": a["operator"]}
        for a in policy["resource"]["attributes"]
    ]}
    if policy["resource"].get("tags"):
        resource["tags"] = [{"name": t["key"], "value": t["value"], "operator": t["operator"]}
                            for t in policy["resource"]["tags"]]
    view["resources"] = [resource]
    view["href"] = f"{base}/v1/policies/{policy['id']}"
    if "template" in policy:
        view["template"] = policy["template"]
    return {**view, **meta}
