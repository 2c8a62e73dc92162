"""A small account for partial visibility: an owner without policies, a full reader, and people
who may read only part of it (each with an API key). Used by the emulator's visibility tests
and by the CLI's."""

from __future__ import annotations

from typing import Any

from iamcheck.emulator.seed import validate_seed

ACCOUNT = "b7c6d5e4f3a2410987a6b5c4d3e2f1a0"
RG_APPS, RG_OPS = "rg0000000000000000000000000vapps", "rg00000000000000000000000000vops"
REGIONS = ("us-south", "eu-de", "jp-tok")
ROLE = "crn:v1:bluemix:public:iam::::role:"
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
# Who holds what (each has an API key; the first key's owner is the account owner).
OWNER, AUDITOR, HALF, SCOPED, TAGGED, NOBODY, ONCALL = (
    f"IBMid-4000000{n}" for n in ("OWN", "AUD", "HLF", "SCP", "TAG", "NOB", "ONC"))
AUDITORS, TEAM, ONCALL_GROUP = (f"AccessGroupId-v1s1b1l1-0000-4000-8000-00000000000{n}"
                                for n in (1, 2, 3))
INSTANCES = [
    {"id": f"0717_vis-{i:04d}", "name": f"vis-{i:04d}", "region": REGIONS[i % 3],
     "zone": f"{REGIONS[i % 3]}-1", "status": "running",
     "resource_group": RG_OPS if i % 3 == 0 else RG_APPS, "vpc": "r006-vis",
     "access_tags": [f"env:{'prod' if i % 2 else 'dev'}"]}
    for i in range(12)
]
OPS_ONE = str(INSTANCES[0]["id"])  # SCOPED operates this one instance of the ops group


def policy(subject: tuple[str, str], resource: dict[str, str], *roles: str,
           tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    attrs = [{"key": "accountId", "operator": "stringEquals", "value": ACCOUNT}]
    attrs += [{"key": k, "operator": "stringEquals", "value": v} for k, v in resource.items()]
    body: dict[str, Any] = {
        "type": "access",
        "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                    "value": subject[1]}]},
        "resource": {"attributes": attrs},
        "control": {"grant": {"roles": [{"role_id": r} for r in roles]}},
    }
    if tags:
        body["resource"]["tags"] = tags
    return body


def visibility_seed() -> dict[str, Any]:
    """An owner without policies, a full reader, and people who may read only part of it."""
    people = (OWNER, AUDITOR, HALF, SCOPED, TAGGED, NOBODY, ONCALL)
    seed: dict[str, Any] = {
        "account_id": ACCOUNT,
        "api_keys": [{"apikey": f"vis-key-{p[-3:].lower()}-0001", "iam_id": p} for p in people],
        "users": [{"iam_id": p, "email": f"{p[-3:].lower()}@example.com", "state": "ACTIVE"}
                  for p in people],
        "access_groups": [
            {"id": AUDITORS, "name": "auditors", "members": [{"iam_id": AUDITOR}]},
            {"id": TEAM, "name": "team", "members": [{"iam_id": NOBODY}, {"iam_id": SCOPED}]},
            {"id": ONCALL_GROUP, "name": "on-call", "members": [{"iam_id": ONCALL}]},
        ],
        "policies": [
            *(policy(("access_group_id", AUDITORS), {"serviceName": s}, ROLE + "Viewer")
              for s in ("iam-access-management", "iam-groups", "user-management", "is")),
            policy(("access_group_id", AUDITORS), {"serviceName": "resource-controller",
                                                    "resourceType": "resource-group"},
                   ROLE + "Viewer"),
            policy(("iam_id", HALF), {"serviceName": "user-management"}, ROLE + "Viewer"),
            policy(("iam_id", HALF), {"serviceName": "is"}, ROLE + "Viewer"),
            policy(("iam_id", SCOPED), {"serviceName": "is", "resourceGroupId": RG_APPS},
                   ROLE + "Viewer"),
            policy(("iam_id", SCOPED), {"serviceName": "is", "instanceId": OPS_ONE},
                   ROLE + "Operator", CONSOLE),
            policy(("iam_id", SCOPED), {"serviceName": "resource-controller",
                                        "resourceType": "resource-group", "resource": RG_APPS},
                   ROLE + "Viewer"),
            policy(("iam_id", TAGGED), {"serviceName": "is"}, ROLE + "Viewer",
                   tags=[{"key": "env", "value": "prod", "operator": "stringEquals"}]),
            policy(("access_group_id", TEAM), {"serviceName": "cloud-object-storage"},
                   "crn:v1:bluemix:public:iam::::serviceRole:Writer"),
            policy(("access_group_id", ONCALL_GROUP), {"serviceName": "is"}, ROLE + "Operator",
                   CONSOLE),
        ],
        "resource_groups": [{"id": RG_APPS, "name": "apps", "default": True},
                            {"id": RG_OPS, "name": "ops"}],
        "instances": INSTANCES,
    }
    validate_seed(seed)
    return seed


SEED = visibility_seed()
KEYS = {k["iam_id"]: k["apikey"] for k in SEED["api_keys"]}
