"""How many IBM Cloud requests audit and check make, counted by the emulator, against the formula
the README states (section Performance); how many are in flight at once; how a 429 holds every
worker. The benchmark (bench/run.py) measures time; these tests only count."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from iamcheck.check.run import run_check
from iamcheck.decide import Verdict, decide_account, risks
from iamcheck.emulator.seed.generate import generate
from iamcheck.ibm import iam_policy
from iamcheck.ibm.retry import Backoff
from iamcheck.inputs import instance_ref, user_ref
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Policy, Role
from iamcheck.read.account import read_account
from iamcheck.read.relevant import EVERY, can_matter
from iamcheck.requirement import load_requirement
from tests.conftest import Emulator, session_for

PAGE, SEARCH_PAGE = 100, 1000
TOKEN = "POST /identity/token"
USERS = "GET /v2/accounts/{account_id}/users"
GROUPS = "GET /v2/groups"
MEMBERS = "GET /v2/groups/{access_group_id}/members"
RULES = "GET /v2/groups/{access_group_id}/rules"
POLICIES = "GET /v2/policies"
INSTANCES = "GET /vpc/{region}/v1/instances"
SEARCH = "POST /v3/resources/search"
DISPLAY = "GET /v2/policies/{id}"  # R2: format=display, for a role no catalogue lists
PROFILES = "GET /v1/profiles"
SERVICE_IDS = "GET /v1/serviceids/"
PROFILE_RULES = "GET /v1/profiles/{profile_id}/rules"
PROFILE_LINKS = "GET /v1/profiles/{profile_id}/links"
CBR_RULES = "GET /v1/rules"
CBR_ZONE = "GET /v1/zones/{zone_id}"


def pages(n: int, size: int = PAGE) -> int:
    """Requests to list n items: a list is one request even when empty."""
    return max(1, math.ceil(n / size))


def _clear(emulator: Emulator) -> None:
    requests.delete(f"{emulator.url}/_emulator/requests", timeout=10).raise_for_status()


def _control(emulator: Emulator) -> dict[str, Any]:
    answer = requests.get(f"{emulator.url}/_emulator/requests", timeout=10)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def _unlisted(role_ids: Any, catalogue: list[Role]) -> bool:
    """R2: does a policy name a role that the `is` answer lists neither by CRN nor, for a
    service role, by its `serviceRole:<Name>` ending (R4)? Then check and audit read it once
    more with format=display."""
    crns = {r.crn for r in catalogue}
    endings = {r.crn.rsplit(":", 2)[-2:][1] for r in catalogue if ":serviceRole:" in r.crn}
    return any(r not in crns and not (":serviceRole:" in r and r.rsplit(":", 1)[1] in endings)
               for r in role_ids)


def _policies_of(data: AccountData, key: str, value: str, state: str = "active") -> int:
    return sum(1 for p in data.policies if p.state == state and p.subject_value(key) == value)


def _zones(rules: list[Any]) -> int:
    """The zones the CBR rules name: each is read once, in full."""
    return len({z.strip() for r in rules for c in r.contexts for a in c.attributes
                if a.name == "networkZoneId" for z in a.value.split(",") if z.strip()})


def _reaches(policy: Policy, service: str = "is") -> bool:
    """A policy on `service` (or a child of it), or on all services: it can matter."""
    names = [a.value for a in policy.resource if a.key == "serviceName"]
    if names:
        return all(isinstance(v, str) and (v == service or v.startswith(service + "."))
                   for v in names)
    return all(a.value == "service" for a in policy.resource if a.key == "serviceType")


def groups_that_matter(data: AccountData) -> set[str]:
    """The formula's groups whose members are read: those holding an access policy, active
    or deleted, that reaches the requirement's service."""
    return {gid for p in data.policies if p.type == "access" and _reaches(p)
            and (gid := p.subject_value("access_group_id")) is not None}


def audit_formula(data: AccountData, caller: str, regions: int,
                  every_group: bool = False) -> Counter[str]:
    """docs/performance.md's formula, from the sizes of what the audit read."""
    members = Counter(m.group_id for m in data.memberships)
    read = {g.id for g in data.groups} if every_group else groups_that_matter(data)
    caller_groups = [m.group_id for m in data.memberships if m.iam_id == caller]
    by_region = Counter(i.region for i in data.instances)
    listed = len(data.instances) if any(p.tags for p in data.policies) else None
    return Counter({
        TOKEN: 1,
        # iamcheck's own rights: its groups, its policies and each of its groups' (P3: and
        # the Public Access group's)
        GROUPS: 1 + pages(len(data.groups)),
        POLICIES: pages(_policies_of(data, "iam_id", caller))
        + sum(pages(_policies_of(data, "access_group_id", g))
              for g in {*caller_groups, PUBLIC_ACCESS_GROUP_ID})
        + pages(sum(p.state == "active" for p in data.policies))
        + pages(sum(p.state == "deleted" for p in data.policies)),
        USERS: pages(len(data.users)),
        "GET /v2/roles": 1,
        "GET /v2/resource_groups": 1,
        "GET /v1/regions": 1,
        MEMBERS: sum(pages(members[g.id]) for g in data.groups if g.id in read),
        RULES: sum(1 for g in data.groups if g.rules),
        # every region IBM lists, one request at least even when empty
        INSTANCES: sum(pages(n) for n in by_region.values()) + (regions - len(by_region)),
        SEARCH: pages(listed, SEARCH_PAGE) if listed is not None else 0,
        DISPLAY: sum(1 for p in data.policies
                     if p.state == "active" and can_matter(p, "is", data.account_id)
                     and _unlisted(p.role_ids, list(data.roles))),
        # P5, G1: the profiles (one paged list, then each one's claim rules and links) and
        # the CBR rules on `is` with every zone they name
        SERVICE_IDS: pages(len(data.service_ids)),  # every one is listed (and no more)
        PROFILES: pages(len(data.profiles)),
        PROFILE_RULES: len(data.profiles),
        PROFILE_LINKS: len(data.profiles),
        CBR_RULES: 1,
        CBR_ZONE: _zones(list(data.cbr_rules)),
    })


@pytest.mark.parametrize("size", [
    {"users": 230, "groups": 27, "policies": 420, "instances": 260, "regions": 3, "seed": 1},
    {"users": 40, "groups": 60, "policies": 90, "instances": 0, "regions": 2, "seed": 2},
])
def test_audit_makes_the_pages_of_each_collection_plus_a_constant(
    emulator: Emulator, size: dict[str, int]
) -> None:
    seed = generate(**size)
    emulator.load(seed)
    regions = len(emulator.backend.vpc.regions())  # as GET /v1/regions lists them
    session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"])
    _clear(emulator)
    caller = session.caller()  # what `audit` does first: the token
    data = read_account(session, caller.account_id, "is")
    counted = Counter({k: v for k, v in emulator.request_counts().items() if v})
    expected = audit_formula(data, caller.iam_id, regions)
    assert counted == +expected
    assert counted[USERS] == pages(len(data.users)) > 1 or size["users"] < PAGE
    assert counted[RULES] < len(data.groups)  # only groups with dynamic rules


def with_unrelated_groups(seed: dict[str, Any]) -> dict[str, Any]:
    """The seed with every third group's policies moved to another service (the generator
    gives nearly every group a VPC policy), but for one deleted VPC policy on one of them: a
    near miss, whose group must still be read."""
    regular = [g["id"] for g in seed["access_groups"] if g["id"] != PUBLIC_ACCESS_GROUP_ID]
    unrelated = set(regular[1::3])
    near = regular[1]
    kept_near = False
    for policy in seed["policies"]:
        subject = policy["subject"]["attributes"][0]["value"]
        if subject not in unrelated:
            continue
        if subject == near and policy.get("state") == "deleted" and not kept_near:
            kept_near = True
            continue
        policy["resource"].pop("tags", None)
        policy["resource"]["attributes"] = [
            a for a in policy["resource"]["attributes"] if a["key"] == "accountId"
        ] + [{"key": "serviceName", "operator": "stringEquals", "value": "kms"}]
    if not kept_near:
        seed["policies"].append({
            "id": "near-miss-deleted", "type": "access", "state": "deleted",
            "description": "deleted: console on VPC",
            "subject": {"attributes": [{"key": "access_group_id", "operator": "stringEquals",
                                        "value": near}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": seed["account_id"]},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"}]},
            "control": {"grant": {"roles": [
                {"role_id": "crn:v1:bluemix:public:iam::::role:Operator"},
                {"role_id": "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"},
            ]}},
        })
    return seed


def regular_near(seed: dict[str, Any]) -> str:
    return [g["id"] for g in seed["access_groups"] if g["id"] != PUBLIC_ACCESS_GROUP_ID][1]


def test_snapshot_reads_every_groups_members_and_narrowing_changes_no_verdict(
    emulator: Emulator,
) -> None:
    seed = with_unrelated_groups(
        generate(users=120, groups=40, policies=160, instances=60, regions=2, seed=3))
    emulator.load(seed)
    regions = len(emulator.backend.vpc.regions())
    session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"])
    _clear(emulator)
    caller = session.caller()
    every = read_account(session, caller.account_id, "is", member_reads=EVERY)
    counted = Counter({k: v for k, v in emulator.request_counts().items() if v})
    assert counted == +audit_formula(every, caller.iam_id, regions, every_group=True)
    session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"])  # rights read anew
    _clear(emulator)
    session.caller()
    narrow = read_account(session, caller.account_id, "is")
    counted = Counter({k: v for k, v in emulator.request_counts().items() if v})
    assert counted == +audit_formula(narrow, caller.iam_id, regions)
    matter = groups_that_matter(narrow)
    assert 0 < len(matter) < len(narrow.groups) - 10  # a dozen groups' members are not read
    assert regular_near(seed) in matter  # a deleted policy's group: a near miss, still read
    assert len(narrow.memberships) < len(every.memberships)
    assert_same_decisions(every, narrow)


def assert_same_decisions(every: AccountData, narrow: AccountData) -> None:
    """Every verdict, near miss and finding of `every` is in `narrow`, but for subjects it no
    longer lists, who are denied everywhere and one action short nowhere."""
    requirement, at = load_requirement(), datetime(2026, 11, 27, 12, tzinfo=UTC)
    wide, few = decide_account(every, requirement, at), decide_account(narrow, requirement, at)
    kept = set(few.subjects)
    for verdict in Verdict:  # the same pairs, but those of subjects no longer listed: denied
        assert {p for p in wide.pairs(verdict) if p[0] in kept} == set(few.pairs(verdict))
    for subject in kept:
        assert wide.short_scopes(subject) == few.short_scopes(subject)
    dropped = set(wide.subjects) - kept
    assert all(wide.verdict(s, i.id) is Verdict.DENY for s in dropped for i in wide.instances)
    assert all(not wide.short_scopes(s) for s in dropped)  # no near miss either
    assert risks(every, requirement, at) == risks(narrow, requirement, at)
    assert wide.rule_exposures() == few.rule_exposures()


def test_narrow_reads_change_no_decision_on_the_demo(demo: Emulator) -> None:
    every = read_account(session_for(demo), demo.backend.seed["account_id"], "is",
                         member_reads=EVERY)
    narrow = read_account(session_for(demo), demo.backend.seed["account_id"], "is")
    assert len(narrow.memberships) <= len(every.memberships)
    assert_same_decisions(every, narrow)


def _user_groups(seed: dict[str, Any], iam_id: str) -> list[str]:
    """The groups IBM lists for the user: static and current dynamic ones, and Public Access."""
    out = [g["id"] for g in seed.get("access_groups", []) if g["id"] != PUBLIC_ACCESS_GROUP_ID
           and any(m["iam_id"] == iam_id
                   for m in g.get("members", []) + g.get("dynamic_members", []))]
    return [*out, PUBLIC_ACCESS_GROUP_ID]


def _seed_policies(seed: dict[str, Any], key: str, value: str, state: str = "active") -> int:
    return sum(1 for p in seed.get("policies", []) if p.get("state", "active") == state
               and any(a["key"] == key and a["value"] == value
                       for a in p["subject"]["attributes"]))


def _tagged(seed: dict[str, Any], subjects: list[str]) -> bool:
    """Does an active policy of these subjects name access tags (then check reads the tags)?"""
    return any(p["resource"].get("tags") and p.get("state", "active") == "active"
               and p["subject"]["attributes"][0]["value"] in subjects
               for p in seed.get("policies", []))


def _seed_policies_unlisted(seed: dict[str, Any], subjects: list[str],
                            catalogue: list[Role]) -> int:
    return sum(1 for p in seed.get("policies", []) if p.get("state", "active") == "active"
               and p["subject"]["attributes"][0]["value"] in subjects
               and _unlisted([r["role_id"] for r in p["control"]["grant"]["roles"]], catalogue))


def _covering_zones(seed: dict[str, Any], instance: dict[str, Any]) -> int:
    """The zones named by the seed's CBR rules on `is` that name this instance or none."""
    zones = set()
    for rule in seed.get("cbr_rules", []):
        if rule.get("enforcement_mode") == "disabled":
            continue  # listed, never read further
        attrs = {a["name"]: a["value"] for r in rule["resources"] for a in r["attributes"]}
        if attrs.get("serviceName") == "is" and attrs.get("instanceId", instance["id"]) == \
                instance["id"]:
            zones |= {z for c in rule["contexts"] for a in c["attributes"]
                      if a["name"] == "networkZoneId" for z in a["value"].split(",")}
    return len(zones)


def check_formula(seed: dict[str, Any], iam_id: str, caller: str, by_crn: bool,
                  allowed: bool, catalogue: list[Role],
                  instance: dict[str, Any]) -> tuple[int, int, int]:
    """By the README's formula: (requests to reach the verdict, requests that explain it or
    check iamcheck's own rights, the budget: 9 + the groups IBM lists for the user + the zones
    of the CBR rules on the instance)."""
    groups = _user_groups(seed, iam_id)
    tags = _tagged(seed, [iam_id, *groups])
    is_user = any(u["iam_id"] == iam_id for u in seed["users"])
    base = (6 + (0 if by_crn else 1)  # token, user, regions, [search], instance, roles, groups
            + pages(_seed_policies(seed, "iam_id", iam_id))
            + sum(pages(_seed_policies(seed, "access_group_id", g)) for g in groups)
            + (1 if by_crn and tags else 0)
            + _seed_policies_unlisted(seed, [iam_id, *groups], catalogue)
            + 1 + _covering_zones(seed, instance))  # the CBR rules on `is`, their zones
    extra = 0
    if not allowed:
        deleted = sum(1 for p in seed.get("policies", []) if p.get("state") == "deleted")
        extra += pages(deleted)
        if is_user:  # P3 (rev 2): every rule of every group the user is not in is a path
            with_rules = [g for g in seed.get("access_groups", []) if g.get("rules")]
            could = [g for g in with_rules if g["id"] not in groups]
            every = {g["id"] for g in seed.get("access_groups", [])} | {PUBLIC_ACCESS_GROUP_ID}
            extra += pages(len(every)) + len(could)
            extra += sum(pages(_seed_policies(seed, "access_group_id", g["id"])) for g in could)
            extra += _seed_policies_unlisted(seed, [g["id"] for g in could], catalogue)
        if is_user:  # P5: the profiles, their claim rules, the policies of those with a SAML rule
            profiles = seed.get("trusted_profiles", [])
            saml = [p for p in profiles if any(r.get("type") == "Profile-SAML"
                                               for r in p.get("rules", []))]
            extra += pages(len(profiles)) + len(profiles) + sum(
                pages(_seed_policies(seed, "iam_id", p["iam_id"])) for p in saml)
    # iamcheck's own rights, to trust what it may not see (V5): for someone else always; for
    # the caller, to know it may read the dynamic rules of groups it is not in (P3)
    if iam_id != caller or (is_user and not allowed):
        mine = _user_groups(seed, caller)
        extra += 1 + pages(_seed_policies(seed, "iam_id", caller)) + sum(
            pages(_seed_policies(seed, "access_group_id", g)) for g in mine)
    return base, extra, 9 + len(groups) + _covering_zones(seed, instance)


def test_check_fits_eight_requests_plus_one_per_group_of_the_user(demo: Emulator) -> None:
    seed = demo.backend.seed
    caller = seed["api_keys"][0]["iam_id"]
    requirement = load_requirement()
    seen: Counter[str] = Counter()
    users = [caller, "IBMid-6650001017", "IBMid-6650001010", "IBMid-6650001011"]
    catalogue = iam_policy.list_roles(session_for(demo), seed["account_id"], "is")
    for iam_id in users:
        for name in ("pay-api-01", "kiosk-legacy", "plat-vault-tdx"):
            crn = ""
            for by_crn in (False, True):
                ref = crn if by_crn else name
                _clear(demo)
                result = run_check(session_for(demo), requirement, user_ref(iam_id),
                                   instance_ref(ref))
                made = sum(demo.request_counts().values())
                allowed = result.decision.verdict is Verdict.ALLOW
                record = next(i for i in seed["instances"] if i["name"] == name)
                base, extra, budget = check_formula(seed, iam_id, caller, by_crn, allowed,
                                                    catalogue, record)
                assert made == base + extra, (iam_id, name, by_crn, result.decision.verdict)
                assert base <= budget
                if iam_id == caller and allowed:
                    assert made <= budget
                seen[result.decision.verdict.value] += 1
                crn = result.instance.crn
    assert set(seen) == {"allow", "deny", "unknown"}  # every path was counted


# --- concurrency ---------------------------------------------------------------------------

@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_bounds_the_requests_in_flight(emulator: Emulator, concurrency: int) -> None:
    seed = generate(users=60, groups=40, policies=80, instances=50, regions=4, seed=5)
    emulator.load(seed)
    emulator.backend.faults.latency_ms = 15  # so that requests overlap when they can
    session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"],
                          concurrency=concurrency)
    account_id = session.caller().account_id
    _clear(emulator)
    read_account(session, account_id, "is")
    peak = _control(emulator)["max_in_flight"]
    assert peak <= concurrency
    assert peak == concurrency  # and it is used: 40 groups' members could all go at once
    other = next(u["iam_id"] for u in seed["users"][1:] if u["state"] == "ACTIVE")
    name = seed["instances"][0]["name"]
    _clear(emulator)  # check runs reads in threads of its own and of the rights check
    run_check(session, load_requirement(), user_ref(other), instance_ref(name))
    assert _control(emulator)["max_in_flight"] <= concurrency


def test_a_rate_limit_holds_every_worker(emulator: Emulator, monkeypatch: Any) -> None:
    seed = generate(users=60, groups=40, policies=80, instances=50, regions=4, seed=5)
    emulator.load(seed)
    faults = emulator.backend.faults
    faults.latency_ms = 20  # the 40 groups' members take longer than the hold
    session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"], concurrency=8)
    account_id = session.caller().account_id
    sent: list[tuple[float, int]] = []  # (when a request left, its answer's status)
    lock = threading.Lock()
    send = HTTPAdapter.send

    def timed(self: HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        response = send(self, request, **kwargs)
        with lock:
            sent.append((started, response.status_code))
            if response.status_code == 429:
                limited.append(time.monotonic())
        return response

    limited: list[float] = []
    monkeypatch.setattr(HTTPAdapter, "send", timed)
    faults.retry_after = 1
    faults.script(MEMBERS, ["429"])  # the first members list of the run is rate-limited
    try:
        read_account(session, account_id, "is")
    finally:
        faults.clear()
    assert len(limited) == 1
    hold_from, hold_to = limited[0] + 0.1, limited[0] + 0.9
    during = [t for t, _ in sent if hold_from < t < hold_to]
    assert not during, f"{len(during)} requests sent while the rate limit held"
    assert any(t >= limited[0] + 1.0 for t, _ in sent)  # the run went on after it


def test_backoff_holds_everyone_until_the_gate_opens() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    backoff = Backoff(60, clock=lambda: now[0], sleep=sleep, max_attempts=4)
    backoff.wait_turn()
    assert slept == []  # an open gate costs nothing
    assert backoff.delay(0, 2.5) == 2.5  # Retry-After wins over our own backoff
    backoff.hold_everyone(2.5)
    backoff.hold_everyone(1.0)  # a shorter hold never shortens a longer one
    backoff.wait_turn()
    assert slept == [2.5] and now[0] == 102.5
    backoff.wait_turn()  # the gate is open again
    assert slept == [2.5]
    assert 0 <= (backoff.delay(2, None) or -1) <= 1.0  # jittered: 0.25 s x 2^2 at most
    assert backoff.delay(3, None) is None  # max_attempts spent
    assert backoff.delay(0, 60) is None  # past the deadline
    now[0] += 61
    assert backoff.out_of_time()
