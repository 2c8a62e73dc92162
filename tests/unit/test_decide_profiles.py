"""P5: trusted profiles are subjects of their own; users may apply them through claim rules;
linked compute resources hold what the profile holds."""

from __future__ import annotations

from dataclasses import replace

from iamcheck.decide import UncertainKind, Verdict, decide, decide_account
from iamcheck.decide.subjects import all_subjects
from iamcheck.model import LayerGap, Membership, ProfileLink
from tests.unit.decide_builders import (
    ALICE,
    AT,
    BOB,
    FED_REALM,
    OPERATOR,
    OPS,
    PROFILE,
    REQ,
    ROBOT,
    account,
    claims_for,
    full,
    group,
    instance,
    policy,
    saml_rule,
    trusted_profile,
    user,
)

VSI = ProfileLink("VSI", "crn:v1:bluemix:public:is:us-south-1:a/x::instance:0717_tool-1",
                  name="tooling-vm")
IKS = ProfileLink("IKS_SA", "crn:v1:bluemix:public:containers-kubernetes:us-south:a/x:c1::",
                  namespace="ops", resource_name="runner")
PROFILED = account(users=[user(), user(BOB)],
                   profiles=[trusted_profile(rules=[saml_rule()], links=[VSI, IKS])],
                   policies=[full("prof", PROFILE)], instances=[instance()])


def test_a_profile_is_a_subject_decided_by_its_own_policies() -> None:
    d = decide(PROFILED, REQ, PROFILE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert "trusted profile sre-oncall" in d.reasons[0].text
    assert PROFILE in all_subjects(PROFILED)


def test_a_user_who_may_apply_it_is_uncertain_without_claims() -> None:
    d = decide(PROFILED, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    (path,) = [p for p in d.uncertain if p.kind is UncertainKind.PROFILE]
    assert path.rule == "P5"
    for part in ("sre-oncall", "sre from the IdP", FED_REALM, "groups CONTAINS sre", "4 h"):
        assert part in path.detail, part


def test_claims_settle_the_profile_rule() -> None:
    yes = claims_for(ALICE, groups=["sre", "dev"])
    d = decide(PROFILED, REQ, ALICE, instance(), AT, claims=yes)
    assert d.verdict is Verdict.ALLOW
    assert {g.via.kind for g in d.grants} == {"profile"}
    assert any(r.rule == "P5" for r in d.reasons)
    no = claims_for(ALICE, groups=["dev"])
    assert decide(PROFILED, REQ, ALICE, instance(), AT, claims=no).verdict is Verdict.DENY
    assert decide(PROFILED, REQ, BOB, instance(), AT, claims=yes).verdict is Verdict.UNKNOWN


def test_the_profile_is_applied_alone_not_combined_with_the_users_own_rights() -> None:
    # the user has operate, the profile only console: applying the profile does not add up
    acct = account(users=[user()], profiles=[trusted_profile(rules=[saml_rule()])],
                   policies=[policy("own", ALICE, OPERATOR),
                             policy("prof", PROFILE, "crn:v1:bluemix:public:is::::serviceRole:"
                                                     "VirtualServerConsoleAdmin")],
                   instances=[instance()])
    yes = claims_for(ALICE, groups=["sre"])
    assert decide(acct, REQ, ALICE, instance(), AT, claims=yes).verdict is Verdict.DENY
    assert decide(acct, REQ, ALICE, instance(), AT).verdict is Verdict.DENY


def test_service_ids_and_profiles_never_apply_profiles_by_rule() -> None:
    acct = account(users=[user()], profiles=PROFILED.profiles, policies=PROFILED.policies,
                   instances=[instance()])
    assert decide(acct, REQ, ROBOT, instance(), AT).verdict is Verdict.DENY


def test_a_profile_without_access_is_no_path() -> None:
    acct = account(users=[user()], profiles=[trusted_profile(rules=[saml_rule()])],
                   instances=[instance()])
    assert decide(acct, REQ, ALICE, instance(), AT).verdict is Verdict.DENY


def test_profiles_may_be_group_members() -> None:
    acct = account(users=[user()], profiles=[trusted_profile(rules=[saml_rule()])],
                   groups=[group()], memberships=[Membership(OPS, PROFILE)],
                   policies=[full("g", OPS)], instances=[instance()])
    assert decide(acct, REQ, PROFILE, instance(), AT).verdict is Verdict.ALLOW
    assert decide(acct, REQ, ALICE, instance(), AT).verdict is Verdict.UNKNOWN


def test_linked_compute_resources_are_holders_of_kind_profile_link() -> None:
    result = decide_account(PROFILED, REQ, AT)
    assert result.holders(instance().id) == (PROFILE,)
    holders = result.link_holders(instance().id)
    assert [(h.kind, h.cr_type, h.crn) for h in holders] == [
        ("profile link", "VSI", VSI.crn), ("profile link", "IKS_SA", IKS.crn)]
    assert "ops/runner" in holders[1].describe()


def test_profiles_unread_make_a_users_deny_unknown_but_keep_allows() -> None:
    acct = replace(account(users=[user(), user(BOB)], policies=[full("own", BOB)],
                           instances=[instance()]),
                   layer_gaps=(LayerGap("trusted_profiles", "HTTP 403"),))
    alice = decide(acct, REQ, ALICE, instance(), AT)
    assert alice.verdict is Verdict.UNKNOWN
    assert alice.reasons[0].rule == "V5" and "trusted profiles" in alice.reasons[0].text
    assert alice.reasons[1].rule == "V3"  # then why the policies deny
    assert decide(acct, REQ, BOB, instance(), AT).verdict is Verdict.ALLOW
    result = decide_account(acct, REQ, AT)
    assert result.verdict(ALICE, instance().id) is Verdict.UNKNOWN
    assert result.verdict(BOB, instance().id) is Verdict.ALLOW


def test_decide_account_agrees_for_profiles() -> None:
    for claims in (None, claims_for(ALICE, groups=["sre"]), claims_for("*", groups=["x"])):
        result = decide_account(PROFILED, REQ, AT, claims=claims)
        assert set(result.subjects) == {ALICE, BOB, PROFILE}
        for subject in result.subjects:
            assert result.verdict(subject, instance().id) is decide(
                PROFILED, REQ, subject, instance(), AT, claims=claims).verdict
        allowed = [s for s in result.subjects if result.verdict(s, instance().id)
                   is Verdict.ALLOW]
        for subject in allowed:
            assert result.grants(subject, instance().id) == decide(
                PROFILED, REQ, subject, instance(), AT, claims=claims).grants


def test_claims_that_cannot_settle_the_rule_say_so() -> None:
    odd = saml_rule(operator="EQUALS", value="sre")  # EQUALS against a list: undocumented
    acct = account(users=[user()], profiles=[trusted_profile(rules=[odd])],
                   policies=[full("prof", PROFILE)], instances=[instance()])
    d = decide(acct, REQ, ALICE, instance(), AT, claims=claims_for(ALICE, groups=["sre"]))
    assert d.verdict is Verdict.UNKNOWN
    assert "cannot settle" in next(p for p in d.uncertain if p.rule == "P5").detail
