"""IAM Policy Management: policies (always through /v2/policies, P1) and roles."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from ibm_platform_services.iam_policy_management_v1 import IamPolicyManagementV1, V2PoliciesPager

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_all, convert_list
from iamcheck.ibm.session import IbmSession
from iamcheck.model import Policy, Role, RoleKind
from iamcheck.policy_json import attributes_from_json, rule_from_json

PAGE = 100


def list_policies(
    session: IbmSession,
    account_id: str,
    *,
    iam_id: str | None = None,
    access_group_id: str | None = None,
    state: str = "active",
    last_permit: bool = False,
) -> list[Policy]:
    """With `last_permit`, IBM adds when each policy last permitted a request
    (format=include_last_permit), for the unused-access findings."""
    client = session.client(IamPolicyManagementV1)
    pager = V2PoliciesPager(
        client=client,
        account_id=account_id,
        iam_id=iam_id,
        access_group_id=access_group_id,
        type="access",
        state=state,
        format="include_last_permit" if last_permit else None,
        limit=PAGE,
    )
    who = iam_id or access_group_id or "the account"
    what = f"list {state} policies of {who}"
    return convert_all(what, session.pages(what, pager), lambda raw: policy_from_json(
        validate.policy(raw, what, state=state, kind="access")))


def list_roles(session: IbmSession, account_id: str, service_name: str) -> list[Role]:
    client = session.client(IamPolicyManagementV1)
    what = f"list the roles of service '{service_name}'"
    result = session.call(
        what, client.list_roles, account_id=account_id, service_name=service_name
    ).get_result()
    validate.check(result, validate.ROLES, what, validate.ROLES_ROUTE)
    roles: list[Role] = []
    kinds: tuple[tuple[RoleKind, str], ...] = (
        ("system", "system_roles"),
        ("service", "service_roles"),
        ("custom", "custom_roles"),
    )
    for kind, key in kinds:
        roles += convert_list(what, result, key, partial(_role, kind=kind, what=what))
    return roles


def _role(raw: dict[str, Any], *, kind: RoleKind, what: str) -> Role:
    validate.item(raw, validate.ROLE, what, validate.ROLES_ROUTE, kind)
    return Role(
        crn=raw["crn"],
        display_name=raw.get("display_name", ""),
        kind=kind,
        actions=frozenset(raw.get("actions") or ()),
        service_name=raw.get("service_name"),
    )


def get_policy_display(session: IbmSession, policy_id: str) -> Policy:
    """GET /v2/policies/{id}?format=display: the policy with each role's actions (R2)."""
    client = session.client(IamPolicyManagementV1)
    what = f"read the roles of policy {policy_id}"
    result = session.call(what, client.get_v2_policy, id=policy_id,
                          format="display").get_result()
    return convert_all(what, [validate.display_policy(result, what)], _with_display_roles)[0]


def _with_display_roles(raw: dict[str, Any]) -> Policy:
    policy = policy_from_json(raw)
    shown = tuple(_display_role(r) for r in raw["control"]["grant"]["roles"]
                  if isinstance(r.get("actions"), list))
    return replace(policy, display_roles=shown)


def _display_role(raw: dict[str, Any]) -> Role:
    crn = str(raw["role_id"])
    kind: RoleKind = ("system" if ":role:" in crn else
                      "custom" if ":customRole:" in crn else "service")
    actions = frozenset(str(a["id"]) if isinstance(a, dict) else str(a) for a in raw["actions"])
    return Role(crn=crn, display_name=str(raw.get("display_name", "")), kind=kind,
                actions=actions)


def policy_from_json(raw: dict[str, Any]) -> Policy:
    resource = raw.get("resource") or {}
    roles = raw["control"]["grant"]["roles"]
    return Policy(
        id=raw["id"],
        type=raw["type"],
        state=raw.get("state", "active"),
        subject=attributes_from_json(raw["subject"]["attributes"]),
        resource=attributes_from_json(resource.get("attributes")),
        tags=attributes_from_json(resource.get("tags")),
        role_ids=tuple(r["role_id"] for r in roles),
        rule=rule_from_json(raw["rule"]) if raw.get("rule") else None,
        pattern=raw.get("pattern"),
        description=raw.get("description", ""),
        template_managed=bool(raw.get("template")),
        last_permit_at=_instant(raw.get("last_permit_at")),
        last_permit_frequency=_count(raw.get("last_permit_frequency")),
    )


def _instant(raw: Any) -> datetime | None:
    """IBM's date-time (`2024-05-01T10:00:00Z`); absent or null: no record of a permit."""
    if raw is None:
        return None
    when = datetime.fromisoformat(str(raw))
    if when.tzinfo is None:
        raise ValueError(f"last_permit_at {str(raw)[:40]!r} has no time zone")
    return when


def _count(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"last_permit_frequency {str(raw)[:40]!r} is not a count")
    return raw


# ---- changes (iamcheck grant / revoke), always through /v2/policies


def create_policy(session: IbmSession, body: dict[str, Any]) -> Policy:
    """POST /v2/policies with `body` as given. A 409 (an identical policy exists) raises
    session.Conflict; `conflicting_policy_id` reads which policy it names."""
    client = session.client(IamPolicyManagementV1)
    what = "create a policy"
    fields = ("description", "subject", "resource", "pattern", "rule")
    result = session.call(
        what,
        client.create_v2_policy,
        control=body["control"],
        type=body["type"],
        **{k: body[k] for k in fields if k in body},
    ).get_result()
    return convert_all(what, [result], policy_from_json)[0]


def get_policy(session: IbmSession, policy_id: str) -> Policy:
    """GET /v2/policies/{id}; raises session.NotFound (IBM may answer 404 just after a create)."""
    client = session.client(IamPolicyManagementV1)
    what = f"read policy {policy_id}"
    result = session.call(what, client.get_v2_policy, id=policy_id).get_result()
    return convert_all(what, [validate.policy(result, what, route=validate.POLICY_ROUTE)],
                       policy_from_json)[0]


def delete_policy(session: IbmSession, policy_id: str) -> None:
    """DELETE /v2/policies/{id}; raises session.NotFound when there is no such active policy."""
    client = session.client(IamPolicyManagementV1)
    session.call(f"delete policy {policy_id}", client.delete_v2_policy, id=policy_id)


def conflicting_policy_id(details: dict[str, Any]) -> str | None:
    """The id of the policy a 409 policy_conflict_error names, when IBM's body carries it."""
    try:
        policy = details["errors"][0]["details"]["conflicts_with"]["policy"]
        return str(policy["id"]) if policy.get("id") else None
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
