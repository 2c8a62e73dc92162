"""S1-S8: which instances a policy's resource covers."""

from __future__ import annotations

import pytest

from iamcheck.decide import NearMissKind, UncertainKind, Verdict, decide
from iamcheck.model import Attribute, AttributeValue
from tests.unit.decide_builders import (
    ADMIN,
    ALICE,
    AT,
    CONSOLE,
    CONSOLE_ACTION,
    OPERATE,
    OPERATOR,
    REQ,
    full,
    instance,
    one_user,
    policy,
    verdict_of,
)

IID = "0717_abcd-1234"


def on(*resource: Attribute | tuple[str, AttributeValue], tags: tuple[Attribute, ...] = (),
       inst_tags: tuple[str, ...] = ()) -> Verdict:
    """The verdict for Alice with Operator + Console Administrator on `resource`."""
    inst = instance(IID, rg="rg-a", region="us-south", vpc="vpc-1", tags=inst_tags)
    acct = one_user(full("p1", ALICE, resource=resource, tags=tags), inst=inst)
    return verdict_of(acct, ALICE, inst)


def test_s1_account_must_be_this_account() -> None:
    assert on(("serviceName", "is")) is Verdict.ALLOW
    other = policy("p1", ALICE, OPERATOR, CONSOLE, account=False,
                   resource=[("accountId", "another-account"), ("serviceName", "is")])
    d = decide(one_user(other), REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert (d.near_misses[0].kind, d.near_misses[0].rule) == (NearMissKind.WRONG_SCOPE, "S1")


@pytest.mark.parametrize("resource", [
    [("serviceType", "service")],  # all IAM-enabled services
    [("resourceGroupId", "rg-a")],  # no serviceName: all services in the group
    [],  # the account only
])
def test_s2_all_services_policies_supply_operate_never_console(
        resource: list[tuple[str, str]]) -> None:
    acct = one_user(policy("p1", ALICE, ADMIN, CONSOLE, resource=resource))
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY
    assert [g.action for g in d.grants] == [OPERATE]
    miss = d.near_misses[0]
    assert (miss.kind, miss.rule) == (NearMissKind.SERVICE_ROLE_ALL_SERVICES, "S2")


def test_s2_another_service_does_not_match_and_is_no_near_miss() -> None:
    d = decide(one_user(full("p1", ALICE, resource=[("serviceName", "cloud-object-storage")])),
               REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.DENY and d.near_misses == ()
    assert on(("serviceType", "platform_service")) is Verdict.DENY


def test_s2_a_child_service_name_is_uncertain() -> None:
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is.instance")]))
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert (d.uncertain[0].kind, d.uncertain[0].rule) == (UncertainKind.SERVICE_NAME, "S2")


def test_s3_resource_group_must_be_the_instances() -> None:
    assert on(("serviceName", "is"), ("resourceGroupId", "rg-a")) is Verdict.ALLOW
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"),
                                                ("resourceGroupId", "rg-b")]))
    d = decide(acct, REQ, ALICE, instance(rg="rg-a"), AT)
    assert d.verdict is Verdict.DENY
    miss = d.near_misses[0]
    assert (miss.kind, miss.rule, miss.actions) == (NearMissKind.WRONG_SCOPE, "S3", REQ.actions)
    assert "rg-a" in miss.detail and "rg-b" in miss.detail


@pytest.mark.parametrize(("operator", "value", "expected"), [
    ("stringEquals", IID, Verdict.ALLOW),
    ("stringEquals", "0717_abcd-9999", Verdict.DENY),
    ("stringEquals", "*", Verdict.ALLOW),
    ("stringEquals", IID.upper(), Verdict.DENY),  # case-sensitive
    ("stringExists", True, Verdict.ALLOW),
    ("stringExists", False, Verdict.DENY),
    ("stringMatch", "0717_abcd-*", Verdict.ALLOW),
    ("stringMatch", "0717_abcd-123?", Verdict.ALLOW),
    ("stringMatch", "0717_abcd-12?", Verdict.DENY),
    ("stringMatch", "0717_ABCD-*", Verdict.DENY),
    ("stringMatch", "*{{*}}", Verdict.DENY),  # {{*}} is a literal star
    ("stringEqualsAnyOf", ("x", IID), Verdict.ALLOW),
    ("stringEqualsAnyOf", ("x", "y"), Verdict.DENY),
    ("stringMatchAnyOf", ("x*", "0717_*"), Verdict.ALLOW),
    ("stringMatchAnyOf", ("x*", "y?"), Verdict.DENY),
])
def test_s4_instance_id_operators(operator: str, value: AttributeValue,
                                  expected: Verdict) -> None:
    assert on(("serviceName", "is"), Attribute("instanceId", operator, value)) is expected


def test_s4_an_unknown_operator_is_uncertain_not_a_match() -> None:
    assert on(("serviceName", "is"), Attribute("instanceId", "stringStartsWith", "0717")) \
        is Verdict.UNKNOWN


def test_s5_region_must_be_the_instances() -> None:
    assert on(("serviceName", "is"), ("region", "us-south")) is Verdict.ALLOW
    assert on(("serviceName", "is"), ("region", "eu-de")) is Verdict.DENY


def test_s6_a_vpc_scope_does_not_reach_its_instances() -> None:
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), ("vpcId", "vpc-1")]))
    d = decide(acct, REQ, ALICE, instance(vpc="vpc-1"), AT)
    assert d.verdict is Verdict.DENY
    assert (d.near_misses[0].kind, d.near_misses[0].rule) == (NearMissKind.VPC_SCOPE, "S6")
    other_vpc = decide(acct, REQ, ALICE, instance(vpc="vpc-2"), AT)
    assert other_vpc.near_misses[0].kind is NearMissKind.WRONG_SCOPE


def test_s7_every_policy_tag_must_be_on_the_instance() -> None:
    prod = Attribute("env", "stringEquals", "prod")
    web = Attribute("team", "stringMatch", "web-*")
    assert on(("serviceName", "is"), tags=(prod, web),
              inst_tags=("env:prod", "team:web-eu", "x:y")) is Verdict.ALLOW
    assert on(("serviceName", "is"), tags=(prod, web), inst_tags=("env:prod",)) is Verdict.DENY
    assert on(("serviceName", "is"), tags=(prod,), inst_tags=("env:production",)) is Verdict.DENY
    assert on(("serviceName", "is"), tags=(prod,), inst_tags=("env:Prod",)) is Verdict.DENY


def test_s7_missing_tag_is_a_wrong_scope_near_miss() -> None:
    tag = Attribute("env", "stringEquals", "prod")
    acct = one_user(full("p1", ALICE, tags=(tag,)), inst=instance(tags=("env:dev",)))
    d = decide(acct, REQ, ALICE, acct.instances[0], AT)
    assert (d.near_misses[0].kind, d.near_misses[0].rule) == (NearMissKind.WRONG_SCOPE, "S7")


def test_s8_an_unknown_attribute_is_uncertain_never_ignored() -> None:
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), ("subnetId", "s-1")]))
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert (d.uncertain[0].kind, d.uncertain[0].rule) == (UncertainKind.ATTRIBUTE, "S8")
    assert "subnetId" in d.uncertain[0].detail


def test_s8_a_mismatch_elsewhere_still_denies() -> None:
    acct = one_user(full("p1", ALICE, resource=[("serviceName", "is"), ("subnetId", "s-1"),
                                                ("region", "eu-de")]))
    assert verdict_of(acct) is Verdict.DENY
    assert CONSOLE_ACTION in decide(acct, REQ, ALICE, instance(), AT).missing
