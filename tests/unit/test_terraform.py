"""The HCL `grant --emit terraform` will print (iamcheck/terraform.py), parsed by a real HCL
parser (python-hcl2) and held to the arguments IBM's Terraform provider documents."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import hcl2
import pytest

from iamcheck import terraform
from iamcheck.errors import BadInput
from iamcheck.grant.plan import GrantScope as Scope
from iamcheck.grant.plan import Subject, Window
from tests.unit.decide_builders import ALICE, AT, OPS
from tests.unit.test_grant_plan import ONE, RG, plan_for

# The provider's documented arguments (website/docs/r/iam_*_policy.html.markdown): names only.
COMMON = {"roles", "description", "resources", "resource_attributes", "resource_tags",
          "account_management", "transaction_id", "rule_conditions", "rule_operator", "pattern"}
DOCUMENTED = {
    "ibm_iam_user_policy": COMMON | {"ibm_id"},
    "ibm_iam_access_group_policy": COMMON | {"access_group_id"},
    "ibm_iam_service_policy": COMMON | {"iam_id", "iam_service_id"},
}
RESOURCES = {"service", "service_type", "resource_instance_id", "region", "resource_type",
             "resource", "resource_group_id", "service_group_id", "attributes"}
RULE_CONDITION = {"key", "operator", "value", "conditions"}
CONDITION = {"key", "operator", "value"}
ATTRIBUTE = {"name", "value", "operator"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # a Terraform block label


def unquote(value: Any) -> Any:
    """python-hcl2 keeps a string's quotes and escapes; undo them as Terraform would."""
    if isinstance(value, str) and value.startswith('"'):
        return json.loads(value.replace("$${", "${").replace("%%{", "%{"))
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def parse(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = unquote(hcl2.loads(text))
    return parsed


def only_resource(text: str) -> tuple[str, str, dict[str, Any]]:
    (resource,) = parse(text)["resource"]
    ((rtype, labelled),) = resource.items()
    ((name, args),) = labelled.items()
    return rtype, name, args


def check_documented(rtype: str, args: dict[str, Any]) -> None:
    assert set(args) <= DOCUMENTED[rtype], set(args) - DOCUMENTED[rtype]
    for block in args.get("resources", []):
        assert set(block) <= RESOURCES
    for block in args.get("resource_attributes", []) + args.get("resource_tags", []):
        assert set(block) <= ATTRIBUTE and {"name", "value"} <= set(block)
    for block in args.get("rule_conditions", []):
        assert set(block) <= RULE_CONDITION and "operator" in block
        for inner in block.get("conditions", []):
            assert set(inner) == CONDITION and isinstance(inner["value"], list)
        if "conditions" not in block:
            assert isinstance(block["value"], list)


def test_a_planned_user_policy_on_an_instance() -> None:
    plan, _ = plan_for(Subject("user", ALICE, "alice@example.com", "ACTIVE"), ONE)
    assert plan.policy is not None
    text = terraform.planned_hcl(plan.policy)
    rtype, name, args = only_resource(text)
    assert rtype == "ibm_iam_user_policy"
    check_documented(rtype, args)
    assert args["ibm_id"] == "alice@example.com"
    assert args["roles"] == [r.display_name for r in plan.policy.roles]
    assert set(args["roles"]) == {"Operator", "Console Administrator"}
    assert args["resources"] == [{"service": "is", "resource_instance_id": ONE.value}]
    assert args["description"] == plan.policy.body()["description"]
    assert "rule_conditions" not in args and "pattern" not in args
    assert IDENTIFIER.fullmatch(name)


def test_a_group_on_a_resource_group_for_a_shift() -> None:
    window = Window(AT, AT + timedelta(hours=8))
    plan, _ = plan_for(Subject("access_group", OPS, "on-call"), RG, window=window)
    assert plan.policy is not None
    body = plan.policy.body()
    rtype, _, args = only_resource(terraform.planned_hcl(plan.policy))
    assert rtype == "ibm_iam_access_group_policy"
    check_documented(rtype, args)
    assert args["access_group_id"] == OPS
    assert args["resources"] == [{"service": "is", "resource_group_id": RG.value}]
    assert args["pattern"] == "time-based-conditions:once" == body["pattern"]
    assert args["rule_operator"] == "and"
    assert args["rule_conditions"] == [
        {"key": c["key"], "operator": c["operator"], "value": [c["value"]]}
        for c in body["rule"]["conditions"]]


def test_a_service_id_on_every_instance_and_its_import_block() -> None:
    subject = Subject("service_id", "iam-ServiceId-1f2e3d4c", "deployer")
    plan, _ = plan_for(subject, Scope("account", ""))
    assert plan.policy is not None
    text = terraform.planned_hcl(plan.policy, policy_id="4870e189-a841-4212-8380-2fb071921c11")
    rtype, name, args = only_resource(text)
    assert rtype == "ibm_iam_service_policy"
    check_documented(rtype, args)
    assert args["iam_id"] == "iam-ServiceId-1f2e3d4c"
    assert args["resources"] == [{"service": "is"}]
    (block,) = parse(text)["import"]
    assert block["to"] == f"${{ibm_iam_service_policy.{name}}}"  # how python-hcl2 shows a ref
    # the provider's import ID: <service ID's IAM ID>/<policy id>
    assert block["id"] == "iam-ServiceId-1f2e3d4c/4870e189-a841-4212-8380-2fb071921c11"


@pytest.mark.parametrize("kind, subject, expected", [
    ("user", "theo.quill@example.com", "theo.quill@example.com/p-1"),
    ("access_group", "AccessGroupId-1148204e", "AccessGroupId-1148204e/p-1"),
    ("service_id", "iam-ServiceId-d7bec597", "iam-ServiceId-d7bec597/p-1"),
])
def test_import_ids_follow_the_provider(kind: terraform.SubjectKind, subject: str,
                                        expected: str) -> None:
    block = parse(terraform.import_block(kind, subject, "p-1", "x"))["import"][0]
    assert block["id"] == expected
    assert block["to"] == f"${{{terraform.RESOURCE_TYPES[kind]}.x}}"


def test_account_data_cannot_break_out_of_a_string() -> None:
    hostile = 'x" }\nresource "null" "y" {\n ${file("/etc/passwd")} %{ if true }\\'
    body = {"type": "access", "description": hostile,
            "resource": {"attributes": [{"key": "serviceName", "operator": "stringEquals",
                                         "value": "is"}]}}
    text = terraform.policy_hcl(body, "user", hostile, ["Operator"], name=hostile)
    rtype, name, args = only_resource(text)
    assert rtype == "ibm_iam_user_policy" and IDENTIFIER.fullmatch(name)
    assert args["description"] == hostile and args["ibm_id"] == hostile
    assert "${" not in text.replace("$${", "")


def test_other_operators_and_tags_use_resource_attributes() -> None:
    body = {"type": "access", "resource": {
        "attributes": [{"key": "accountId", "operator": "stringEquals", "value": "a1"},
                       {"key": "serviceName", "operator": "stringEquals", "value": "is"},
                       {"key": "instanceId", "operator": "stringMatch", "value": "0727_*"}],
        "tags": [{"key": "env", "operator": "stringEquals", "value": "prod"}]}}
    rtype, _, args = only_resource(terraform.policy_hcl(body, "user", "a@example.com", ["Viewer"]))
    check_documented(rtype, args)
    assert args["resource_attributes"] == [
        {"name": "serviceName", "value": "is", "operator": "stringEquals"},
        {"name": "instanceId", "value": "0727_*", "operator": "stringMatch"}]
    assert args["resource_tags"] == [{"name": "env", "value": "prod", "operator": "stringEquals"}]


def test_nested_rule_groups() -> None:
    body = {"type": "access", "pattern": "time-based-conditions:weekly:custom-hours",
            "rule": {"operator": "and", "conditions": [
                {"key": "{{environment.attributes.day_of_week}}", "operator": "dayOfWeekAnyOf",
                 "value": ["1+00:00", "2+00:00"]},
                {"operator": "or", "conditions": [
                    {"key": "{{environment.attributes.current_time}}",
                     "operator": "timeGreaterThanOrEquals", "value": "09:00:00+00:00"}]}]},
            "resource": {"attributes": [{"key": "serviceName", "operator": "stringEquals",
                                         "value": "is"}]}}
    rtype, _, args = only_resource(terraform.policy_hcl(body, "user", "a@example.com", ["Viewer"]))
    check_documented(rtype, args)
    assert args["rule_conditions"][0]["value"] == ["1+00:00", "2+00:00"]
    assert args["rule_conditions"][1]["conditions"][0]["value"] == ["09:00:00+00:00"]


def test_what_cannot_be_written_is_refused() -> None:
    with pytest.raises(BadInput):
        terraform.policy_hcl({"type": "authorization"}, "user", "a", ["Viewer"])
    with pytest.raises(BadInput):
        terraform.policy_hcl({"type": "access"}, "user", "a", [])
    with pytest.raises(BadInput):
        terraform.import_id("user", "a/b", "p")
