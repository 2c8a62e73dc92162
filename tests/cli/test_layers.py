"""Trusted profiles (P5) and context-based restrictions (G1) end to end: the real CLI against
the served emulator, which reads them through IamIdentityV1 and ContextBasedRestrictionsV1 and
enforces CBR rules on the console token endpoint (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamcheck.claims import parse_claims
from iamcheck.decide import Verdict, decide
from iamcheck.read.account import read_account
from iamcheck.requirement import load_requirement
from tests.cli.conftest import Invoke, Run
from tests.conftest import MINI_KEY, Emulator, session_for
from tests.support.layers_seed import (
    DISABLED,
    ENFORCED,
    IDP,
    IGNORED,
    LINKED,
    NOREAD,
    NOREAD_KEY,
    OPS_KEY,
    PROFILE_IAM,
    REPORT,
    REPORTED,
    SRE,
    WALLED,
    layers_seed,
)


@pytest.fixture
def run(emulator: Emulator, cli: Invoke) -> Invoke:
    emulator.load(layers_seed())

    def invoke(*args: str, apikey: str = MINI_KEY) -> Run:
        return cli(*args, env={"IBMCLOUD_API_KEY": apikey, "IAMCHECK_ENDPOINT": emulator.url})

    return invoke


def flat(text: str) -> str:
    """The text with its line wrapping undone, so that assertions read it as a person does."""
    return " ".join(text.split())


def _reasons(doc: dict[str, Any], rule: str) -> list[str]:
    return [r["text"] for r in doc["reasons"] if r["rule"] == rule]


# --- P5: trusted profiles -----------------------------------------------------------------

def test_a_user_who_gets_in_only_through_a_profile_is_unknown_without_claims(run: Invoke) -> None:
    got = run("check", "-u", "sre@example.com", "-i", WALLED["name"], "-f", "json")
    assert got.exit_code == 3, got.stderr
    doc = got.json()
    assert doc["verdict"] == "unknown"
    paths = [u for u in doc["uncertain"] if u["rule"] == "P5"]
    assert paths and "sre-oncall" in paths[0]["detail"] and "--claims" in paths[0]["detail"]
    # where the profile has nothing, it opens no path: the user stays denied
    other = run("check", "-u", "sre@example.com", "-i", REPORTED["name"], "-q")
    assert other.exit_code == 1


def test_matching_claims_make_it_allow_and_others_deny(emulator: Emulator) -> None:
    # --claims is not in this tree yet: the claims path through the decision, as read
    emulator.load(layers_seed())
    session = session_for(emulator)
    account = read_account(session, session.caller().account_id, "is")
    walled = next(i for i in account.instances if i.id == WALLED["id"])
    req, at = load_requirement(), account.read_at

    def verdict(groups: list[str], realm: str = IDP) -> Verdict:
        claims = parse_claims(json.dumps(
            {"sre@example.com": {"realm": realm, "claims": {"groups": groups}}}))
        return decide(account, req, SRE, walled, at, claims=claims).verdict

    assert verdict(["dev", "sre"]) is Verdict.ALLOW
    assert verdict(["dev"]) is Verdict.DENY
    assert verdict(["sre"], realm="https://elsewhere.example.org/saml") is Verdict.DENY
    allowed = decide(account, req, SRE, walled, at, claims=parse_claims(json.dumps(
        {"sre@example.com": {"realm": IDP, "claims": {"groups": ["sre"]}}})))
    assert any(r.rule == "P5" and "sre-oncall" in r.text for r in allowed.reasons)


def test_the_audit_lists_the_profile_who_may_apply_it_and_the_linked_holder(run: Invoke) -> None:
    got = run("audit", "-f", "json")
    assert got.exit_code == 0, got.stderr
    doc = got.json()
    profile = next(s for s in doc["subjects"] if s["iam_id"] == PROFILE_IAM)
    assert profile["kind"] == "trusted_profile" and profile["name"] == "sre-oncall"
    (rule,) = profile["may_apply"]
    assert rule["realm"] == IDP and rule["type"] == "Profile-SAML"
    assert rule["conditions"] == [{"claim": "groups", "operator": "CONTAINS",
                                   "value": "\"sre\""}]
    assert [x["crn"] for x in profile["linked"]] == [LINKED["crn"]]
    assert profile["can_open"]  # the profile itself is a holder, like a service ID
    walled = next(i for i in doc["instances"] if i["id"] == WALLED["id"])
    (holder,) = walled["link_holders"]
    assert holder["kind"] == "profile link" and holder["crn"] == LINKED["crn"]
    assert holder["instance"] == LINKED["name"] and holder["verdict"] == "allow"
    assert not next(i for i in doc["instances"] if i["id"] == REPORTED["id"])["link_holders"]
    text = " ".join(run("audit").stdout.split())  # as read, whatever the wrapping
    assert "Trusted profiles (P5)" in text and "sre-oncall" in text
    assert f"signs in through {IDP} with groups CONTAINS" in text
    assert "profile link" in text and f"VSI {LINKED['name']}" in text


# --- G1: context-based restrictions -------------------------------------------------------

def test_an_enforced_rule_is_named_in_check_and_strict_context_exits_3(run: Invoke) -> None:
    got = run("check", "-u", "noread@example.com", "-i", WALLED["name"], "-f", "json")
    assert got.exit_code == 0, got.stderr
    doc = got.json()
    assert doc["verdict"] == "allow"
    (rule,) = doc["context_rules"]
    assert rule["rule_id"] == ENFORCED and rule["mode"] == "enabled"
    assert any(ENFORCED in t and "10.0.0.0/8" in t for t in _reasons(doc, "G1"))
    text = flat(run("check", "-u", "noread@example.com", "-i", WALLED["name"]).stdout)
    assert f"CBR rule {ENFORCED} also requires" in text and "subnet 10.0.0.0/8" in text
    strict = run("check", "-u", "noread@example.com", "-i", WALLED["name"], "--strict-context",
                 "-f", "json")
    assert strict.exit_code == 3
    assert strict.json()["verdict"] == "unknown"
    assert "--strict-context" in strict.json()["reasons"][0]["text"]


def test_report_only_rules_are_named_and_disabled_ones_ignored(run: Invoke) -> None:
    report = run("check", "-u", "noread@example.com", "-i", REPORTED["name"], "--strict-context",
                 "-f", "json")
    assert report.exit_code == 0, report.stderr
    (rule,) = report.json()["context_rules"]
    assert rule["rule_id"] == REPORT and rule["mode"] == "report"
    assert any("report-only" in t for t in _reasons(report.json(), "G1"))
    ignored = run("check", "-u", "noread@example.com", "-i", IGNORED["name"], "--strict-context",
                  "-f", "json")
    assert ignored.exit_code == 0
    assert ignored.json()["context_rules"] == [] and not _reasons(ignored.json(), "G1")
    assert DISABLED not in ignored.stdout


@pytest.mark.parametrize("fmt", ["json", "table", "markdown"])
def test_the_audit_names_the_rule_on_the_instance(run: Invoke, fmt: str) -> None:
    got = run("audit", "-f", fmt)
    assert got.exit_code == 0, got.stderr
    if fmt == "json":
        by_id = {i["id"]: i for i in got.json()["instances"]}
        assert [r["rule_id"] for r in by_id[WALLED["id"]]["context_rules"]] == [ENFORCED]
        assert [r["mode"] for r in by_id[REPORTED["id"]]["context_rules"]] == ["report"]
        assert by_id[IGNORED["id"]]["context_rules"] == []
        return
    assert "Context-based restrictions (G1)" in got.stdout
    assert ENFORCED in got.stdout and REPORT in got.stdout and DISABLED not in got.stdout
    assert "report-only" in got.stdout and "10.0.0.0/8" in got.stdout


def test_strict_context_turns_the_audits_covered_allows_unknown(run: Invoke) -> None:
    def verdicts(*extra: str) -> dict[str, str]:
        doc = run("audit", "-f", "json", "-u", "noread@example.com", *extra).json()
        names = [i["id"] for i in doc["instances"]]
        scopes = {s["id"]: [names[k] for k in s["instances"]] for s in doc["scopes"]}
        (subject,) = doc["subjects"]
        out = dict.fromkeys(names, "deny")
        out |= {i: "unknown" for ref in subject["unknown"] for i in scopes[ref]}
        out |= {i: "allow" for e in subject["can_open"] for i in scopes[e["scope"]]}
        return out

    assert set(verdicts().values()) == {"allow"}
    strict = verdicts("--strict-context")
    assert strict[WALLED["id"]] == "unknown"
    assert {strict[i["id"]] for i in (REPORTED, IGNORED, LINKED)} == {"allow"}


def test_the_preflight_warns_and_the_emulator_refuses_outside_the_zone(run: Invoke) -> None:
    pre = run("console", WALLED["name"], "--preflight-only", apikey=OPS_KEY)
    assert pre.exit_code == 0, pre.stderr
    assert f"WARN allowed by IAM; CBR rule {ENFORCED} also requires: a request from zone " \
           "office (subnet 10.0.0.0/8)" in flat(pre.stdout)
    assert run("console", WALLED["name"], "--preflight-only", "--strict-context",
               apikey=OPS_KEY).exit_code == 3
    opened = run("console", WALLED["name"], "--url-only", apikey=OPS_KEY)
    assert opened.exit_code == 4
    assert ENFORCED in opened.stderr and "context-based restriction" in flat(opened.stderr)
    assert opened.stdout.count("wss://") == 0
    # report-only: named, not a WARN, and the emulator lets the console through
    report = run("console", REPORTED["name"], "--preflight-only", apikey=OPS_KEY)
    assert report.exit_code == 0 and "WARN allowed by IAM" not in flat(report.stdout)
    assert f"CBR rule {REPORT} (report-only" in flat(report.stdout)
    assert run("console", REPORTED["name"], "--url-only", apikey=OPS_KEY).exit_code == 0
    assert run("console", IGNORED["name"], "--url-only", apikey=OPS_KEY).exit_code == 0


# --- V5: layers the caller may not read ---------------------------------------------------

def test_a_caller_who_may_not_read_cbr_gets_a_named_gap_never_a_strict_allow(
        run: Invoke) -> None:
    got = run("check", "-i", WALLED["name"], "-f", "json", apikey=NOREAD_KEY)
    assert got.exit_code == 0, got.stderr  # IAM's verdict stands (G1)
    doc = got.json()
    assert [g["layer"] for g in doc["layer_gaps"]] == ["cbr"]
    assert any("context-based restriction rules could not be read" in t
               for t in _reasons(doc, "V5"))
    strict = run("check", "-i", IGNORED["name"], "--strict-context", "-q", apikey=NOREAD_KEY)
    assert strict.exit_code == 3  # no allow built on the rules it could not read
    pre = run("console", WALLED["name"], "--preflight-only", apikey=NOREAD_KEY)
    assert pre.exit_code == 0
    assert "context-based restriction rules could not be read" in flat(pre.stdout)


def test_a_caller_who_may_not_read_profiles_keeps_a_denied_user_unknown(run: Invoke) -> None:
    got = run("check", "-u", "sre@example.com", "-i", REPORTED["name"], "-f", "json",
              apikey=OPS_KEY)
    assert got.exit_code == 3, got.stderr
    doc = got.json()
    assert [g["layer"] for g in doc["layer_gaps"]] == ["trusted_profiles"]
    assert doc["reasons"][0]["rule"] == "V5"
    assert "trusted profiles could not be read" in doc["reasons"][0]["text"]
    assert NOREAD  # the owner, who reads everything, finds the same user denied there
    assert run("check", "-u", "sre@example.com", "-i", REPORTED["name"], "-q").exit_code == 1


def test_a_snapshot_carries_profiles_rules_and_layer_gaps(run: Invoke, tmp_path: Any) -> None:
    saved = tmp_path / "account.json"
    assert run("snapshot", "-o", str(saved)).exit_code == 0
    offline = run("audit", "--from-snapshot", str(saved), "-f", "json").json()
    online = run("audit", "-f", "json").json()
    for key in ("layer_gaps",):
        assert offline[key] == online[key]
    assert [i["context_rules"] for i in offline["instances"]] == \
        [i["context_rules"] for i in online["instances"]]
    assert [s for s in offline["subjects"] if s["kind"] == "trusted_profile"] == \
        [s for s in online["subjects"] if s["kind"] == "trusted_profile"]
    strict = run("check", "--from-snapshot", str(saved), "-u", "noread@example.com", "-i",
                 WALLED["name"], "--strict-context", "-q")
    assert strict.exit_code == 3
