"""P3 (rev 2): dynamic rules are uncertain paths for every user not in the group; --claims
settles them for the users it covers."""

from __future__ import annotations

from iamcheck.decide import UncertainKind, Verdict, decide, decide_account
from iamcheck.model import GroupRule, Membership, RuleClaim, ServiceId
from tests.unit.decide_builders import (
    ALICE,
    AT,
    BOB,
    FED_REALM,
    OPS,
    REQ,
    ROBOT,
    account,
    claims_for,
    fed_rule,
    full,
    group,
    instance,
    user,
)

SECOND = GroupRule("ClaimRule-2", "leads", "appid://A1B2", 24,
                   (RuleClaim("role", "IN", '["lead", "manager"]'),))
ACCT = account(users=[user(), user(BOB, realm="SL")], service_ids=[ServiceId(ROBOT, "robot")],
               groups=[group(rules=[fed_rule(), SECOND])], policies=[full("p1", OPS)],
               instances=[instance()])


def test_each_rule_is_an_uncertain_path_naming_group_rule_realm_expiration_conditions() -> None:
    for subject in (ALICE, BOB):  # whatever realm User Management reports
        d = decide(ACCT, REQ, subject, instance(), AT)
        assert d.verdict is Verdict.UNKNOWN
        paths = [p for p in d.uncertain if p.kind is UncertainKind.DYNAMIC_GROUP]
        assert [p.via.rule_id for p in paths if p.via] == ["ClaimRule-1", "ClaimRule-2"]
        first = paths[0].detail
        for part in ("group ops", "operators from the IdP", "ClaimRule-1", FED_REALM, "12 h",
                     "groups CONTAINS vm-operators"):
            assert part in first, part
        assert "appid://A1B2" in paths[1].detail and 'role IN ["lead", "manager"]' \
            in paths[1].detail
        assert paths[0].rule == "P3" and d.reasons[0].rule == "V2"


def test_service_ids_never_join_by_rule() -> None:
    assert decide(ACCT, REQ, ROBOT, instance(), AT).verdict is Verdict.DENY
    assert decide(ACCT, REQ, "IBMid-not-in-the-account", instance(), AT).verdict is Verdict.DENY


def test_current_dynamic_members_stay_certain_whatever_the_claims() -> None:
    acct = account(users=[user()], groups=[group(rules=[fed_rule()])],
                   memberships=[Membership(OPS, ALICE, how="dynamic")],
                   policies=[full("p1", OPS)], instances=[instance()])
    no_match = claims_for("*", groups=["nothing"])
    assert decide(acct, REQ, ALICE, instance(), AT, claims=no_match).verdict is Verdict.ALLOW


def test_claims_that_match_make_the_path_certain() -> None:
    claims = claims_for(ALICE, groups=["vm-operators", "dev"])
    d = decide(ACCT, REQ, ALICE, instance(), AT, claims=claims)
    assert d.verdict is Verdict.ALLOW
    assert d.grants[0].via.by_claims and d.grants[0].via.dynamic_rule == "operators from the IdP"
    assert any(r.rule == "P3" and "by the claims given" in r.text for r in d.reasons)


def test_claims_that_do_not_match_make_it_a_deny() -> None:
    claims = claims_for(ALICE, groups=["dev"])
    assert decide(ACCT, REQ, ALICE, instance(), AT, claims=claims).verdict is Verdict.DENY
    other_idp = claims_for(ALICE, realm="https://elsewhere.example.com", groups=["vm-operators"])
    assert decide(ACCT, REQ, ALICE, instance(), AT, claims=other_idp).verdict is Verdict.DENY
    no_idp = claims_for(ALICE, realm=None)
    assert decide(ACCT, REQ, ALICE, instance(), AT, claims=no_idp).verdict is Verdict.DENY


def test_users_the_file_does_not_cover_stay_uncertain() -> None:
    claims = claims_for(ALICE, groups=["dev"])
    assert decide(ACCT, REQ, BOB, instance(), AT, claims=claims).verdict is Verdict.UNKNOWN
    everyone = claims_for("*", groups=["dev"])
    assert decide(ACCT, REQ, BOB, instance(), AT, claims=everyone).verdict is Verdict.DENY


def test_by_email_too() -> None:
    claims = claims_for(f"{ALICE.lower()}@EXAMPLE.com", groups=["vm-operators"])
    assert decide(ACCT, REQ, ALICE, instance(), AT, claims=claims).verdict is Verdict.ALLOW


def test_an_operator_iamcheck_does_not_know_stays_uncertain() -> None:
    odd = GroupRule("ClaimRule-9", "odd", FED_REALM, 1, (RuleClaim("groups", "REGEX", "v.*"),))
    acct = account(users=[user()], groups=[group(rules=[odd])], policies=[full("p1", OPS)],
                   instances=[instance()])
    claims = claims_for(ALICE, groups="vm-operators")
    d = decide(acct, REQ, ALICE, instance(), AT, claims=claims)
    assert d.verdict is Verdict.UNKNOWN
    assert "cannot settle" in d.uncertain[0].detail


def test_decide_account_agrees_with_claims() -> None:
    for claims in (None, claims_for(ALICE, groups=["vm-operators"]), claims_for("*", role="lead")):
        result = decide_account(ACCT, REQ, AT, claims=claims)
        for subject in result.subjects:
            assert result.verdict(subject, instance().id) is decide(
                ACCT, REQ, subject, instance(), AT, claims=claims).verdict, (subject, claims)


def test_rule_exposures_are_one_entry_per_group_rule_with_who_and_what() -> None:
    insts = [instance("0717_a-1"), instance("0717_b-1", rg="rg-b")]
    acct = account(users=[user(), user(BOB)], groups=[group(rules=[fed_rule(), SECOND])],
                   memberships=[Membership(OPS, BOB, how="dynamic")],
                   policies=[full("p1", OPS, resource=[("serviceName", "is"),
                                                        ("resourceGroupId", "rg-a")])],
                   instances=insts)
    claims = claims_for(ALICE, groups=["vm-operators"])
    exposures = decide_account(acct, REQ, AT, claims=claims).rule_exposures()
    assert [(e.holder_name, e.rule_id) for e in exposures] == [
        ("ops", "ClaimRule-1"), ("ops", "ClaimRule-2")]
    first, second = exposures
    assert first.gives == ("0717_a-1",) and first.may_give == ()
    assert first.admitted == (ALICE,) and first.undecided == ()  # Bob is in it already
    assert second.admitted == () and second.undecided == ()  # the claims exclude Alice
    assert first.who() == f"anyone who signs in through {FED_REALM} with groups CONTAINS " \
        "vm-operators"
    plain = decide_account(acct, REQ, AT).rule_exposures()
    assert plain[0].undecided == (ALICE,) and plain[1].undecided == (ALICE,)
    result = decide_account(acct, REQ, AT, claims=claims)
    assert result.decided_with_claims(ALICE) and not result.decided_with_claims(BOB)
