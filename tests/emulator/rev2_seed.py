"""A small account exercising trusted profiles, CBR, login claims, user states and Public
Access, for the emulator's rev-2 tests."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import MINI_KEY, mini_seed

ACCOUNT = mini_seed()["account_id"]
IDP = "https://idp.example.org/SAML2"
INSTANCE = "0717_aaaaaaaa-0000-4000-8000-000000000001"
INSTANCE_CRN = f"crn:v1:bluemix:public:is:us-south-1:a/{ACCOUNT}::instance:{INSTANCE}"
CLUSTER_CRN = f"crn:v1:bluemix:public:containers-kubernetes:us-south:a/{ACCOUNT}:c0ffee::"
PROFILE = "Profile-5e1f0000-0000-4000-8000-000000000001"
PROFILE_IAM = "iam-" + PROFILE
OTHER_PROFILE = "Profile-5e1f0000-0000-4000-8000-000000000002"
SERVICE_ID = "iam-ServiceId-0000aaaa-0000-4000-8000-000000000001"
RG = "rg0000000000000000000000000000a1"

# iam_id -> (state, API key)
USERS = {
    "IBMid-2000000001": ("DISABLED_CLASSIC_INFRASTRUCTURE", "key-disabled-classic-01"),
    "IBMid-2000000002": ("PENDING", "key-pending-000000001"),
    "IBMid-2000000003": ("SUSPENDED", "key-suspended-0000001"),
    "IBMid-2000000004": ("ACTIVE", "key-federated-sre-001"),  # login claims: groups sre
    "IBMid-2000000005": ("ACTIVE", "key-federated-dev-001"),  # login claims: groups dev
    "IBMid-2000000006": ("ACTIVE", "key-public-only-00001"),  # only Public Access
    "IBMid-2000000007": ("ACTIVE", "key-fresh-grant-00001"),  # nothing yet
}
DISABLED, PENDING, SUSPENDED, FED_SRE, FED_DEV, PUBLIC, FRESH = USERS
SERVICE_KEY = "key-service-id-ci-0001"


def key_of(iam_id: str) -> str:
    return SERVICE_KEY if iam_id == SERVICE_ID else USERS[iam_id][1]


def console_policy(subject: tuple[str, str], pid: str) -> dict[str, Any]:
    """Operator + Console Administrator on every VPC instance."""
    return {"id": pid, "type": "access",
            "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                        "value": subject[1]}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"}]},
            "control": {"grant": {"roles": [
                {"role_id": "crn:v1:bluemix:public:iam::::role:Operator"},
                {"role_id": "crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin"},
            ]}}}


def rev2_seed() -> dict[str, Any]:
    seed = mini_seed()
    seed["api_keys"] += [{"apikey": key, "iam_id": iam_id} for iam_id, (_, key) in USERS.items()]
    seed["api_keys"].append({"apikey": SERVICE_KEY, "iam_id": SERVICE_ID})
    for n, (iam_id, (state, _)) in enumerate(USERS.items()):
        seed["users"].append({"iam_id": iam_id, "email": f"user{n}@example.com", "state": state,
                              "realm": "IBMid"})
    by_id = {u["iam_id"]: u for u in seed["users"]}
    by_id[FED_SRE]["login"] = {"realm": IDP, "claims": {"groups": ["dev", "sre"], "dept": "SRE"}}
    by_id[FED_DEV]["login"] = {"realm": IDP, "claims": {"groups": "dev", "dept": "web"}}
    seed["service_ids"] = [{"id": SERVICE_ID.removeprefix("iam-"), "iam_id": SERVICE_ID,
                           "name": "ci"}]
    seed["instances"] = [{"id": INSTANCE, "crn": INSTANCE_CRN, "name": "web-01",
                          "region": "us-south", "zone": "us-south-1", "status": "running",
                          "resource_group": RG, "vpc": "r006-vpc-0001"}]
    seed["access_groups"] = [{
        "id": "AccessGroupId-sre-dynamic", "name": "sre-dynamic",
        "rules": [{"name": "sre from the IdP", "expiration": 12, "realm_name": IDP,
                   "conditions": [{"claim": "groups", "operator": "CONTAINS",
                                   "value": "\"sre\""}]}]}]
    seed["trusted_profiles"] = [
        {"id": PROFILE, "iam_id": PROFILE_IAM, "name": "sre-oncall",
         "description": "On-call rotation",
         "rules": [{"name": "on-call SSO", "type": "Profile-SAML", "realm_name": IDP,
                    "expiration": 43200,
                    "conditions": [{"claim": "dept", "operator": "EQUALS_IGNORE_CASE",
                                    "value": "sre"}]}],
         "links": [{"name": "web-01", "cr_type": "VSI", "link": {"crn": INSTANCE_CRN}},
                   {"name": "ci pod", "cr_type": "IKS_SA",
                    "link": {"crn": CLUSTER_CRN, "namespace": "ci", "name": "runner"}}],
         "identities": [{"iam_id": SERVICE_ID, "type": "serviceid"}]},
        {"id": OTHER_PROFILE, "iam_id": "iam-" + OTHER_PROFILE, "name": "auditors"},
    ]
    seed["policies"] = [
        console_policy(("iam_id", DISABLED), "p-disabled"),
        console_policy(("iam_id", PENDING), "p-pending"),
        console_policy(("iam_id", SUSPENDED), "p-suspended"),
        console_policy(("access_group_id", "AccessGroupId-sre-dynamic"), "p-dynamic"),
        console_policy(("access_group_id", "AccessGroupId-PublicAccess"), "p-public"),
        console_policy(("iam_id", PROFILE_IAM), "p-profile"),
    ]
    return copy.deepcopy(seed)


__all__ = ["MINI_KEY", "rev2_seed"]
