"""A small account for the trusted-profile and context-based-restriction tests (issue 13): a
federated user who reaches the console only through a profile, a compute resource linked to
it, an instance under an enforced CBR rule, one under a report-only rule, one under a disabled
rule, and a user who may read neither profiles nor CBR rules."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import mini_seed

ACCOUNT = mini_seed()["account_id"]
RG = "rg0000000000000000000000000000a1"
IDP = "https://idp.example.org/SAML2"
PROFILE = "Profile-6a2f0000-0000-4000-8000-00000000a001"
PROFILE_IAM = "iam-" + PROFILE


def _instance(n: int, name: str) -> dict[str, Any]:
    iid = f"0717_bbbbbbbb-0000-4000-8000-00000000000{n}"
    return {"id": iid, "crn": f"crn:v1:bluemix:public:is:us-south-1:a/{ACCOUNT}::instance:{iid}",
            "name": name, "region": "us-south", "zone": "us-south-1", "status": "running",
            "resource_group": RG, "vpc": "r006-vpc-0001"}


WALLED, REPORTED, IGNORED, LINKED = (_instance(1, "walled-01"), _instance(2, "reported-01"),
                                     _instance(3, "ignored-01"), _instance(4, "runbook-01"))
SRE, NOREAD, OPS = "IBMid-3000000001", "IBMid-3000000002", "IBMid-3000000003"
SRE_KEY, NOREAD_KEY = "key-layers-sre-000001", "key-layers-noread-0001"
OPS_KEY = "key-layers-ops-0000001"
VIEWER = ("crn:v1:bluemix:public:iam::::role:Viewer",)
# what OPS may read: everything a check of someone else needs, and CBR rules, not profiles
OPS_READS = ("iam-access-management", "iam-groups", "user-management",
             "context-based-restrictions")
OFFICE = {"id": "zone-office", "name": "office",
          "addresses": [{"type": "subnet", "value": "10.0.0.0/8"}]}
LOOPBACK = {"id": "zone-loopback", "name": "loopback",
            "addresses": [{"type": "ipRange", "value": "127.0.0.1-127.0.0.255"}]}
ENFORCED, REPORT, DISABLED = "rule-walled", "rule-reported", "rule-ignored"
SRE_CLAIMS = {"realm": IDP, "claims": {"groups": ["sre", "dev"]}}


def _attr(key: str, value: str) -> dict[str, str]:
    return {"key": key, "operator": "stringEquals", "value": value}


def console_policy(pid: str, subject: tuple[str, str], instance: str | None = None,
                   service: str = "is", roles: tuple[str, ...] = ()) -> dict[str, Any]:
    where = [_attr("accountId", ACCOUNT), _attr("serviceName", service)]
    if instance:
        where.append(_attr("instanceId", instance))
    return {"id": pid, "type": "access",
            "subject": {"attributes": [_attr(*subject)]},
            "resource": {"attributes": where},
            "control": {"grant": {"roles": [{"role_id": r} for r in roles or (
                "crn:v1:bluemix:public:iam::::role:Operator",
                "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin")]}}}


def cbr_rule(rid: str, instance: str, mode: str, zone: str = "zone-office") -> dict[str, Any]:
    return {"id": rid, "description": f"{mode} rule on one instance",
            "contexts": [{"attributes": [{"name": "networkZoneId", "value": zone}]}],
            "resources": [{"attributes": [{"name": "accountId", "value": ACCOUNT},
                                          {"name": "serviceName", "value": "is"},
                                          {"name": "instanceId", "value": instance}]}],
            "enforcement_mode": mode}


def layers_seed() -> dict[str, Any]:
    seed = mini_seed()
    seed["api_keys"] += [{"apikey": SRE_KEY, "iam_id": SRE},
                         {"apikey": NOREAD_KEY, "iam_id": NOREAD},
                         {"apikey": OPS_KEY, "iam_id": OPS}]
    seed["users"] += [
        {"iam_id": SRE, "email": "sre@example.com", "state": "ACTIVE", "realm": "IBMid",
         "login": SRE_CLAIMS},
        {"iam_id": NOREAD, "email": "noread@example.com", "state": "ACTIVE", "realm": "IBMid"},
        {"iam_id": OPS, "email": "ops@example.com", "state": "ACTIVE", "realm": "IBMid"},
    ]
    seed["instances"] = [WALLED, REPORTED, IGNORED, LINKED]
    seed["trusted_profiles"] = [{
        "id": PROFILE, "iam_id": PROFILE_IAM, "name": "sre-oncall",
        "description": "the SRE on-call rotation",
        "rules": [{"name": "on-call SSO", "type": "Profile-SAML", "realm_name": IDP,
                   "expiration": 43200,
                   "conditions": [{"claim": "groups", "operator": "CONTAINS",
                                   "value": "\"sre\""}]}],
        "links": [{"name": "runbook host", "cr_type": "VSI", "link": {"crn": LINKED["crn"]}}],
    }]
    seed["cbr_zones"] = [OFFICE, LOOPBACK]
    seed["cbr_rules"] = [cbr_rule(ENFORCED, WALLED["id"], "enabled"),
                         cbr_rule(REPORT, REPORTED["id"], "report"),
                         cbr_rule(DISABLED, IGNORED["id"], "disabled")]
    seed["policies"] = [
        console_policy("p-profile", ("iam_id", PROFILE_IAM), WALLED["id"]),
        # NOREAD opens every console by IAM, and may read the VPC but not profiles or CBR
        console_policy("p-noread", ("iam_id", NOREAD)),
        console_policy("p-ops", ("iam_id", OPS)),
        *(console_policy(f"p-ops-{service}", ("iam_id", OPS), service=service, roles=VIEWER)
          for service in OPS_READS),
    ]
    return copy.deepcopy(seed)
