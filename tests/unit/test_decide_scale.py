"""A rough timing of the whole-account evaluation at IBM's limits (printed, not asserted).

5,000 users, 500 access groups, 4,020 policies, 10,000 instances: issue 6 wants this under 5 s
CPU and 1 GiB. Run with `-s` to see the figures.
"""

from __future__ import annotations

import random
import resource
import time

import pytest

from iamcheck.decide import decide_account, risks
from iamcheck.model import (
    AccessGroup,
    AccountData,
    Attribute,
    Instance,
    Membership,
    Policy,
    Rule,
    User,
)
from tests.unit.decide_builders import (
    ACCOUNT,
    ADMIN,
    AT,
    CONSOLE,
    FED_REALM,
    OPERATOR,
    REQ,
    ROLES,
    VIEWER,
    fed_rule,
)
from tests.unit.test_decide_conditions import once, weekdays_9_to_5

REGIONS = ("us-south", "us-east", "eu-de", "eu-gb", "jp-tok", "au-syd")
TAGS = tuple(f"{k}:{v}" for k in ("env", "team", "app", "tier") for v in range(5))


def _eq(key: str, value: str) -> Attribute:
    return Attribute(key, "stringEquals", value)


def limit_account(seed: int = 6) -> AccountData:
    rnd = random.Random(seed)
    rgs = [f"rg{n:03d}" for n in range(40)]
    instances = tuple(
        Instance(f"0717_{n:05d}", f"crn:{n}", f"vm-{n}", region := rnd.choice(REGIONS),
                 f"{region}-1", rnd.choice(rgs), f"vpc{rnd.randrange(100):03d}", "running",
                 access_tags=frozenset(rnd.sample(TAGS, rnd.randrange(3))))
        for n in range(10_000))
    users = tuple(User(f"IBMid-{n:06d}", f"user{n}@example.com",
                       "SUSPENDED" if n % 31 == 0 else "ACTIVE",
                       realm=FED_REALM if n % 10 == 0 else "IBMid") for n in range(5_000))
    groups = tuple(AccessGroup(f"AccessGroupId-{n:03d}", f"group-{n}",
                               rules=(fed_rule(),) if n % 100 == 0 else ()) for n in range(500))
    memberships = tuple(Membership(g.id, u.iam_id) for u in users
                        for g in rnd.sample(groups, rnd.randrange(1, 9)))
    policies: list[Policy] = []

    def add(subject: Attribute, roles: tuple[str, ...], extra: list[Attribute],
            tags: tuple[Attribute, ...] = (), rule: Rule | None = None) -> None:
        policies.append(Policy(f"pol-{len(policies):05d}", "access", "active", (subject,),
                               (_eq("accountId", ACCOUNT), _eq("serviceName", "is"), *extra),
                               roles, tags=tags, rule=rule))

    for g in groups:  # 2,500 group policies of every kind of scope
        who = _eq("access_group_id", g.id)
        for _ in range(5):
            kind = rnd.randrange(7)
            roles = rnd.choice([(OPERATOR,), (CONSOLE,), (OPERATOR, CONSOLE), (VIEWER,), (ADMIN,)])
            if kind == 0:
                add(who, roles, [_eq("resourceGroupId", rnd.choice(rgs))])
            elif kind == 1:
                add(who, roles, [_eq("region", rnd.choice(REGIONS))])
            elif kind == 2:
                key, value = rnd.choice(TAGS).split(":")
                add(who, roles, [], tags=(_eq(key, value),))
            elif kind == 3:
                ids = tuple(rnd.choice(instances).id for _ in range(10))
                add(who, roles, [Attribute("instanceId", "stringEqualsAnyOf", ids)])
            elif kind == 4:
                pattern = f"0717_0{rnd.randrange(10)}*"
                add(who, roles, [Attribute("instanceId", "stringMatch", pattern)])
            elif kind == 5:
                add(who, roles, [_eq("resourceGroupId", rnd.choice(rgs))],
                    rule=rnd.choice([weekdays_9_to_5(), once("2020-01-01T00:00:00Z",
                                                              "2020-02-01T00:00:00Z")]))
            else:
                add(who, roles, [_eq("resourceGroupId", rnd.choice(rgs)),
                                 _eq("region", rnd.choice(REGIONS))])
    while len(policies) < 4_020:  # the rest: users' own policies on one or a few instances
        user, target = rnd.choice(users), rnd.choice(instances).id
        by_id = (_eq("instanceId", target) if len(policies) % 3
                 else Attribute("instanceId", "stringMatch", target[:-1] + "?"))
        add(_eq("iam_id", user.iam_id), (OPERATOR, CONSOLE), [by_id])
    return AccountData(ACCOUNT, AT, users, (), groups, memberships, tuple(policies), ROLES, (),
                       instances)


@pytest.mark.slow
def test_limit_size_account_timing() -> None:
    started = time.process_time()
    acct = limit_account()
    built = time.process_time() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    result = decide_account(acct, REQ, AT)
    evaluated = time.process_time() - started
    started = time.process_time()
    counts = result.counts()
    counted = time.process_time() - started
    started = time.process_time()
    holders = result.holders(acct.instances[0].id)
    scopes = result.scopes(acct.users[1].iam_id)
    short = result.one_action_short(acct.instances[0].id)
    asked = time.process_time() - started
    started = time.process_time()
    findings = risks(acct, REQ, AT)
    risked = time.process_time() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    print(f"\nlimit account built in {built:.2f}s CPU; decide_account {evaluated:.2f}s CPU; "
          f"counts {counted:.2f}s; holders/scopes/one-short {asked:.3f}s; risks {risked:.2f}s; "
          f"peak RSS grew {grown / 1024:.0f} MiB")
    print(f"pairs: {dict(counts)}; holders of one instance: {len(holders)}; "
          f"scopes of one user: {len(scopes)}; one action short: {len(short)}; "
          f"findings: {len(findings)}")
    assert sum(counts.values()) == 5_000 * 10_000
