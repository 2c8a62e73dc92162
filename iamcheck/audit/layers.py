"""The audit document's parts for the layers beside policies: each trusted profile as a subject
with who may apply it and what is linked to it (P5), each instance's CBR rules (G1), and the
layers the caller could not read (V5). audit/document.py puts them in place."""

from __future__ import annotations

from typing import Any

from iamcheck.decide import AccountResult, covering_rules
from iamcheck.decide.layers import describe as describe_layer
from iamcheck.model import AccountData, Instance, TrustedProfile


def profile_part(profile: TrustedProfile, names: dict[str, str]) -> dict[str, Any]:
    """A profile as a subject (like a service ID), with its claim rules and links."""
    return {
        "iam_id": profile.iam_id, "kind": "trusted_profile", "email": "", "name": profile.name,
        "state": "",
        "may_apply": [
            {"rule": r.name or r.id, "type": r.type, "realm": r.realm_name,
             "cr_type": r.cr_type, "expiration_hours": r.expiration_hours,
             "conditions": [{"claim": c.claim, "operator": c.operator, "value": c.value}
                            for c in r.conditions]}
            for r in profile.rules
        ],
        "linked": [link_part(link.cr_type, link.crn, link.namespace, link.resource_name,
                             link.name, names) for link in profile.links],
    }


def link_part(cr_type: str, crn: str, namespace: str, resource_name: str,
              name: str, names: dict[str, str]) -> dict[str, Any]:
    """`instance`: the name of the linked VPC instance, when the audit read it."""
    return {"cr_type": cr_type, "crn": crn, "instance": names.get(crn, ""),
            "namespace": namespace, "resource_name": resource_name, "link_name": name}


def _names(account: AccountData) -> dict[str, str]:
    return {i.crn: i.name for i in account.instances if i.crn}


def profiles_info(account: AccountData) -> dict[str, dict[str, Any]]:
    names = _names(account)
    return {p.iam_id: profile_part(p, names) for p in account.profiles}


def instance_layers(account: AccountData, result: AccountResult,
                    instance: Instance) -> dict[str, Any]:
    """What an instance's entry gains: the CBR rules covering it, the compute resources that
    hold it through a profile link."""
    rules = covering_rules(account.cbr_rules, account.cbr_zones, instance, account.account_id)
    return {
        "context_rules": [
            {"rule_id": r.rule_id, "mode": r.mode, "enforced": r.enforced,
             "certain": r.certain, "requires": list(r.requires),
             "description": r.description, "text": r.describe()}
            for r in rules
        ],
        "link_holders": [
            {"kind": h.kind, "verdict": h.verdict.value, "profile_iam_id": h.profile_iam_id,
             "profile_name": h.profile_name, "text": h.describe(),
             **link_part(h.cr_type, h.crn, h.namespace, h.resource_name, h.link_name,
                         _names(account))}
            for h in result.link_holders(instance.id)
        ],
    }


def layer_gaps_part(account: AccountData) -> list[dict[str, str]]:
    return [{"layer": g.layer, "reason": g.reason, "text": describe_layer(g)}
            for g in account.layer_gaps]
