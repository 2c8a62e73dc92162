"""Believable seeds of any size up to IBM's account limits, the same bytes for the same arguments.

Only `random.Random(seed)` draws: nothing reads the clock, the environment or set order, so
`json.dumps(generate(...))` is byte-identical run after run. See docs/seed.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

# IBM's documented account limits (iam-manageaccess.md), and the generator's own size caps.
MAX_USERS = 5000
MAX_GROUPS = 500
MAX_POLICIES = 4020
MAX_INSTANCES = 10000
MAX_GROUPS_PER_USER = 50
MAX_TAG_POLICIES = 500
MAX_POLICIES_PER_SUBJECT = 1000

# (region, VPC id prefix, zone code of instance ids): regions the seed schema accepts.
REGIONS = (
    ("us-south", "r006", "07"), ("us-east", "r014", "08"), ("ca-tor", "r038", "0d"),
    ("jp-tok", "r022", "02"), ("au-syd", "r026", "03"), ("br-sao", "r042", "04"),
    ("jp-osa", "r034", "05"), ("ca-mon", "r052", "06"), ("in-che", "r030", "09"),
    ("in-mum", "r058", "0a"),
)
TEAMS = ("platform", "payments", "data", "web", "mobile", "ml", "security", "shared")
FUNCTIONS = ("operators", "admins", "viewers", "developers", "console", "on-call", "auditors",
             "release", "support", "readers")
FIRST = ("Ada", "Bram", "Cleo", "Dario", "Edda", "Fenna", "Gus", "Hollis", "Ilse", "Joss", "Liv",
         "Maren", "Nils", "Odile", "Pim", "Rosa")
LAST = ("Abernath", "Brightwell", "Corvell", "Dunmore", "Elsworth", "Fairhall", "Greystone",
        "Hollowell", "Larkmoor", "Mossgrove")
STATES = ("ACTIVE", "PENDING", "VPN_ONLY", "SUSPENDED", "DISABLED_CLASSIC_INFRASTRUCTURE",
          "PROCESSING", "INVALID")
STATE_WEIGHTS = (900, 40, 20, 20, 10, 5, 5)
SSO_REALM = "https://sso.example.com/saml"

_ROLE = "crn:v1:bluemix:public:iam::::role:"
_SERVICE_ROLE = "crn:v1:bluemix:public:iam::::serviceRole:"
OPERATOR, EDITOR, ADMIN, VIEWER = (_ROLE + r for r in ("Operator", "Editor", "Administrator",
                                                        "Viewer"))
MANAGER, WRITER, READER = (_SERVICE_ROLE + r for r in ("Manager", "Writer", "Reader"))
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
IS_ROLE_SETS = ((OPERATOR, CONSOLE), (VIEWER,), (VIEWER, READER), (EDITOR,), (ADMIN, MANAGER),
                (OPERATOR,), (CONSOLE,), (EDITOR, CONSOLE), (READER,), (OPERATOR, CONSOLE))
# Policies without serviceName can carry only roles common to every service.
COMMON_ROLE_SETS = ((VIEWER,), (OPERATOR,), (EDITOR,), (ADMIN, MANAGER), (VIEWER, READER),
                    (WRITER,))
OTHER_SERVICES = ("cloud-object-storage", "kms", "containers-kubernetes", "logs", "secrets-manager")
OTHER_ROLE_SETS = ((WRITER,), (READER,), (MANAGER, WRITER), (VIEWER, READER))
POLICY_KINDS = ("account_is", "rg_is", "rg_all", "service_type", "instances", "tags", "region",
                "once", "weekly", "deleted", "custom", "other_service", "vpc")
POLICY_WEIGHTS = (12, 24, 5, 4, 18, 8, 7, 6, 2, 3, 3, 6, 2)
IS = ("serviceName", "stringEquals", "is")

# (image name, operating system name, family, profile); z/OS is the one s390x image.
IMAGES = (("ibm-ubuntu-24-04-2-minimal-amd64-1", "ubuntu-24-04-amd64", "Ubuntu Linux", "bx2-2x8"),
          ("ibm-redhat-9-4-minimal-amd64-3", "red-9-amd64", "Red Hat Enterprise Linux", "bx2-4x16"),
          ("ibm-debian-12-6-minimal-amd64-1", "debian-12-amd64", "Debian GNU/Linux", "cx2-2x4"))
ZOS_IMAGE = ("ibm-zos-2-5-s390x-dev-test-wazi-7", "ibm-zos-2-5-s390x-dev-test-wazi-7", "IBM z/OS",
             "bz2-4x16")
ENV = "{{environment.attributes.%s}}"

Attr = tuple[str, str, Any]


@dataclass(frozen=True)
class Extras:
    """Revision-2 features a seed may also have (all off by default, so that the base seed's
    bytes do not change). They draw from their own random stream and add their own policies on
    top of `policies`."""

    login_claims: float = 0.0  # share of SSO users given a sign-in (`login`) with IdP claims
    public_console: int = 0  # Public Access policies granting console roles on `is`
    role_layout: Literal["is", "is.instance"] | None = None  # vpc_roles_listed_under
    profiles: int = 0  # trusted profiles with a claim rule, links and a console policy
    cbr_rules: int = 0  # CBR rules on `is` (modes mixed) over a few network zones


def generate(*, users: int, instances: int, groups: int, policies: int, seed: int,
             regions: int = 10, extras: Extras | None = None) -> dict[str, Any]:
    """A valid seed with `users` users (the first, an administrator, owns api_keys[0]), `groups`
    access groups (the first is Public Access), exactly `policies` policies (plus those of
    `extras`) and `instances` instances spread over the first `regions` regions."""
    for name, value, low, high in (("users", users, 1, MAX_USERS),
                                   ("groups", groups, 0, MAX_GROUPS),
                                   ("policies", policies, 0, MAX_POLICIES),
                                   ("instances", instances, 0, MAX_INSTANCES),
                                   ("regions", regions, 1, len(REGIONS))):
        if not low <= value <= high:
            raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    subjects = users + _service_id_count(users) + max(0, groups - 1)
    if policies > subjects * MAX_POLICIES_PER_SUBJECT:
        raise ValueError(f"{policies} policies need more than {subjects} subjects "
                         f"(IBM allows {MAX_POLICIES_PER_SUBJECT} policies per subject)")
    if extras is not None:
        _check_extras(extras)
    built = _Generator(seed).build(users, instances, groups, policies, regions)
    if extras is not None:
        from iamcheck.emulator.seed.generate_rev2 import add_extras  # it imports this module

        add_extras(built, extras, seed)
    return built


def _check_extras(extras: Extras) -> None:
    if not 0.0 <= extras.login_claims <= 1.0:
        raise ValueError(f"login claims share must be between 0 and 1, not {extras.login_claims}")
    for name, value, high in (("public console policies", extras.public_console, 50),
                              ("profiles", extras.profiles, 2000),
                              ("CBR rules", extras.cbr_rules, 1000)):
        if not 0 <= value <= high:
            raise ValueError(f"{name} must be between 0 and {high}, not {value}")
    if extras.role_layout not in (None, "is", "is.instance"):
        raise ValueError(f"role layout must be 'is' or 'is.instance', not {extras.role_layout}")


def _service_id_count(users: int) -> int:
    return min(200, 2 + users // 100)


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _tag(key: str, value: str, operator: str) -> dict[str, str]:
    return {"key": key, "value": value, "operator": operator}


def _condition(key: str, operator: str, value: Any) -> dict[str, Any]:
    return {"key": ENV % key, "operator": operator, "value": value}


def _once(start: str, end: str) -> dict[str, Any]:
    return {"operator": "and", "conditions": [
        _condition("current_date_time", "dateTimeGreaterThanOrEquals", f"{start}T00:00:00+00:00"),
        _condition("current_date_time", "dateTimeLessThanOrEquals", f"{end}T23:59:59+00:00")]}


def _weekly(days: list[int | str]) -> dict[str, Any]:
    return {"operator": "and", "conditions": [
        _condition("day_of_week", "dayOfWeekAnyOf", days),
        _condition("current_time", "timeGreaterThanOrEquals", "08:00:00+00:00"),
        _condition("current_time", "timeLessThanOrEquals", "18:00:00+00:00")]}


class _Generator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.account_id = f"{self.rng.getrandbits(128):032x}"
        self.group_count: list[int] = []  # access groups per user, static and dynamic
        self.per_subject: dict[tuple[str, str], int] = {}
        self.tag_policies = 0

    def build(self, users: int, instances: int, groups: int, policies: int,
              regions: int) -> dict[str, Any]:
        rng = self.rng
        self.regions = REGIONS[:regions]
        self.resource_groups = self._resource_groups(users + instances)
        self.vpcs = {(r[0], g["id"]): f"{r[1]}-{_uuid(rng)}"
                     for r in self.regions for g in self.resource_groups}
        self.vpc_ids = list(self.vpcs.values())
        self.instances = [self._instance(i) for i in range(instances)]
        self.users = [self._user(i) for i in range(users)]
        self.service_ids = [self._service_id(i) for i in range(_service_id_count(users))]
        self.groups = self._groups(groups)
        self.custom_roles = self._custom_roles() if policies >= 20 else []
        self.policies = self._policies(policies)
        return {
            "description": f"Generated account (seed {self.seed}): {users} users, {groups} "
                           f"access groups, {policies} policies, {instances} instances.",
            "account_id": self.account_id,
            "api_keys": [
                {"apikey": f"gen-admin-key-not-a-secret-{self.seed}"[:256],
                 "iam_id": self.users[0]["iam_id"], "description": "Account administrator"},
                {"apikey": f"gen-service-key-not-a-secret-{self.seed}"[:256],
                 "iam_id": self.service_ids[0]["iam_id"], "description": "A service ID"},
            ],
            "users": self.users,
            "service_ids": self.service_ids,
            "access_groups": self.groups,
            "policies": self.policies,
            "custom_roles": self.custom_roles,
            "resource_groups": self.resource_groups,
            "instances": self.instances,
        }

    # ---------------------------------------------------------------- resources
    def _resource_groups(self, scale: int) -> list[dict[str, Any]]:
        names = ("Default", *TEAMS[: max(1, min(len(TEAMS), 1 + scale // 1500))])
        groups: list[dict[str, Any]] = [{"id": f"{self.rng.getrandbits(128):032x}", "name": n}
                                        for n in names]
        groups[0]["default"] = True
        return groups

    def _instance(self, index: int) -> dict[str, Any]:
        rng = self.rng
        region, _, code = rng.choices(self.regions, weights=range(2 * len(self.regions), 0, -2))[0]
        zone = rng.randint(1, 3)
        group = rng.choice(self.resource_groups)
        team = group["name"].lower()
        zos = rng.random() < 0.01
        image = ZOS_IMAGE if zos else rng.choice(IMAGES)
        mode = "disabled" if zos else rng.choices(("disabled", "tdx", "sgx"), weights=(97, 2, 1))[0]
        status = rng.choices(("running", "stopped", "starting", "stopping", "pending", "failed"),
                             weights=(85, 10, 1, 1, 2, 1))[0]
        env = rng.choices(("prod", "staging", "dev"), weights=(5, 2, 3))[0]
        return {
            "id": f"{code}{zone}7_{_uuid(rng)}",
            "name": f"{team}-{env}-{'zos' if zos else 'vsi'}-{index:05d}",
            "region": region, "zone": f"{region}-{zone}", "status": status,
            "resource_group": group["id"], "vpc": self.vpcs[(region, group["id"])],
            "confidential_compute_mode": mode,
            "profile": image[3] if mode == "disabled" else "bx3dc-2x10",
            "image": {"id": f"{code}{zone}7-{_uuid(rng)}", "name": image[0]},
            "operating_system": {"name": image[1], "family": image[2],
                                 "architecture": "s390x" if zos else "amd64"},
            "access_tags": [f"env:{env}", f"team:{team}"] if rng.random() < 0.7 else [],
        }

    # ---------------------------------------------------------------- identities
    def _user(self, index: int) -> dict[str, Any]:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        state = rng.choices(STATES, weights=STATE_WEIGHTS)[0] if index else "ACTIVE"
        realm = SSO_REALM if index and rng.random() < 0.15 else "IBMid"
        email = f"{first.lower()}.{last.lower()}.{index}@example.com"
        added = f"20{rng.randint(22, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return {"iam_id": f"IBMid-66{index:08d}", "email": email, "user_id": email,
                "firstname": first, "lastname": last, "state": state, "realm": realm,
                "added_on": f"{added}T09:00:00Z"}

    def _service_id(self, index: int) -> dict[str, Any]:
        sid = f"ServiceId-{_uuid(self.rng)}"
        team = TEAMS[index % len(TEAMS)]
        return {"id": sid, "iam_id": f"iam-{sid}", "name": f"{team}-automation-{index}",
                "description": f"Automation for the {team} team"}

    def _groups(self, count: int) -> list[dict[str, Any]]:
        if count == 0:
            return []
        public = {"id": "AccessGroupId-PublicAccess", "name": "Public Access",
                  "description": "Every user and service ID of the account"}
        names = ["account-admins", *(f"{t}-{f}" for f in FUNCTIONS for t in TEAMS)]
        regular: list[dict[str, Any]] = []
        for i in range(count - 1):
            name = names[i % len(names)] + (f"-{i // len(names) + 1}" if i >= len(names) else "")
            regular.append({"id": f"AccessGroupId-{_uuid(self.rng)}", "name": name,
                            "description": f"Access group {name}", "members": []})
        if regular:
            self._memberships(regular)
            for group in regular[1::25]:  # a few groups also admit SSO users by dynamic rule
                self._dynamic_rule(group)
        for group in regular:
            if not group["members"]:
                del group["members"]
        return [public, *regular]

    def _memberships(self, regular: list[dict[str, Any]]) -> None:
        rng = self.rng
        # Everyone joins groups other than account-admins (regular[0]), unless it is the only one.
        pool = range(1, len(regular)) if len(regular) > 1 else range(1)
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(pool))]  # a few big groups
        self.group_count = [0] * len(self.users)
        for u, user in enumerate(self.users):
            cap = min(len(pool), MAX_GROUPS_PER_USER - (0 if u or len(regular) == 1 else 1))
            want = min(cap, int(rng.paretovariate(1.3)))  # power law: most in 1-3, a few in 50
            chosen = set(rng.sample(pool, want)) if want * 2 > len(pool) else set()
            while len(chosen) < want:
                chosen.add(rng.choices(pool, weights=weights)[0])
            if u == 0:
                chosen.add(0)  # the administrator is in account-admins
            for g in sorted(chosen):
                regular[g]["members"].append({"iam_id": user["iam_id"], "type": "user"})
            self.group_count[u] = len(chosen)
        for sid in self.service_ids:
            member = {"iam_id": sid["iam_id"], "type": "service"}
            regular[rng.choice(pool)]["members"].append(member)

    def _dynamic_rule(self, group: dict[str, Any]) -> None:
        rng = self.rng
        claim = group["name"].split("-", 1)[0]
        group["rules"] = [{
            "id": f"ClaimRule-{_uuid(rng)}", "name": f"sso {claim}",
            "expiration": rng.choice((8, 12, 24)), "realm_name": SSO_REALM,
            "conditions": [{"claim": "groups", "operator": "EQUALS", "value": claim}],
        }]
        listed = {m["iam_id"] for m in group["members"]}
        federated = [i for i, u in enumerate(self.users)
                     if u["realm"] == SSO_REALM and u["iam_id"] not in listed
                     and self.group_count[i] < MAX_GROUPS_PER_USER]
        current = sorted(rng.sample(federated, min(len(federated), rng.randint(0, 3))))
        for i in current:
            self.group_count[i] += 1
        if current:
            group["dynamic_members"] = [{"iam_id": self.users[i]["iam_id"]} for i in current]

    def _custom_roles(self) -> list[dict[str, Any]]:
        specs = (("VsiConsoleOnly", "VSI Console Only", ["console"]),
                 ("VsiOperatorConsole", "VSI Operator and Console", ["operate", "console"]),
                 ("VsiReadOnly", "VSI Read Only", ["read", "list"]))
        return [{"id": _uuid(self.rng), "crn": self._custom_crn(name), "name": name,
                 "display_name": shown, "description": f"{shown} (generated)", "service_name": "is",
                 "actions": [f"is.instance.instance.{a}" for a in actions]}
                for name, shown, actions in specs]

    def _custom_crn(self, name: str) -> str:
        return (f"crn:v1:ibmcloud:public:iam-access-management::a/{self.account_id}"
                f"::customRole:{name}")

    # ---------------------------------------------------------------- policies
    def _policies(self, count: int) -> list[dict[str, Any]]:
        admin = ("iam_id", self.users[0]["iam_id"])
        out = [self._policy(admin, [("serviceType", "stringEquals", "service")], (ADMIN, MANAGER),
                            "Administrator on all IAM-enabled services"),
               self._policy(admin, [("serviceType", "stringEquals", "platform_service")], (ADMIN,),
                            "Administrator on all account management services")][:count]
        self.per_subject = {admin: len(out)}
        while len(out) < count:
            if len(self.groups) > 1 and len(out) % 2000 == 50:  # Public Access: rare, a finding
                public = ("access_group_id", "AccessGroupId-PublicAccess")
                out.append(self._policy(public, [IS], (VIEWER,), "Public Access: read VPC"))
            else:
                kind = self.rng.choices(POLICY_KINDS, weights=POLICY_WEIGHTS)[0]
                out.append(self._random_policy(kind))
        return out

    def _subject(self) -> tuple[str, str]:
        rng = self.rng
        while True:
            draw = rng.random()
            if draw < 0.75 and len(self.groups) > 1:
                subject = ("access_group_id", rng.choice(self.groups[1:])["id"])
            elif draw < 0.95:
                subject = ("iam_id", rng.choice(self.users)["iam_id"])
            else:
                subject = ("iam_id", rng.choice(self.service_ids)["iam_id"])
            if self.per_subject.get(subject, 0) < MAX_POLICIES_PER_SUBJECT:
                self.per_subject[subject] = self.per_subject.get(subject, 0) + 1
                return subject

    def _random_policy(self, kind: str) -> dict[str, Any]:
        rng = self.rng
        if kind == "tags" and self.tag_policies >= MAX_TAG_POLICIES:
            kind = "rg_is"
        if kind == "instances" and not self.instances:
            kind = "account_is"
        subject = self._subject()
        roles: tuple[str, ...] = rng.choice(IS_ROLE_SETS)
        group = rng.choice(self.resource_groups)
        in_group = ("resourceGroupId", "stringEquals", group["id"])
        attrs: list[Attr] = [IS]
        what = "all VPC infrastructure"
        extra: dict[str, Any] = {}
        if kind in ("rg_is", "once", "weekly", "deleted", "custom"):
            attrs, what = [IS, in_group], f"VPC resources in {group['name']}"
        elif kind == "rg_all":  # no serviceName: every service in the group
            attrs, what = [in_group], f"every service in {group['name']}"
            roles = rng.choice(COMMON_ROLE_SETS)
        elif kind == "service_type":
            attrs, what = [("serviceType", "stringEquals", "service")], "all IAM-enabled services"
            roles = rng.choice(COMMON_ROLE_SETS)
        elif kind == "instances":
            attrs, what = [IS, self._instance_scope()], "chosen instances"
        elif kind == "tags":
            self.tag_policies += 1
            env = rng.choice(("prod", "staging", "dev"))
            extra["tags"] = [_tag("env", env, "stringEquals"),
                             _tag("team", group["name"].lower()[:3] + "*", "stringMatch")]
            what = f"instances tagged env:{env}"
        elif kind == "region":
            region = rng.choice(self.regions)[0]
            attrs, what = [IS, ("region", "stringEquals", region)], f"VPC in {region}"
        elif kind == "other_service":
            what = rng.choice(OTHER_SERVICES)
            attrs, roles = [("serviceName", "stringEquals", what)], rng.choice(OTHER_ROLE_SETS)
        elif kind == "vpc":  # never reaches the instances in the VPC: a near miss
            attrs, what = [IS, ("vpcId", "stringEquals", rng.choice(self.vpc_ids))], "one VPC"
        if kind == "custom" and self.custom_roles:
            roles = (self._custom_crn(rng.choice(self.custom_roles)["name"]),)
        elif kind == "once":
            expired = rng.random() < 0.3
            start, end = ("2025-01-01", "2025-12-31") if expired else ("2026-01-01", "2036-12-31")
            extra.update(pattern="time-based-conditions:once", rule=_once(start, end))
            what += f" from {start} to {end}"
        elif kind == "weekly":
            weekend = rng.random() < 0.5
            days: list[int | str] = ["6+00:00", "7+00:00"] if weekend else [1, 2, 3, 4, 5]
            extra.update(pattern="time-based-conditions:weekly:custom-hours", rule=_weekly(days))
            what += ", weekends 08-18 UTC" if weekend else ", weekdays 08-18 UTC"
        elif kind == "deleted":
            extra["state"] = "deleted"
        return self._policy(subject, attrs, roles, f"{kind}: {what}", **extra)

    def _instance_scope(self) -> Attr:
        rng = self.rng
        draw = rng.random()
        if draw < 0.6:
            return ("instanceId", "stringEquals", rng.choice(self.instances)["id"])
        if draw < 0.9:
            picked = rng.sample(self.instances, min(len(self.instances), rng.randint(2, 10)))
            return ("instanceId", "stringEqualsAnyOf", [i["id"] for i in picked])
        return ("instanceId", "stringMatch", rng.choice(self.instances)["id"][:4] + "_*")

    def _policy(self, subject: tuple[str, str], attrs: list[Attr], roles: tuple[str, ...],
                description: str, *, state: str = "active", tags: list[Any] | None = None,
                pattern: str | None = None, rule: dict[str, Any] | None = None) -> dict[str, Any]:
        resource: dict[str, Any] = {"attributes": [
            {"key": "accountId", "operator": "stringEquals", "value": self.account_id},
            *({"key": key, "operator": op, "value": value} for key, op, value in attrs)]}
        if tags:
            resource["tags"] = tags
        policy: dict[str, Any] = {
            "id": _uuid(self.rng), "type": "access", "description": description[:300],
            "subject": {"attributes": [{"key": subject[0], "operator": "stringEquals",
                                        "value": subject[1]}]},
            "resource": resource,
            "control": {"grant": {"roles": [{"role_id": role} for role in roles]}},
        }
        if pattern and rule:
            policy["pattern"] = pattern
            policy["rule"] = rule
        policy["state"] = state
        return policy
