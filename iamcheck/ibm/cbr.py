"""Context Based Restrictions: the account's rules on a service and their network zones (G1),
through `ContextBasedRestrictionsV1`."""

from __future__ import annotations

from typing import Any

from ibm_platform_services.context_based_restrictions_v1 import ContextBasedRestrictionsV1

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_list, reading
from iamcheck.ibm.session import IbmSession
from iamcheck.model import CbrAddress, CbrAttribute, CbrContext, CbrResource, CbrRule, CbrZone


def list_rules(session: IbmSession, account_id: str, service_name: str = "is") -> list[CbrRule]:
    """The rules on `service_name` (IBM's list is not paged; it filters by service)."""
    client = session.client(ContextBasedRestrictionsV1)
    what = f"list the context-based restriction rules on '{service_name}'"
    result = session.call(what, client.list_rules, account_id=account_id,
                          service_name=service_name).get_result()
    return convert_list(what, result, "rules", lambda raw: _rule(
        validate.item(raw, validate.CBR_RULE, what, validate.CBR_RULES, "rules")))


def get_zone(session: IbmSession, zone_id: str) -> CbrZone:
    """One network zone with every address (the list answers only a preview of them)."""
    client = session.client(ContextBasedRestrictionsV1)
    what = f"read network zone {zone_id}"
    result = session.call(what, client.get_zone, zone_id=zone_id).get_result()
    validate.check(result, validate.CBR_ZONE, what, validate.CBR_ZONES)
    with reading(what):
        return _zone(result)


def _attribute(raw: dict[str, Any]) -> CbrAttribute:
    return CbrAttribute(str(raw["name"]), str(raw["value"]), str(raw.get("operator") or ""))


def _rule(raw: dict[str, Any]) -> CbrRule:
    return CbrRule(
        id=str(raw["id"]),
        enforcement_mode=str(raw.get("enforcement_mode") or "enabled"),
        contexts=tuple(CbrContext(tuple(_attribute(a) for a in c.get("attributes") or ()))
                       for c in raw.get("contexts") or ()),
        resources=tuple(CbrResource(tuple(_attribute(a) for a in r["attributes"]),
                                    tuple(_attribute(t) for t in r.get("tags") or ()))
                        for r in raw.get("resources") or ()),
        description=str(raw.get("description") or ""),
        operations=tuple(str(t["api_type_id"]) for t in
                         (raw.get("operations") or {}).get("api_types") or ()),
    )


def _address(raw: dict[str, Any]) -> CbrAddress:
    value = raw.get("value")
    if value is None and raw.get("ref"):  # serviceRef: {ref: {service_name, ...}}
        value = ",".join(f"{k}={v}" for k, v in sorted(raw["ref"].items()))
    return CbrAddress(str(raw["type"]), str(value or ""))


def _zone(raw: dict[str, Any]) -> CbrZone:
    return CbrZone(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        addresses=tuple(_address(a) for a in raw.get("addresses") or ()),
        excluded=tuple(_address(a) for a in raw.get("excluded") or ()),
    )
