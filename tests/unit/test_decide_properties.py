"""Properties of the decision on generated accounts (hypothesis).

- decide_account gives exactly decide()'s verdict for every pair;
- adding a policy never lowers a verdict (deny < unknown < allow), removing one never raises it;
- verdicts do not depend on the order of policies, groups, memberships, users or roles;
- adding a --claims file only removes uncertainty: an allow stays an allow, a deny a deny;
- the above hold with trusted profiles, CBR rules, strict_context and the rev-2 user states.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamcheck.claims import parse_claims
from iamcheck.decide import Verdict, decide, decide_account
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Attribute,
    AttributeValue,
    CbrAttribute,
    CbrResource,
    CbrRule,
    Claims,
    Gap,
    LayerGap,
    Membership,
    Policy,
    Rule,
    ServiceId,
    User,
)
from tests.unit.decide_builders import (
    ACCOUNT,
    ADMIN,
    ALICE,
    AT,
    BOB,
    CONSOLE,
    CONSOLE_IAM,
    CUSTOM,
    FED_REALM,
    MANAGER,
    OPERATOR,
    OPS,
    PROFILE,
    REQ,
    ROBOT,
    ROLES,
    VIEWER,
    fed_rule,
    instance,
    saml_rule,
    trusted_profile,
)
from tests.unit.test_decide_conditions import DAY, cond, once, weekdays_9_to_5

T = TypeVar("T")
FED = "AccessGroupId-fed"
USERS = (ALICE, BOB, "IBMid-1000000003")
PRINCIPALS = (*USERS, ROBOT, PROFILE)
GROUPS = (OPS, FED)
INSTANCE_IDS = ("0717_a-1", "0717_a-2", "0717_b-1", "0717_c-9")
RANK = {Verdict.DENY: 0, Verdict.UNKNOWN: 1, Verdict.ALLOW: 2}
RULES: tuple[Rule | None, ...] = (
    None, None, None,
    once("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"),  # expired
    once("2026-03-01T00:00:00+01:00", "2026-03-31T00:00:00+01:00"),  # holds at AT
    once("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z"),  # not yet
    weekdays_9_to_5("-05:00"),  # outside at AT
    weekdays_9_to_5(),  # inside at AT
    cond(DAY, "dayOfWeekEquals", 9),  # unreadable
)

users = st.lists(st.builds(
    lambda iam_id, state, realm: User(iam_id, f"{iam_id.lower()}@example.com", state,
                                      realm=realm),
    st.sampled_from(USERS),
    st.sampled_from(["ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED", "DISABLED_CLASSIC_INFRASTRUCTURE",
                     "SOMETHING_NEW"]),
    st.sampled_from(["IBMid", FED_REALM])), unique_by=lambda u: u.iam_id, max_size=3)
groups = st.lists(st.builds(
    lambda gid, ruled: AccessGroup(gid, gid.split("-")[-1], rules=(fed_rule(),) if ruled else ()),
    st.sampled_from([*GROUPS, PUBLIC_ACCESS_GROUP_ID]), st.booleans()),
    unique_by=lambda g: g.id, max_size=3)
memberships = st.lists(st.builds(Membership, st.sampled_from(GROUPS), st.sampled_from(PRINCIPALS),
                                 st.sampled_from(["static", "dynamic"])), max_size=4)
instances = st.lists(st.builds(
    lambda iid, rg, region, vpc, tags: instance(iid, rg, region, vpc, tags),
    st.sampled_from(INSTANCE_IDS), st.sampled_from(["rg-a", "rg-b"]),
    st.sampled_from(["us-south", "eu-de"]), st.sampled_from(["vpc-1", "vpc-2"]),
    st.sets(st.sampled_from(["env:prod", "env:dev", "team:web"]))),
    min_size=1, max_size=4, unique_by=lambda i: i.id)

Spec = tuple[str, str, AttributeValue]
SERVICES: list[tuple[Spec, ...]] = [
    (("serviceName", "stringEquals", "is"),), (("serviceName", "stringEquals", "is"),),
    (("serviceName", "stringEquals", "is.instance"),),
    (("serviceName", "stringEquals", "cloud-object-storage"),),
    (("serviceType", "stringEquals", "service"),), ()]
EXTRAS: list[Spec] = [
    ("resourceGroupId", "stringEquals", "rg-a"), ("resourceGroupId", "stringEquals", "*"),
    ("region", "stringEquals", "eu-de"), ("instanceId", "stringEquals", "0717_a-1"),
    ("instanceId", "stringMatch", "0717_a-?"), ("instanceId", "stringExists", True),
    ("instanceId", "stringEqualsAnyOf", ("0717_b-1", "0717_c-9")),
    ("instanceId", "stringMatchAnyOf", ("*-9", "0717_b*")), ("vpcId", "stringEquals", "vpc-1"),
    ("subnetId", "stringEquals", "s-1"), ("accountId", "stringEquals", "someone-else")]
TAGS: list[Spec] = [("env", "stringEquals", "prod"), ("team", "stringMatch", "w*"),
                    ("env", "stringEquals", "*")]
services, extras, tag_specs = (st.sampled_from(SERVICES), st.sampled_from(EXTRAS),
                               st.sampled_from(TAGS))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    subject = draw(st.sampled_from([*PRINCIPALS, *GROUPS, PUBLIC_ACCESS_GROUP_ID]))
    key = "iam_id" if subject in PRINCIPALS else "access_group_id"
    resource: list[Spec] = [("accountId", "stringEquals", ACCOUNT), *draw(services),
                *draw(st.lists(extras, max_size=2))]
    roles = draw(st.lists(st.sampled_from([OPERATOR, ADMIN, VIEWER, MANAGER, CONSOLE,
                                           CONSOLE_IAM, CUSTOM, "crn:unknown:role"]),
                          min_size=1, max_size=3, unique=True))
    return Policy("", "access", draw(st.sampled_from(["active"] * 5 + ["deleted"])),
                  (Attribute(key, "stringEquals", subject),),
                  tuple(Attribute(*a) for a in resource), tuple(roles),
                  tags=tuple(Attribute(*t) for t in draw(st.lists(tag_specs, max_size=2))),
                  rule=draw(st.sampled_from(RULES)))


@st.composite
def accounts(draw: st.DrawFn) -> AccountData:
    insts = draw(instances)
    pols = [replace(p, id=f"p{i}") for i, p in enumerate(draw(st.lists(policies(), max_size=7)))]
    gaps = draw(st.lists(st.builds(
        lambda subj, inst: Gap("something", "HTTP 500", frozenset(subj), frozenset(inst)),
        st.sets(st.sampled_from([*PRINCIPALS, *GROUPS]), max_size=1),
        st.sets(st.sampled_from(INSTANCE_IDS), max_size=1)), max_size=1))
    profiles = (trusted_profile(rules=[saml_rule()]),) if draw(st.booleans()) else ()
    cbr = tuple(CbrRule(f"cbr-{i}", mode, (), (CbrResource(
        (CbrAttribute("serviceName", "is"), CbrAttribute("instanceId", iid))),))
        for i, (mode, iid) in enumerate(draw(st.lists(st.tuples(
            st.sampled_from(["enabled", "report", "disabled"]), st.sampled_from(INSTANCE_IDS)),
            max_size=2))))
    layers = tuple(LayerGap(layer, "HTTP 403") for layer in draw(  # type: ignore[arg-type]
        st.sets(st.sampled_from(["trusted_profiles", "cbr"]), max_size=1)))
    return AccountData(ACCOUNT, AT, tuple(draw(users)),
                       (ServiceId(ROBOT, "robot"),) if draw(st.booleans()) else (),
                       tuple(draw(groups)), tuple(draw(memberships)), tuple(pols), ROLES, (),
                       tuple(insts), tuple(gaps), profiles=profiles, cbr_rules=cbr,
                       layer_gaps=layers)


def _claims_file(entries: list[tuple[str, bool, list[str]]]) -> Claims:
    return parse_claims(json.dumps({
        key: {"realm": FED_REALM if federated else None, "claims": {"groups": groups}}
        for key, federated, groups in entries}))


claims_files = st.builds(_claims_file, st.lists(st.tuples(
    st.sampled_from([*USERS, "*"]), st.booleans(),
    st.lists(st.sampled_from(["vm-operators", "sre", "dev"]), max_size=2)),
    max_size=3, unique_by=lambda e: e[0]))


SUBJECTS = (*PRINCIPALS, "IBMid-stranger")


def verdicts(acct: AccountData, claims: Claims | None = None,
             strict: bool = False) -> dict[tuple[str, str], Verdict]:
    return {(s, i.id): decide(acct, REQ, s, i, AT, claims=claims, strict_context=strict).verdict
            for s in SUBJECTS for i in acct.instances}


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(accounts())
def test_decide_account_equals_decide_for_every_pair(acct: AccountData) -> None:
    result = decide_account(acct, REQ, AT, subjects=SUBJECTS)
    for (subject, iid), expected in verdicts(acct).items():
        assert result.verdict(subject, iid) is expected, (subject, iid)
    assert sum(result.counts().values()) == len(SUBJECTS) * len(acct.instances)


@FAST
@given(accounts(), claims_files, st.booleans())
def test_decide_account_equals_decide_with_claims_and_strict_context(
        acct: AccountData, claims: Claims, strict: bool) -> None:
    result = decide_account(acct, REQ, AT, subjects=SUBJECTS, claims=claims,
                            strict_context=strict)
    for (subject, iid), expected in verdicts(acct, claims, strict).items():
        assert result.verdict(subject, iid) is expected, (subject, iid)


@FAST
@given(accounts(), claims_files)
def test_claims_only_remove_uncertainty(acct: AccountData, claims: Claims) -> None:
    before = verdicts(acct)
    after = verdicts(acct, claims)
    for pair, verdict in before.items():
        if verdict is not Verdict.UNKNOWN:
            assert after[pair] is verdict, pair


@FAST
@given(accounts(), policies())
def test_adding_a_policy_never_lowers_a_verdict(acct: AccountData, extra: Policy) -> None:
    before = verdicts(acct)
    after = verdicts(replace(acct, policies=(*acct.policies, replace(extra, id="extra"))))
    for pair, verdict in before.items():
        assert RANK[after[pair]] >= RANK[verdict], pair


@FAST
@given(accounts(), st.integers(min_value=0, max_value=6))
def test_removing_a_policy_never_raises_a_verdict(acct: AccountData, k: int) -> None:
    if not acct.policies:
        return
    k %= len(acct.policies)
    before = verdicts(acct)
    after = verdicts(replace(acct, policies=acct.policies[:k] + acct.policies[k + 1:]))
    for pair, verdict in before.items():
        assert RANK[after[pair]] <= RANK[verdict], pair
        assert not (verdict is Verdict.DENY and after[pair] is Verdict.ALLOW)


@FAST
@given(accounts(), st.randoms(use_true_random=False))
def test_verdicts_do_not_depend_on_order(acct: AccountData, rnd: random.Random) -> None:
    def shuffled(items: tuple[T, ...]) -> tuple[T, ...]:
        out = list(items)
        rnd.shuffle(out)
        return tuple(out)

    mixed = replace(acct, policies=shuffled(acct.policies), groups=shuffled(acct.groups),
                    memberships=shuffled(acct.memberships), users=shuffled(acct.users),
                    roles=shuffled(acct.roles), instances=shuffled(acct.instances))
    assert verdicts(mixed) == verdicts(acct)
    for subject in SUBJECTS:  # the whole explanation, not only the verdict
        for inst in acct.instances:
            assert decide(mixed, REQ, subject, inst, AT) == decide(acct, REQ, subject, inst, AT)
    result = decide_account(mixed, REQ, AT, subjects=SUBJECTS)
    for (subject, iid), expected in verdicts(acct).items():
        assert result.verdict(subject, iid) is expected
