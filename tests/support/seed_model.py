"""Test-side converter: an emulator seed (JSON) straight into the decision's model objects.

No HTTP and no iamcheck.ibm code: it lets the decision be checked against the hand-derived demo
expectations independently of the readers. Roles come from the emulator's role catalogue, as
GET /v2/roles?service_name=is lists them, plus the seed's custom roles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamcheck.emulator.backend.role_catalog import (
    PLATFORM,
    PLATFORM_ACTIONS,
    PLATFORM_ROLES,
    SERVICE_ROLES,
)
from iamcheck.model import (
    AccessGroup,
    AccountData,
    Attribute,
    Condition,
    ConditionGroup,
    GroupRule,
    Instance,
    Membership,
    Policy,
    ResourceGroup,
    Role,
    Rule,
    RuleClaim,
    ServiceId,
    User,
)


def _value(raw: Any) -> Any:
    return tuple(raw) if isinstance(raw, list) else raw


def _attributes(items: list[dict[str, Any]]) -> tuple[Attribute, ...]:
    return tuple(Attribute(a["key"], a.get("operator", "stringEquals"),
                           _value(a["value"])) for a in items)


def _rule(raw: dict[str, Any]) -> Rule:
    if "conditions" in raw:
        return ConditionGroup(raw["operator"], tuple(_rule(c) for c in raw["conditions"]))
    return Condition(raw["key"], raw["operator"], _value(raw["value"]))


def _policy(raw: dict[str, Any], index: int) -> Policy:
    return Policy(
        id=raw.get("id", f"policy-{index}"), type=raw["type"], state=raw.get("state", "active"),
        subject=_attributes(raw["subject"]["attributes"]),
        resource=_attributes(raw["resource"]["attributes"]),
        role_ids=tuple(r["role_id"] for r in raw["control"]["grant"]["roles"]),
        tags=_attributes(raw["resource"].get("tags", [])),
        rule=_rule(raw["rule"]) if "rule" in raw else None, pattern=raw.get("pattern"),
        description=raw.get("description", ""), template_managed="template" in raw)


def _roles(seed: dict[str, Any]) -> tuple[Role, ...]:
    out = [Role(PLATFORM + name, display, "system",
                frozenset(PLATFORM_ACTIONS["is"].get(name, ())))
           for name, (display, _) in PLATFORM_ROLES.items()]
    out += [Role(r.crn, r.display_name, "service", frozenset(r.actions))
            for r in SERVICE_ROLES["is"]]
    for custom in seed.get("custom_roles", []):
        crn = custom.get("crn") or (f"crn:v1:ibmcloud:public:iam-access-management::"
                                    f"a/{seed['account_id']}::customRole:{custom['name']}")
        out.append(Role(crn, custom["display_name"], "custom", frozenset(custom["actions"]),
                        service_name=custom["service_name"]))
    return tuple(out)


def _group(raw: dict[str, Any]) -> AccessGroup:
    rules = tuple(GroupRule(r.get("id", ""), r["name"], r["realm_name"], r["expiration"],
                            tuple(RuleClaim(c["claim"], c["operator"], c["value"])
                                  for c in r["conditions"])) for r in raw.get("rules", []))
    return AccessGroup(raw["id"], raw["name"], raw.get("description", ""), rules)


def _instance(raw: dict[str, Any], account_id: str) -> Instance:
    system = raw.get("operating_system", {})
    return Instance(
        id=raw["id"], name=raw["name"], region=raw["region"], zone=raw["zone"],
        crn=raw.get("crn") or f"crn:v1:bluemix:public:is:{raw['zone']}:a/{account_id}::"
                              f"instance:{raw['id']}",
        resource_group_id=raw["resource_group"], vpc_id=raw["vpc"], status=raw["status"],
        confidential_compute_mode=raw.get("confidential_compute_mode", "disabled"),
        access_tags=frozenset(raw.get("access_tags", [])),
        image_name=raw.get("image", {}).get("name", ""), os_name=system.get("name", ""),
        os_family=system.get("family", ""), os_display_name=system.get("display_name", ""),
        architecture=system.get("architecture", ""))


def account_from_seed(seed: dict[str, Any], read_at: datetime | None = None) -> AccountData:
    account_id = seed["account_id"]
    groups = seed.get("access_groups", [])
    memberships = [Membership(g["id"], m["iam_id"]) for g in groups for m in g.get("members", [])]
    memberships += [Membership(g["id"], m["iam_id"], how="dynamic")
                    for g in groups for m in g.get("dynamic_members", [])]
    return AccountData(
        account_id=account_id,
        read_at=read_at or datetime.now(UTC),
        users=tuple(User(u["iam_id"], u["email"], u["state"], realm=u.get("realm", ""),
                         user_id=u.get("user_id", ""), firstname=u.get("firstname", ""),
                         lastname=u.get("lastname", "")) for u in seed.get("users", [])),
        service_ids=tuple(ServiceId(s["iam_id"], s["name"], s["id"])
                          for s in seed.get("service_ids", [])),
        groups=tuple(_group(g) for g in groups),
        memberships=tuple(memberships),
        policies=tuple(_policy(p, i) for i, p in enumerate(seed.get("policies", []))),
        roles=_roles(seed),
        resource_groups=tuple(ResourceGroup(r["id"], r["name"])
                              for r in seed.get("resource_groups", [])),
        instances=tuple(_instance(i, account_id) for i in seed.get("instances", [])),
    )
