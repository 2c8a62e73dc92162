"""Account-level findings: public access, dynamic-rule groups, expired rules, templates."""

from __future__ import annotations

from iamcheck.decide import risks
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData
from tests.unit.decide_builders import (
    ALICE,
    AT,
    BOB,
    CONSOLE,
    OPS,
    REQ,
    VIEWER,
    account,
    fed_rule,
    full,
    group,
    policy,
    public_group,
)
from tests.unit.test_decide_conditions import once

PAST = once("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z")
SOON = once("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")


def kinds(acct: AccountData) -> list[tuple[str, str, str]]:
    return [(f.kind, f.policy_id, f.severity) for f in risks(acct, REQ, AT)]


def test_public_access_policies_on_the_service_are_warnings() -> None:
    acct = account(groups=[public_group()], policies=[
        policy("pub-view", PUBLIC_ACCESS_GROUP_ID, VIEWER),
        full("pub-cos", PUBLIC_ACCESS_GROUP_ID, resource=[("serviceName", "cloud-object-storage")]),
    ])
    found = risks(acct, REQ, AT)
    assert [(f.kind, f.policy_id, f.rule) for f in found] == [("public_access", "pub-view", "P3")]
    assert "everyone" in found[0].detail
    assert found[0].severity == "high"


def test_console_through_a_dynamic_rule_group() -> None:
    acct = account(groups=[group(rules=[fed_rule()]), group("AccessGroupId-static", "static")],
                   policies=[policy("dyn", OPS, CONSOLE), full("static", "AccessGroupId-static"),
                             policy("dyn-view", OPS, VIEWER)])
    found = risks(acct, REQ, AT)
    assert [(f.kind, f.policy_id) for f in found] == [("dynamic_group", "dyn")]
    assert "operators from the IdP" in found[0].detail


def test_expired_but_still_active_policies() -> None:
    acct = account(policies=[full("old", ALICE, rule=PAST), full("future", BOB, rule=SOON),
                             full("gone", ALICE, rule=PAST, state="deleted")])
    found = risks(acct, REQ, AT)
    assert [(f.kind, f.policy_id, f.rule) for f in found] == [("expired_but_active", "old", "P4")]
    assert "2020-02-01" in found[0].detail


def test_template_managed_console_grants_are_info() -> None:
    acct = account(policies=[full("tpl", ALICE, template=True),
                             policy("tpl-view", ALICE, VIEWER, template=True)])
    assert kinds(acct) == [("template_managed", "tpl", "info")]


def test_findings_are_sorted_most_severe_first() -> None:
    # P3 (rev 2): a Public Access policy is always a high-severity finding
    acct = account(groups=[public_group(), group(rules=[fed_rule()])], policies=[
        full("tpl", ALICE, template=True), full("pub", PUBLIC_ACCESS_GROUP_ID),
        full("dyn", OPS)])
    assert kinds(acct) == [("public_access", "pub", "high"), ("dynamic_group", "dyn", "warning"),
                           ("template_managed", "tpl", "info")]
    assert "only for Cloud Object Storage" in risks(acct, REQ, AT)[0].detail


def test_console_through_a_trusted_profile_names_who_may_apply_it() -> None:
    from iamcheck.model import ProfileLink
    from tests.unit.decide_builders import PROFILE, saml_rule, trusted_profile

    link = ProfileLink("VSI", "crn:v1:bluemix:public:is:us-south-1:a/x::instance:0717_t")
    acct = account(profiles=[trusted_profile(rules=[saml_rule()], links=[link])],
                   policies=[full("prof", PROFILE), policy("prof-view", PROFILE, VIEWER)])
    found = risks(acct, REQ, AT)
    assert [(f.kind, f.policy_id, f.rule) for f in found] == [("trusted_profile", "prof", "P5")]
    assert "sre from the IdP" in found[0].detail and link.crn in found[0].detail
