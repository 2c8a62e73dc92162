"""Revision-2 extras for generated seeds: federated sign-ins with claims, Public Access console
policies, a role catalogue layout, trusted profiles and CBR rules. Deterministic: one
`random.Random` of its own per seed, nothing else drawn."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from iamcheck.emulator.seed.generate import CONSOLE, OPERATOR, SSO_REALM, TEAMS, VIEWER, _uuid

if TYPE_CHECKING:
    from iamcheck.emulator.seed.generate import Extras

OTHER_REALM = "https://login.partner.example.net/saml2"
# Zones: the office (never loopback), CI runners (loopback: the emulator's own clients).
ZONES = (("office", [{"type": "subnet", "value": "10.20.0.0/16"},
                     {"type": "ipRange", "value": "192.168.10.1-192.168.10.254"}]),
         ("ci-runners", [{"type": "ipRange", "value": "127.0.0.1-127.0.0.9"}]),
         ("partner", [{"type": "ipAddress", "value": "203.0.113.7"}]))
MODES = ("enabled", "report", "disabled")


def add_extras(seed: dict[str, Any], extras: Extras, number: int) -> None:
    rng = random.Random(f"iamcheck-rev2-{number}")
    if extras.role_layout is not None:
        seed["vpc_roles_listed_under"] = extras.role_layout
    if extras.login_claims:
        _logins(seed, rng, extras.login_claims)
    if extras.public_console and seed["access_groups"]:
        for i in range(extras.public_console):
            seed["policies"].append(_policy(seed, rng, ("access_group_id",
                                                         "AccessGroupId-PublicAccess"),
                                            [("serviceName", "is")], (OPERATOR, CONSOLE),
                                            f"public_console: Public Access console {i}"))
    if extras.profiles:
        _profiles(seed, rng, extras.profiles)
    if extras.cbr_rules:
        _cbr(seed, rng, extras.cbr_rules)


def _claims(rng: random.Random) -> dict[str, Any]:
    teams = sorted(rng.sample(TEAMS, rng.randint(1, 3)))
    return {"groups": teams if len(teams) > 1 else teams[0],
            "dept": rng.choice(("SRE", "sre", "web", "Data"))}


def _logins(seed: dict[str, Any], rng: random.Random, share: float) -> None:
    for user in seed["users"][1:]:
        if user.get("realm") == SSO_REALM and rng.random() < share:
            realm = SSO_REALM if rng.random() < 0.85 else OTHER_REALM
            user["login"] = {"realm": realm, "claims": _claims(rng)}


def _policy(seed: dict[str, Any], rng: random.Random, subject: tuple[str, str],
            attrs: list[tuple[str, str]], roles: tuple[str, ...], description: str,
            ) -> dict[str, Any]:
    return {"id": _uuid(rng), "type": "access", "description": description[:300],
            "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                        "value": subject[1]}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": seed["account_id"]},
                *({"key": k, "operator": "stringEquals", "value": v} for k, v in attrs)]},
            "control": {"grant": {"roles": [{"role_id": r} for r in roles]}},
            "state": "active"}


def _instance_crn(seed: dict[str, Any], instance: dict[str, Any]) -> str:
    return (f"crn:v1:bluemix:public:is:{instance['zone']}:a/{seed['account_id']}::instance:"
            f"{instance['id']}")


def _profiles(seed: dict[str, Any], rng: random.Random, count: int) -> None:
    profiles = []
    for i in range(count):
        pid = f"Profile-{_uuid(rng)}"
        team = TEAMS[i % len(TEAMS)]
        rule = {"name": f"{team} SSO", "type": "Profile-SAML",
                "realm_name": SSO_REALM if rng.random() < 0.9 else OTHER_REALM,
                "expiration": rng.choice((3600, 14400, 43200)),
                "conditions": [rng.choice((
                    {"claim": "groups", "operator": "CONTAINS", "value": f'"{team}"'},
                    {"claim": "dept", "operator": "EQUALS_IGNORE_CASE", "value": "sre"},
                    {"claim": "groups", "operator": "IN", "value": f'["{team}", "platform"]'},
                    {"claim": "dept", "operator": "NOT_EQUALS", "value": "web"}))]}
        links = []
        for instance in rng.sample(seed["instances"], min(len(seed["instances"]),
                                                          rng.randint(0, 2))):
            links.append({"name": instance["name"], "cr_type": "VSI",
                          "link": {"crn": _instance_crn(seed, instance)}})
        if rng.random() < 0.3:
            links.append({"name": f"{team} runner", "cr_type": "IKS_SA", "link": {
                "crn": f"crn:v1:bluemix:public:containers-kubernetes:us-south:a/"
                       f"{seed['account_id']}:{_uuid(rng)}::", "namespace": team,
                "name": "runner"}})
        profile: dict[str, Any] = {"id": pid, "iam_id": f"iam-{pid}",
                                   "name": f"{team}-profile-{i}",
                                   "description": f"Trusted profile for {team}", "rules": [rule]}
        if links:
            profile["links"] = links
        if seed["service_ids"] and rng.random() < 0.5:
            profile["identities"] = [{"iam_id": rng.choice(seed["service_ids"])["iam_id"],
                                      "type": "serviceid"}]
        profiles.append(profile)
        roles = rng.choice(((OPERATOR, CONSOLE), (OPERATOR, CONSOLE), (VIEWER,), (CONSOLE,)))
        attrs = [("serviceName", "is")]
        if seed["instances"] and rng.random() < 0.4:
            attrs.append(("instanceId", rng.choice(seed["instances"])["id"]))
        seed["policies"].append(_policy(seed, rng, ("iam_id", f"iam-{pid}"), attrs, roles,
                                        f"profile: {team} profile {i}"))
    seed["trusted_profiles"] = profiles


def _cbr(seed: dict[str, Any], rng: random.Random, count: int) -> None:
    zones: list[dict[str, Any]] = [
        {"id": f"{rng.getrandbits(128):032x}", "name": name, "addresses": addresses}
             for name, addresses in ZONES]
    rules = []
    for i in range(count):
        chosen = rng.sample(zones, rng.randint(1, 2))
        context = [{"name": "networkZoneId", "value": ",".join(z["id"] for z in chosen)}]
        if rng.random() < 0.3:
            context.append({"name": "endpointType", "value": rng.choice(("public", "private"))})
        resource = [{"name": "accountId", "value": seed["account_id"]},
                    {"name": "serviceName", "value": "is"}]
        if seed["instances"] and rng.random() < 0.6:
            resource.append({"name": "instanceId", "value": rng.choice(seed["instances"])["id"]})
        elif rng.random() < 0.5:
            resource.append({"name": "resourceGroupId",
                             "value": rng.choice(seed["resource_groups"])["id"]})
        names = "+".join(z["name"] for z in chosen)
        rules.append({"id": f"{rng.getrandbits(128):032x}",
                      "description": f"generated rule {i} ({names})",
                      "contexts": [{"attributes": context}],
                      "resources": [{"attributes": resource}],
                      "enforcement_mode": rng.choices(MODES, weights=(6, 3, 1))[0]})
    seed["cbr_zones"] = zones
    seed["cbr_rules"] = rules
