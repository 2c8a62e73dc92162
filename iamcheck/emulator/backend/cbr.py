"""Context-based restrictions: the account's network zones and rules, and the one decision the
emulator enforces with them (VPC's console token endpoint).

A rule applies to a request when every resource attribute it names matches the instance
(`accountId`, `serviceName` `is`, `instanceId`, `resourceGroupId`, `region`; `resourceType`
`instance`; any other attribute: the emulator cannot tell, so the rule does not apply). An
applying rule allows the request when one of its contexts matches: every attribute of that
context holds (`networkZoneId`: the client's address is in one of the zones; `endpointType`:
the endpoint is `public`, the only one the emulator serves; `mfa`: never, the emulator's tokens
carry no MFA level). A rule without contexts allows nothing. Zones match the client's address by
`ipAddress`, `ipRange` (`a-b`) and `subnet` (CIDR), minus their `excluded` addresses; `vpc` and
`serviceRef` addresses never match a client the emulator sees.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from iamcheck.emulator.backend.authz import match
from iamcheck.emulator.backend.group_model import SEED_TIME, now
from iamcheck.emulator.errors import IbmError, bad_request

log = logging.getLogger("iamcheck.emulator.cbr")
MODES = ("enabled", "disabled", "report")
ADDRESS_TYPES = frozenset({"ipAddress", "ipRange", "subnet", "vpc", "serviceRef"})
ENDPOINT_TYPE = "public"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    denied_by: tuple[str, ...] = ()  # enabled rules that refuse
    reported: tuple[str, ...] = ()  # report-mode rules that would refuse


def _in_address(address: dict[str, Any], ip: ipaddress.IPv4Address | ipaddress.IPv6Address
                ) -> bool:
    kind, value = address.get("type"), str(address.get("value", ""))
    try:
        if kind == "ipAddress":
            return ip == ipaddress.ip_address(value)
        if kind == "subnet":
            return ip in ipaddress.ip_network(value, strict=False)
        if kind == "ipRange":
            low, _, high = value.partition("-")
            lo, hi = ipaddress.ip_address(low.strip()), ipaddress.ip_address(high.strip())
            return type(lo) is type(ip) and lo <= ip <= hi  # type: ignore[operator]
    except ValueError:
        return False
    return False  # vpc, serviceRef: not where a client the emulator sees comes from


class CbrStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        creator = next((k["iam_id"] for k in seed.get("api_keys", [])), "system")
        self.zones: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.reports: list[dict[str, Any]] = []  # report-mode refusals, newest last
        for z in seed.get("cbr_zones", []):
            self.zones[z["id"]] = self._zone(z["id"], z, creator, SEED_TIME)
        for r in seed.get("cbr_rules", []):
            self.rules[r["id"]] = self._rule(r["id"], r, creator, SEED_TIME)

    def _crn(self, kind: str, ident: str) -> str:
        return (f"crn:v1:bluemix:public:context-based-restrictions::a/{self.account_id}::"
                f"{kind}:{ident}")

    def _zone(self, zid: str, z: dict[str, Any], who: str, when: str) -> dict[str, Any]:
        addresses = z.get("addresses")
        if not isinstance(addresses, list) or not all(
                isinstance(a, dict) and a.get("type") in ADDRESS_TYPES for a in addresses):
            raise bad_request("A zone needs addresses of type ipAddress, ipRange, subnet, vpc or "
                              "serviceRef.", "invalid_zone")
        if not isinstance(z.get("name"), str) or not z["name"]:
            raise bad_request("A zone needs a name.", "invalid_zone")
        excluded = z.get("excluded") or []
        return {"id": zid, "crn": self._crn("zone", zid), "name": z["name"],
                "account_id": self.account_id, "description": z.get("description", ""),
                "addresses": copy.deepcopy(addresses), "excluded": copy.deepcopy(excluded),
                "address_count": len(addresses), "excluded_count": len(excluded),
                "created_at": when, "created_by_id": who, "last_modified_at": when,
                "last_modified_by_id": who}

    def _rule(self, rid: str, r: dict[str, Any], who: str, when: str) -> dict[str, Any]:
        if r.get("enforcement_mode", "enabled") not in MODES:
            raise bad_request("enforcement_mode must be enabled, disabled or report.",
                              "invalid_rule")
        if not isinstance(r.get("resources"), list) or not isinstance(r.get("contexts"), list):
            raise bad_request("A rule needs contexts and resources.", "invalid_rule")
        body = {"id": rid, "crn": self._crn("rule", rid), "description": r.get("description", ""),
                "contexts": copy.deepcopy(r["contexts"]),
                "resources": copy.deepcopy(r["resources"]),
                "enforcement_mode": r.get("enforcement_mode", "enabled"),
                "created_at": when, "created_by_id": who, "last_modified_at": when,
                "last_modified_by_id": who}
        if r.get("operations"):
            body["operations"] = copy.deepcopy(r["operations"])
        return body

    # ---- API

    def check_account(self, account_id: str | None) -> None:
        if not account_id:
            raise bad_request("The query parameter 'account_id' is required.", "missing_account_id")

    def zone(self, zid: str) -> dict[str, Any]:
        if zid not in self.zones:
            raise IbmError(404, "not_found", f"The zone '{zid}' was not found.")
        return self.zones[zid]

    def rule(self, rid: str) -> dict[str, Any]:
        if rid not in self.rules:
            raise IbmError(404, "not_found", f"The rule '{rid}' was not found.")
        return self.rules[rid]

    def list_rules(self, account_id: str, query: dict[str, str]) -> list[dict[str, Any]]:
        if account_id != self.account_id:
            return []
        out = []
        for rule in self.rules.values():
            mode = query.get("enforcement_mode")
            if mode and rule["enforcement_mode"] != mode:
                continue
            if "zone_id" in query and not any(
                    a.get("name") == "networkZoneId" and query["zone_id"] in str(
                        a.get("value", "")).split(",")
                    for c in rule["contexts"] for a in c.get("attributes", [])):
                continue
            wanted = {k: query[q] for q, k in (("service_name", "serviceName"),
                                               ("service_instance", "serviceInstance"),
                                               ("region", "region"),
                                               ("resource", "resource"),
                                               ("resource_type", "resourceType"),
                                               ("service_type", "serviceType")) if q in query}
            if wanted and not any(all(_attr(res, k) == v for k, v in wanted.items())
                                  for res in rule["resources"]):
                continue
            out.append(rule)
        return out

    def list_zones(self, account_id: str, name: str | None) -> list[dict[str, Any]]:
        if account_id != self.account_id:
            return []
        return [z for z in self.zones.values() if name is None or z["name"] == name]

    def create_zone(self, body: dict[str, Any], who: str) -> dict[str, Any]:
        if body.get("account_id") != self.account_id:
            raise bad_request("account_id must be this account.", "invalid_zone")
        zid = uuid.uuid4().hex
        self.zones[zid] = self._zone(zid, body, who, now())
        return self.zones[zid]

    def create_rule(self, body: dict[str, Any], who: str) -> dict[str, Any]:
        rid = uuid.uuid4().hex
        self.rules[rid] = self._rule(rid, body, who, now())
        return self.rules[rid]

    def replace_rule(self, rid: str, body: dict[str, Any], who: str) -> dict[str, Any]:
        old = self.rule(rid)
        new = self._rule(rid, body, who, now())
        new["created_at"], new["created_by_id"] = old["created_at"], old["created_by_id"]
        self.rules[rid] = new
        return new

    def delete_rule(self, rid: str) -> None:
        self.rule(rid)
        del self.rules[rid]

    def delete_zone(self, zid: str) -> None:
        self.zone(zid)
        if any(zid in str(a.get("value", "")).split(",") for r in self.rules.values()
               for c in r["contexts"] for a in c.get("attributes", [])):
            raise IbmError(409, "zone_in_use", f"The zone '{zid}' is used by a rule.")
        del self.zones[zid]

    # ---- enforcement

    def decide(self, target: dict[str, str], client: str | None) -> Verdict:
        """Do the rules that apply to `target` (an instance's attributes) allow a request from
        the address `client` through the public endpoint?"""
        denied: list[str] = []
        reported: list[str] = []
        for rule in self.rules.values():
            mode = rule["enforcement_mode"]
            if mode == "disabled" or not any(_covers(res, target) for res in rule["resources"]):
                continue
            if any(self._context_holds(c, client) for c in rule["contexts"]):
                continue
            (denied if mode == "enabled" else reported).append(rule["id"])
        for rid in reported:
            entry = {"rule_id": rid, "client": client, "instance_id": target.get("instanceId")}
            self.reports.append(entry)
            log.warning("CBR rule %s (report mode) would deny %s", rid, entry)
        return Verdict(not denied, tuple(denied), tuple(reported))

    def _context_holds(self, context: dict[str, Any], client: str | None) -> bool:
        attributes = context.get("attributes") or []
        return bool(attributes) and all(self._holds(a, client) for a in attributes)

    def _holds(self, attribute: dict[str, Any], client: str | None) -> bool:
        name, values = attribute.get("name"), str(attribute.get("value", "")).split(",")
        if name == "endpointType":
            return ENDPOINT_TYPE in (v.strip() for v in values)
        if name == "networkZoneId":
            return client is not None and any(self._in_zone(v.strip(), client) for v in values)
        return False  # mfa and anything else: a context the emulator never has

    def _in_zone(self, zid: str, client: str) -> bool:
        zone = self.zones.get(zid)
        if zone is None:
            return False
        try:
            ip = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(_in_address(a, ip) for a in zone["addresses"]) and not any(
            _in_address(a, ip) for a in zone["excluded"])


def _attr(resource: dict[str, Any], name: str) -> str | None:
    return next((str(a.get("value")) for a in resource.get("attributes", [])
                 if a.get("name") == name), None)


def _covers(resource: dict[str, Any], target: dict[str, str]) -> bool:
    if resource.get("tags"):
        return False  # access-tag scoped rules: the emulator does not match tags here
    for attr in resource.get("attributes", []):
        name, value = attr.get("name"), str(attr.get("value", ""))
        operator = attr.get("operator") or "stringEquals"
        if name == "resourceType":
            if value != "instance":
                return False
        elif name in target:
            if operator not in ("stringEquals", "stringMatch") or not match(
                    operator, value, target[name]):
                return False
        else:
            return False
    return any(a.get("name") == "serviceName" for a in resource.get("attributes", []))
