"""G1: which context-based restriction rules cover an instance, and what they require.

A rule covers the instance when one of its resources matches: every attribute (accountId,
serviceName, instanceId, resourceGroupId, region) equals the instance's, under `stringEquals`
(the default; "*" is every value) or `stringMatch`; access tags on the resource must be on the
instance. An attribute or operator iamcheck does not know makes the rule *possibly* covering.
`enabled` rules enforce, `report` rules only log, `disabled` rules are ignored. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from iamcheck.decide.matching import EQUALS, MATCH, glob
from iamcheck.decide.tri import Tri, all_of, any_of, tri
from iamcheck.decide.verdict import ContextRule
from iamcheck.model import CbrAttribute, CbrContext, CbrResource, CbrRule, CbrZone, Instance

ENABLED, DISABLED, REPORT = "enabled", "disabled", "report"
_FIELDS = {"instanceId": "id", "resourceGroupId": "resource_group_id", "region": "region"}


def covering_rules(rules: Iterable[CbrRule], zones: Iterable[CbrZone], instance: Instance,
                   account_id: str, service: str = "is") -> tuple[ContextRule, ...]:
    """The rules that cover (or may cover) `instance`, enforcing ones first, by id."""
    by_zone = {zone.id: zone for zone in zones}
    out: list[ContextRule] = []
    for rule in rules:
        mode = rule.enforcement_mode.strip().lower()
        if mode == DISABLED:
            continue
        covers = any_of(_resource(r, instance, account_id, service) for r in rule.resources)
        if covers is Tri.NO:
            continue
        if rule.operations:  # api types iamcheck does not map to the console request
            covers = min(covers, Tri.MAYBE)
        out.append(ContextRule(rule.id, REPORT if mode == REPORT else ENABLED,
                               covers is Tri.YES, _requires(rule.contexts, by_zone),
                               rule.description))
    return tuple(sorted(out, key=lambda c: (not c.enforced, c.rule_id)))


def enforced(found: Iterable[ContextRule]) -> bool:
    """Whether an enforcing rule covers (or may cover) the instance: strict_context's test."""
    return any(rule.enforced for rule in found)


def _value_test(attr: CbrAttribute, actual: str) -> Tri:
    operator = attr.operator or EQUALS
    if operator == EQUALS:
        return tri(attr.value == "*" or attr.value == actual)
    if operator == MATCH:
        return tri(glob(attr.value).fullmatch(actual) is not None)
    return Tri.MAYBE


def _resource(resource: CbrResource, instance: Instance, account_id: str, service: str) -> Tri:
    results: list[Tri] = []
    names = {attr.name for attr in resource.attributes}
    if "serviceName" not in names:
        results.append(Tri.MAYBE)  # e.g. a serviceType scope: not documented for VPC
    for attr in resource.attributes:
        if attr.name == "accountId":
            results.append(_value_test(attr, account_id))
        elif attr.name == "serviceName":
            results.append(_value_test(attr, service))
        elif attr.name in _FIELDS:
            results.append(_value_test(attr, getattr(instance, _FIELDS[attr.name])))
        else:
            results.append(Tri.MAYBE)
    for tag in resource.tags:
        if (tag.operator or EQUALS) != EQUALS:
            results.append(Tri.MAYBE)
        else:
            results.append(tri(f"{tag.name}:{tag.value}".lower() in instance.access_tags))
    return all_of(results)


def _requires(contexts: tuple[CbrContext, ...], zones: dict[str, CbrZone]) -> tuple[str, ...]:
    """Each context in words; a request must match one of them."""
    out: list[str] = []
    for context in contexts:
        parts: list[str] = []
        for attr in context.attributes:
            values = [v.strip() for v in attr.value.split(",") if v.strip()]
            if attr.name == "networkZoneId":
                parts.append("a request from " + " or ".join(_zone(zones, v) for v in values))
            elif attr.name == "endpointType":
                parts.append("endpoint type " + " or ".join(values))
            elif attr.name == "mfa":
                parts.append("MFA " + " or ".join(values))
            else:
                parts.append(f"{attr.name} {attr.value}")
        out.append(" and ".join(parts) or "any context")
    return tuple(out)


def _zone(zones: dict[str, CbrZone], zone_id: str) -> str:
    zone = zones.get(zone_id)
    if zone is None:
        return f"zone {zone_id} (not read)"
    shown = ", ".join(f"{a.type} {a.value}" for a in zone.addresses) or "no address"
    if zone.excluded:
        shown += " except " + ", ".join(f"{a.type} {a.value}" for a in zone.excluded)
    return f"zone {zone.name or zone.id} ({shown})"
