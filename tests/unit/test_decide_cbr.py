"""G1: CBR rules that cover an instance are named in its verdicts; --strict-context turns an
allow they cover into unknown; the IAM verdict otherwise stays."""

from __future__ import annotations

from dataclasses import replace

from iamcheck.decide import Verdict, covering_rules, decide, decide_account
from iamcheck.model import (
    AccountData,
    CbrAddress,
    CbrAttribute,
    CbrContext,
    CbrResource,
    CbrRule,
    CbrZone,
    LayerGap,
)
from tests.unit.decide_builders import ACCOUNT, ALICE, AT, REQ, full, instance, one_user

ZONE = CbrZone("zone-1", "office", (CbrAddress("ipRange", "10.0.0.1-10.0.0.9"),
                                    CbrAddress("subnet", "192.168.0.0/24")))
CONTEXT = CbrContext((CbrAttribute("networkZoneId", "zone-1"),
                      CbrAttribute("endpointType", "private,direct"),
                      CbrAttribute("mfa", "LEVEL2")))


def rule(rid: str, mode: str = "enabled", *attrs: tuple[str, str]) -> CbrRule:
    base = (CbrAttribute("accountId", ACCOUNT), CbrAttribute("serviceName", "is"))
    return CbrRule(rid, mode, (CONTEXT,),
                   (CbrResource(base + tuple(CbrAttribute(k, v) for k, v in attrs)),))


def with_rules(*rules: CbrRule) -> AccountData:
    return replace(one_user(full("p1", ALICE)), cbr_rules=rules, cbr_zones=(ZONE,))


def test_which_rules_cover_an_instance() -> None:
    inst = instance()
    rules = [rule("r-all"), rule("r-mine", "enabled", ("instanceId", inst.id)),
             rule("r-other", "enabled", ("instanceId", "0717_other")),
             rule("r-rg", "enabled", ("resourceGroupId", "rg-b")),
             rule("r-region", "report", ("region", "us-south")),
             rule("r-off", "disabled"),
             rule("r-odd", "enabled", ("vpcId", "vpc-1")),
             CbrRule("r-cos", "enabled", (CONTEXT,), (CbrResource(
                 (CbrAttribute("serviceName", "cloud-object-storage"),)),))]
    found = covering_rules(rules, [ZONE], inst, ACCOUNT)
    assert [(c.rule_id, c.mode, c.certain) for c in found] == [
        ("r-all", "enabled", True), ("r-mine", "enabled", True), ("r-odd", "enabled", False),
        ("r-region", "report", True)]
    text = found[0].describe()
    for part in ("10.0.0.1-10.0.0.9", "192.168.0.0/24", "private or direct", "MFA LEVEL2"):
        assert part in text, part
    assert "report-only" in found[-1].describe()


def test_the_iam_verdict_stays_and_names_the_rule() -> None:
    acct = with_rules(rule("r-all"), rule("r-rep", "report"))
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert [c.rule_id for c in d.context_rules] == ["r-all", "r-rep"]
    assert [r.rule for r in d.reasons if r.rule == "G1"] == ["G1", "G1"]
    assert d.as_dict()["context_rules"][0]["rule_id"] == "r-all"


def test_strict_context_turns_an_enforced_allow_unknown() -> None:
    acct = with_rules(rule("r-all"))
    d = decide(acct, REQ, ALICE, instance(), AT, strict_context=True)
    assert d.verdict is Verdict.UNKNOWN and d.reasons[0].rule == "G1"
    assert any("--strict-context" in r.text for r in d.reasons)
    assert decide_account(acct, REQ, AT, strict_context=True).verdict(
        ALICE, instance().id) is Verdict.UNKNOWN


def test_report_only_and_disabled_rules_do_not_block_even_when_strict() -> None:
    acct = with_rules(rule("r-rep", "report"), rule("r-off", "disabled"))
    assert decide(acct, REQ, ALICE, instance(), AT, strict_context=True).verdict \
        is Verdict.ALLOW
    assert decide_account(acct, REQ, AT, strict_context=True).verdict(
        ALICE, instance().id) is Verdict.ALLOW


def test_cbr_unread_is_named_and_blocks_only_when_strict() -> None:
    acct = replace(one_user(full("p1", ALICE)), layer_gaps=(LayerGap("cbr", "HTTP 403"),))
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.ALLOW
    assert any(r.rule == "V5" and "context-based restriction" in r.text for r in d.reasons)
    assert decide(acct, REQ, ALICE, instance(), AT, strict_context=True).verdict \
        is Verdict.UNKNOWN
    assert decide_account(acct, REQ, AT, strict_context=True).verdict(
        ALICE, instance().id) is Verdict.UNKNOWN


def test_a_deny_stays_a_deny() -> None:
    acct = replace(with_rules(rule("r-all")), policies=())
    assert decide(acct, REQ, ALICE, instance(), AT, strict_context=True).verdict is Verdict.DENY
