"""The policy `grant` plans, as HCL for IBM's Terraform provider, and the `import` block that
adopts a policy `grant` created. Pure: a v2 body (iamcheck/grant/policy.py) in, text out.

Argument names and import IDs are the provider's (`ibm_iam_user_policy`,
`ibm_iam_access_group_policy`, `ibm_iam_service_policy`): roles by display name, the scope as a
`resources` block (or `resource_attributes` for operators other than stringEquals), a time
window as `rule_conditions`, `rule_operator` and `pattern`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from iamcheck.errors import BadInput

if TYPE_CHECKING:
    from iamcheck.grant.plan import PlannedPolicy

SubjectKind = Literal["user", "access_group", "service_id"]

RESOURCE_TYPES: dict[SubjectKind, str] = {
    "user": "ibm_iam_user_policy",
    "access_group": "ibm_iam_access_group_policy",
    "service_id": "ibm_iam_service_policy",
}
# the argument that names the subject, per resource type
SUBJECT_ARGUMENT: dict[SubjectKind, str] = {
    "user": "ibm_id",  # an email or IBMid
    "access_group": "access_group_id",
    "service_id": "iam_id",  # iam-ServiceId-...
}
# v2 resource attribute -> argument of the provider's `resources` block
RESOURCES_ARGUMENT = {
    "serviceName": "service",
    "serviceType": "service_type",
    "serviceInstance": "resource_instance_id",
    "instanceId": "resource_instance_id",
    "resourceGroupId": "resource_group_id",
    "region": "region",
    "resourceType": "resource_type",
    "resource": "resource",
}
_LABEL = re.compile(r"[^A-Za-z0-9_-]")


def label(text: str) -> str:
    """A Terraform block label from any text: letters, digits, `_` and `-`, not a digit first."""
    name = _LABEL.sub("_", text).strip("_-") or "policy"
    return name if not name[0].isdigit() and name[0] != "-" else f"p_{name}"


def string(value: str) -> str:
    """An HCL quoted string: JSON escapes, plus `${` and `%{` so nothing is interpolated."""
    quoted = json.dumps(value, ensure_ascii=True)
    return quoted.replace("${", "$${").replace("%{", "%%{")


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(string(v) for v in values) + "]"


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def policy_hcl(body: Mapping[str, Any], kind: SubjectKind, subject: str,
               roles: Sequence[str], name: str = "iamcheck_grant") -> str:
    """One `resource` block for the v2 `body`. `subject` is what the provider takes: the
    user's email (or IBMid), the access group's ID, or the service ID's IAM ID; `roles` are
    the display names of the body's roles (`Operator`, `Console Administrator`)."""
    if body.get("type", "access") != "access":
        raise BadInput(f"terraform: a policy of type {body.get('type')!r} is not an access policy")
    if not roles:
        raise BadInput("terraform: a policy needs at least one role")
    lines = [f"resource {string(RESOURCE_TYPES[kind])} {string(label(name))} {{",
             f"  {SUBJECT_ARGUMENT[kind]} = {string(subject)}",
             f"  roles = {_list(roles)}"]
    if body.get("description"):
        lines.append(f"  description = {string(str(body['description']))}")
    lines += _resource_lines(body.get("resource") or {})
    if body.get("rule"):
        lines += _rule_lines(body["rule"])
        if body.get("pattern"):
            lines.append(f"  pattern = {string(str(body['pattern']))}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _resource_lines(resource: Mapping[str, Any]) -> list[str]:
    attributes = [a for a in resource.get("attributes", []) if a.get("key") != "accountId"]
    tags = resource.get("tags") or []
    simple = all(a.get("operator", "stringEquals") == "stringEquals"
                 and a.get("key") in RESOURCES_ARGUMENT and isinstance(a.get("value"), str)
                 for a in attributes)
    lines: list[str] = []
    if simple:  # the provider's documented shape for a service, instance or resource group
        lines.append("  resources {")
        lines += [f"    {RESOURCES_ARGUMENT[a['key']]} = {string(a['value'])}" for a in attributes]
        lines.append("  }")
    else:
        for attr in attributes:
            lines += ["  resource_attributes {",
                      f"    name = {string(str(attr['key']))}",
                      f"    value = {string(_scalar(attr['value']))}",
                      f"    operator = {string(str(attr.get('operator', 'stringEquals')))}",
                      "  }"]
    for tag in tags:
        lines += ["  resource_tags {",
                  f"    name = {string(str(tag['key']))}",
                  f"    value = {string(_scalar(tag['value']))}",
                  f"    operator = {string(str(tag.get('operator', 'stringEquals')))}",
                  "  }"]
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, list | tuple):  # the provider takes one string: IBM's CLI form
        return ",".join(str(v) for v in value)
    return str(value)


def _rule_lines(rule: Mapping[str, Any]) -> list[str]:
    """IBM's rule: a group of conditions becomes `rule_operator` plus one `rule_conditions`
    block per condition (a nested group keeps its own `conditions`)."""
    conditions = rule.get("conditions")
    if conditions is None:  # a single condition
        return [*_condition("rule_conditions", rule, "  ")]
    lines = [f"  rule_operator = {string(str(rule['operator']))}"]
    for cond in conditions:
        if "conditions" in cond:
            lines += ["  rule_conditions {", f"    operator = {string(str(cond['operator']))}"]
            for inner in cond["conditions"]:
                lines += _condition("conditions", inner, "    ")
            lines.append("  }")
        else:
            lines += _condition("rule_conditions", cond, "  ")
    return lines


def _condition(block: str, cond: Mapping[str, Any], indent: str) -> list[str]:
    return [f"{indent}{block} {{",
            f"{indent}  key = {string(str(cond['key']))}",
            f"{indent}  operator = {string(str(cond['operator']))}",
            f"{indent}  value = {_list(_values(cond['value']))}",
            f"{indent}}}"]


def import_id(kind: SubjectKind, subject: str, policy_id: str) -> str:
    """The provider's import ID: `<subject>/<policy id>` (ibm_id, access group ID, or the
    service ID's IAM ID)."""
    if "/" in subject or "/" in policy_id or not policy_id:
        raise BadInput("terraform: a subject or policy id with '/' cannot be imported")
    return f"{subject}/{policy_id}"


def import_block(kind: SubjectKind, subject: str, policy_id: str,
                 name: str = "iamcheck_grant") -> str:
    """A Terraform (1.5 or later) `import` block for a policy that already exists."""
    return (f"import {{\n  to = {RESOURCE_TYPES[kind]}.{label(name)}\n"
            f"  id = {string(import_id(kind, subject, policy_id))}\n}}\n")


def subject_ref(kind: SubjectKind, iam_id: str, email: str = "") -> str:
    """What the provider names the subject by: a user's email (else the IBMid), the access
    group's ID, the service ID's IAM ID (`iam-ServiceId-...`)."""
    if kind == "user":
        return email or iam_id
    if kind == "service_id" and not iam_id.startswith("iam-"):
        return "iam-" + iam_id
    return iam_id


def planned_hcl(planned: PlannedPolicy, policy_id: str | None = None) -> str:
    """HCL for a policy `grant` planned; with the id it was created under, its import block."""
    kind = _kind(planned.subject.kind)
    ref = subject_ref(kind, planned.subject.id, planned.subject.label if kind == "user" else "")
    scope = planned.scope.name or planned.scope.value or planned.scope.kind
    name = f"{planned.subject.label or planned.subject.id}_{scope}"
    text = policy_hcl(planned.body(), kind, ref, [r.display_name for r in planned.roles], name)
    return text if policy_id is None else text + import_block(kind, ref, policy_id, name)


def _kind(kind: str) -> SubjectKind:
    for known in RESOURCE_TYPES:
        if kind == known:
            return known
    raise BadInput(f"terraform: no policy resource for a subject of kind {kind!r}")
