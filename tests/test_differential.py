"""The emulator's console authorization against iamcheck's evaluator, on many generated accounts.

Two independent implementations of the same IAM rules (semantics-decisions.md): the emulator's
(iamcheck/emulator/backend/authz.py, the code behind POST .../console_access_token) and
iamcheck's (iamcheck.decide). Wherever iamcheck says allow or deny, the emulator must agree;
where iamcheck says unknown (an uncertain path), there is nothing to compare.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_vpc import VpcV1

from iamcheck.claims import load_claims
from iamcheck.decide import Verdict, decide, decide_account
from iamcheck.emulator import Backend
from iamcheck.emulator.backend.authz import may_open_console
from iamcheck.emulator.seed import validate_seed
from iamcheck.emulator.seed.generate import Extras, generate
from iamcheck.read.account import read_account
from iamcheck.requirement import load_requirement
from tests.conftest import Emulator, session_for
from tests.support.seed_model import account_from_seed

ACCOUNTS = 1000
PAIRS_PER_ACCOUNT = 14
REQ = load_requirement()
INSTANTS = (
    datetime(2026, 3, 4, 12, 0, tzinfo=UTC),  # a Wednesday, working hours
    datetime(2026, 3, 4, 19, 30, tzinfo=UTC),  # the same Wednesday, evening
    datetime(2026, 3, 7, 9, 15, tzinfo=UTC),  # a Saturday
    datetime(2026, 3, 4, 23, 10, tzinfo=UTC),  # already Thursday east of UTC+00:50
    datetime(2026, 3, 8, 2, 45, tzinfo=UTC),  # a Sunday, still Saturday west of UTC-02:45
    datetime(2026, 3, 9, 21, 5, tzinfo=UTC),  # a Monday, Tuesday at UTC+05:30 and UTC+09:00
    datetime(2025, 6, 2, 8, 0, tzinfo=UTC),  # within the expired one-off windows
    datetime(2037, 2, 1, 12, 0, tzinfo=UTC),  # after every one-off window
)
CONSOLE_IS = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
CONSOLE_IAM = "crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
OFFSETS = ("+00:00", "+05:30", "-04:00", "+09:00", "-11:00")


def _instance_attribute(rng: random.Random, instances: list[dict[str, Any]]) -> dict[str, Any]:
    """An instanceId attribute in one of the forms IBM accepts (S4)."""
    one = rng.choice(instances)["id"]
    forms = (
        ("stringEquals", one), ("stringEquals", "*"), ("stringExists", True),
        ("stringMatch", one[:2] + "?" + one[3:6] + "*"), ("stringMatch", one.upper()),
        ("stringMatchAnyOf", [one[:5] + "*", "zz*"]),
        ("stringEqualsAnyOf", [i["id"] for i in rng.sample(instances, min(2, len(instances)))]),
    )
    operator, value = rng.choice(forms)
    return {"key": "instanceId", "operator": operator, "value": value}


def _time_rule(rng: random.Random) -> dict[str, Any]:
    """A weekly window with explicit offsets, days as integers or `N+hh:mm` strings (P4)."""
    offset = rng.choice(OFFSETS)
    days: list[Any] = sorted(rng.sample(range(1, 8), rng.randint(1, 4)))
    if rng.random() < 0.5:
        days = [f"{d}{offset}" for d in days]
    start, end = (0, 23) if rng.random() < 0.5 else sorted(rng.sample(range(0, 24), 2))
    env = "{{environment.attributes.%s}}"
    return {"operator": "and", "conditions": [
        {"key": env % "day_of_week", "operator": "dayOfWeekAnyOf", "value": days},
        {"key": env % "current_time", "operator": "timeGreaterThanOrEquals",
         "value": f"{start:02d}:00:00{offset}"},
        {"key": env % "current_time", "operator": "timeLessThan",
         "value": f"{end:02d}:30:00{offset}"}]}


def mutate(seed: dict[str, Any], rng: random.Random) -> None:
    """Forms the generator draws rarely or never: wildcards, the `iam` segment of Console
    Administrator (R4), offsets in time rules, Public Access grants, user states, unknown
    attributes."""
    instances = seed["instances"]
    for policy in seed["policies"]:
        attrs = policy["resource"]["attributes"]
        draw = rng.random()
        if instances and draw < 0.15:
            attrs[:] = [a for a in attrs if a["key"] != "instanceId"]
            attrs.append(_instance_attribute(rng, instances))
        elif draw < 0.25 and "rule" not in policy:
            policy["pattern"] = "time-based-conditions:weekly:custom-hours"
            policy["rule"] = _time_rule(rng)
        elif draw < 0.28:
            attrs.append({"key": rng.choice(("dedicatedHostId", "vpcId")), "operator":
                          "stringEquals", "value": "0717-0000"})
        roles = policy["control"]["grant"]["roles"]
        for role in roles:
            if role["role_id"] == CONSOLE_IS and rng.random() < 0.4:
                role["role_id"] = CONSOLE_IAM
        if not any(a["key"] == "serviceName" for a in attrs) and rng.random() < 0.5:
            roles.append({"role_id": CONSOLE_IS})  # beyond one service: never console (S2)
    if instances and len(seed["access_groups"]) > 0 and rng.random() < 0.2:
        seed["policies"].append({
            "type": "access", "description": "Public Access: console on one instance",
            "subject": {"attributes": [{"key": "access_group_id", "operator": "stringEquals",
                                        "value": "AccessGroupId-PublicAccess"}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals", "value": seed["account_id"]},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"},
                _instance_attribute(rng, instances)]},
            "control": {"grant": {"roles": [{"role_id": rng.choice((CONSOLE_IS, OPERATOR))}]}}})
    for user in seed["users"][1:]:
        if rng.random() < 0.1:
            user["state"] = rng.choice(("SUSPENDED", "PENDING", "VPN_ONLY"))


def account(number: int) -> tuple[dict[str, Any], datetime]:
    rng = random.Random(number)
    seed = generate(users=rng.randint(2, 5), instances=rng.randint(1, 5),
                    groups=rng.randint(0, 5), policies=rng.choice((6, 10, 14, 20, 26)),
                    seed=number, regions=rng.randint(1, 3))
    mutate(seed, rng)
    return seed, rng.choice(INSTANTS)


def compare(number: int, tally: Counter[str]) -> list[str]:
    """The pairs of account `number` on which the two implementations disagree."""
    seed, at = account(number)
    backend = Backend(seed)
    model = account_from_seed(seed, read_at=at)
    subjects = [u["iam_id"] for u in seed["users"]] + [s["iam_id"] for s in seed["service_ids"]]
    pairs = [(s, i) for s in subjects for i in model.instances]
    rng = random.Random(-number)
    disagreements = []
    for subject, instance in rng.sample(pairs, min(PAIRS_PER_ACCOUNT, len(pairs))):
        verdict = decide(model, REQ, subject, instance, at).verdict
        tally[verdict.value] += 1
        if verdict is Verdict.UNKNOWN:
            continue
        record = backend.vpc.instance(instance.region, instance.id)
        emulator = may_open_console(backend, subject, record, at)
        if emulator != (verdict is Verdict.ALLOW):
            disagreements.append(f"account {number} at {at.isoformat()}: {subject} on "
                                 f"{instance.id}: iamcheck {verdict.value}, emulator "
                                 f"{'allow' if emulator else 'deny'}")
    return disagreements


def test_mutated_accounts_stay_valid_seeds() -> None:
    for number in range(0, ACCOUNTS, 50):
        validate_seed(account(number)[0])


def test_emulator_agrees_with_the_evaluator_on_generated_accounts() -> None:
    tally: Counter[str] = Counter()
    disagreements = [d for number in range(ACCOUNTS) for d in compare(number, tally)]
    assert not disagreements, f"{len(disagreements)} disagreements, e.g.\n" + "\n".join(
        disagreements[:10])
    # The comparison means something only if both answers occur often.
    assert tally["allow"] >= 300 and tally["deny"] >= 3000, tally


# ---- the same decision through HTTP: 200 (IBM console tokens) or 403 from the token endpoint


def _vpc(emulator: Emulator, apikey: str, region: str) -> VpcV1:
    client = emulator.client(VpcV1, apikey)
    client.set_service_url(f"{emulator.url}/vpc/{region}/v1")
    return client


def _walled_from_loopback(seed: dict[str, Any]) -> set[str]:
    """Instances an enforced CBR rule names whose network zones hold no loopback address: the
    token endpoint refuses this test's requests there whatever IAM says (G1). Written from the
    seed alone; only ipAddress and ipRange zones are read, which is all the demo uses."""
    zones = {z["id"]: z for z in seed.get("cbr_zones", [])}

    def loopback(zone_id: str) -> bool:
        for address in zones[zone_id]["addresses"]:
            value = address["value"]
            if address["type"] == "ipAddress" and value.startswith("127."):
                return True
            if address["type"] == "ipRange" and value.split("-")[0].startswith("127."):
                return True
        return False

    walled: set[str] = set()
    for rule in seed.get("cbr_rules", []):
        if rule.get("enforcement_mode") != "enabled":
            continue
        named = {a["value"] for c in rule["contexts"] for a in c["attributes"]
                 if a["name"] == "networkZoneId"}
        if any(loopback(z) for z in named):
            continue
        for resource in rule["resources"]:
            attrs = {a["name"]: a["value"] for a in resource["attributes"]}
            if attrs.get("serviceName") == "is" and "instanceId" in attrs:
                walled.add(attrs["instanceId"])
    return walled


@pytest.mark.parametrize("key_index", [1, 2, 3, 4])
def test_token_endpoint_follows_the_decision_on_the_demo(demo: Emulator, key_index: int) -> None:
    seed = demo.backend.seed
    key = seed["api_keys"][key_index]
    at = datetime.now(UTC)
    model = account_from_seed(copy.deepcopy(seed), read_at=at)
    answers: Counter[int] = Counter()
    walled = _walled_from_loopback(seed)
    for instance in model.instances:
        record = demo.backend.vpc.instance(instance.region, instance.id)
        allowed = may_open_console(demo.backend, key["iam_id"], record, at)
        verdict = decide(model, REQ, key["iam_id"], instance, at).verdict
        if verdict is not Verdict.UNKNOWN:
            assert allowed == (verdict is Verdict.ALLOW), instance.id
        client = _vpc(demo, key["apikey"], instance.region)
        try:
            status = client.create_instance_console_access_token(instance.id, "serial",
                                                                 force=True).get_status_code()
        except ApiException as err:
            status = err.status_code
        expected = (200 if record["status"] == "running" else 409) if allowed else 403
        if allowed and instance.id in walled:  # G1: IAM allows, the CBR rule refuses loopback
            expected = 403
        assert status == expected, (instance.id, key["description"])
        answers[status] += 1
    if key_index == 1:  # the on-call engineer opens every running console not walled by CBR
        assert answers[403] == len(walled & {i.id for i in model.instances}) and answers[200] >= 8
    if key_index == 2:  # the analyst none
        assert answers == Counter({403: len(model.instances)})


# ---- revision 2: the generator's Extras, read through the real readers over HTTP

EXTRA_ACCOUNTS = 60
STATES = ("ACTIVE", "DISABLED_CLASSIC_INFRASTRUCTURE", "PENDING", "PROCESSING", "VPN_ONLY",
          "SUSPENDED", "INVALID")


def account_with_extras(number: int) -> tuple[dict[str, Any], datetime]:
    """Dynamic rules with sign-in claims, every user state, Public Access console policies and
    both role catalogue layouts (R2: `is`, or `is.instance` only)."""
    rng = random.Random(f"rev2-{number}")
    extras = Extras(login_claims=rng.choice((0.5, 0.9)), public_console=rng.randint(0, 1),
                    role_layout="is.instance" if number % 2 else "is")
    seed = generate(users=rng.randint(3, 7), instances=rng.randint(1, 4),
                    groups=rng.randint(2, 5), policies=rng.choice((8, 14, 20)),
                    seed=10_000 + number, regions=rng.randint(1, 2), extras=extras)
    for user in seed["users"][1:]:
        if rng.random() < 0.3:
            user["state"] = rng.choice(STATES)
    return seed, rng.choice(INSTANTS)


def claims_file(seed: dict[str, Any], path: Path) -> Path:
    """The --claims file the seed's sign-ins make: each user's IdP and claims; everyone else
    signs in through no federated IdP (as the emulator assumes for a user without `login`)."""
    entries: dict[str, Any] = {"*": {"realm": None, "claims": {}}}
    for user in seed["users"]:
        if user.get("login"):
            entries[user["iam_id"]] = {"realm": user["login"]["realm"],
                                       "claims": user["login"]["claims"]}
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_emulator_agrees_with_the_evaluator_with_extras(emulator: Emulator,
                                                        tmp_path: Path) -> None:
    tally: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    disagreements = []
    for number in range(EXTRA_ACCOUNTS):
        seed, at = account_with_extras(number)
        validate_seed(seed)
        seen[seed.get("vpc_roles_listed_under", "is")] += 1
        seen["logins"] += sum(1 for u in seed["users"] if u.get("login"))
        seen["public"] += sum(1 for p in seed["policies"]
                              if "public_console" in p.get("description", ""))
        emulator.load(seed)
        session = session_for(emulator, apikey=seed["api_keys"][0]["apikey"])
        model = read_account(session, seed["account_id"], REQ)
        claims = load_claims(claims_file(seed, tmp_path / f"claims-{number}.json"))
        result = decide_account(model, REQ, at, claims=claims)
        for subject in result.subjects:
            if subject.startswith("iam-Profile-"):
                continue
            for instance in model.instances:
                verdict = result.verdict(subject, instance.id)
                tally[verdict.value] += 1
                if verdict is Verdict.UNKNOWN:
                    continue  # consistent with either answer
                record = emulator.backend.vpc.instance(instance.region, instance.id)
                allowed = may_open_console(emulator.backend, subject, record, at)
                if allowed != (verdict is Verdict.ALLOW):
                    disagreements.append(f"account {number} at {at.isoformat()}: {subject} "
                                         f"on {instance.id}: iamcheck {verdict.value}, "
                                         f"emulator {'allow' if allowed else 'deny'}")
    assert not disagreements, f"{len(disagreements)} disagreements, e.g.\n" + "\n".join(
        disagreements[:10])
    assert seen["is"] and seen["is.instance"] and seen["logins"] and seen["public"], seen
    assert tally["allow"] >= 20 and tally["deny"] >= 100, tally
