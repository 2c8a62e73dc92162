"""IAM Policy Management: policies (always through /v2/policies, P1) and roles."""

from __future__ import annotations

from functools import partial
from typing import Any

from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager

from iamcheck.ibm._convert import as_value, convert_all
from iamcheck.ibm.session import IbmSession
from iamcheck.model import Attribute, Condition, ConditionGroup, Policy, Role, Rule

PAGE = 100


def list_policies(
    session: IbmSession,
    account_id: str,
    *,
    iam_id: str | None = None,
    access_group_id: str | None = None,
    state: str = "active",
) -> list[Policy]:
    client = session.client(IamPolicyManagementV1)
    pager = V2PoliciesPager(
        client=client,
        account_id=account_id,
        iam_id=iam_id,
        access_group_id=access_group_id,
        type="access",
        state=state,
        limit=PAGE,
    )
    who = iam_id or access_group_id or "the account"
    what = f"list {state} policies of {who}"
    return convert_all(what, session.pages(what, pager), policy_from_json)


def list_roles(session: IbmSession, account_id: str, service_name: str) -> list[Role]:
    client = session.client(IamPolicyManagementV1)
    what = f"list the roles of service '{service_name}'"
    result = session.call(
        what, client.list_roles, account_id=account_id, service_name=service_name
    ).get_result()
    roles: list[Role] = []
    for kind, key in (
        ("system", "system_roles"),
        ("service", "service_roles"),
        ("custom", "custom_roles"),
    ):
        roles += convert_all(what, result.get(key) or [], partial(_role, kind=kind))
    return roles


def _role(raw: dict[str, Any], *, kind: str) -> Role:
    return Role(
        crn=raw["crn"],
        display_name=raw.get("display_name", ""),
        kind=kind,
        actions=frozenset(raw.get("actions") or ()),
        service_name=raw.get("service_name"),
    )


def _attributes(raw: list[dict[str, Any]] | None) -> tuple[Attribute, ...]:
    return tuple(Attribute(a["key"], a["operator"], as_value(a["value"])) for a in raw or ())


def rule_from_json(raw: dict[str, Any]) -> Rule:
    if "conditions" in raw:
        return ConditionGroup(raw["operator"], tuple(rule_from_json(c) for c in raw["conditions"]))
    return Condition(raw["key"], raw["operator"], as_value(raw["value"]))


def policy_from_json(raw: dict[str, Any]) -> Policy:
    resource = raw.get("resource") or {}
    roles = raw["control"]["grant"]["roles"]
    return Policy(
        id=raw["id"],
        type=raw["type"],
        state=raw.get("state", "active"),
        subject=_attributes(raw["subject"]["attributes"]),
        resource=_attributes(resource.get("attributes")),
        tags=_attributes(resource.get("tags")),
        role_ids=tuple(r["role_id"] for r in roles),
        rule=rule_from_json(raw["rule"]) if raw.get("rule") else None,
        pattern=raw.get("pattern"),
        description=raw.get("description", ""),
        template_managed=bool(raw.get("template")),
    )
