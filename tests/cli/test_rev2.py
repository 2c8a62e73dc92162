"""Revision 2 of the rules end to end on the served demo: --claims through check and audit, a
malformed claims file, the audit's compact dynamic exposure, a DISABLED_CLASSIC_INFRASTRUCTURE
user, and the role catalogue listed under `is.instance` (R2)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from iamcheck.check.run import run_check
from iamcheck.emulator import demo_seed
from iamcheck.inputs import instance_ref, user_ref
from iamcheck.requirement import load_requirement
from tests.cli.conftest import Invoke
from tests.conftest import Emulator, session_for

AT = "2026-11-27T12:00:00+00:00"
SSO = "https://sso.example.com/saml"
JUNIPER = "juniper.abara@example.com"  # not in contractors-sso, whose rule gives pay-staging-01


def _claims(tmp_path: Path, entries: object) -> str:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def test_claims_settle_a_dynamic_rule_in_check(against: Invoke, tmp_path: Path) -> None:
    pair = ("--user", JUNIPER, "--instance", "pay-staging-01", "--at", AT)
    assert against("check", *pair).exit_code == 3  # P3: she may enter at a federated login
    admitted = _claims(tmp_path, {JUNIPER: {"realm": SSO, "claims": {"groups": "contractors"}}})
    assert against("check", *pair, "--claims", admitted).exit_code == 0
    other = _claims(tmp_path, {JUNIPER: {"realm": SSO, "claims": {"groups": "web"}}})
    assert against("check", *pair, "--claims", other).exit_code == 1
    no_idp = _claims(tmp_path, {"*": {"realm": None}})
    assert against("check", *pair, "--claims", no_idp).exit_code == 1


def test_audit_says_who_was_decided_with_claims(against: Invoke, tmp_path: Path) -> None:
    path = _claims(tmp_path, {JUNIPER: {"realm": SSO, "claims": {"groups": "contractors"}}})
    doc = against("audit", "--format", "json", "--at", AT, "--claims", path).json()
    juniper = next(s for s in doc["subjects"] if s.get("email") == JUNIPER)
    assert doc["decided_with_claims"] == [juniper["iam_id"]]
    assert juniper["decided_with_claims"] is True
    instances = [i["name"] for i in doc["instances"]]
    scopes = {s["id"]: {instances[k] for k in s["instances"]} for s in doc["scopes"]}
    opened = set().union(*(scopes[e["scope"]] for e in juniper["can_open"]))
    assert {"pay-staging-01", "data-etl-01"} <= opened  # contractors-sso's two instances
    plain = against("audit", "--format", "json", "--at", AT).json()
    assert "decided_with_claims" not in plain
    # EQUALS against a multi-valued claim is undocumented: the path stays uncertain
    listed = _claims(tmp_path, {JUNIPER: {"realm": SSO, "claims": {"groups": ["contractors"]}}})
    doc = against("audit", "--format", "json", "--at", AT, "--claims", listed).json()
    juniper = next(s for s in doc["subjects"] if s.get("email") == JUNIPER)
    assert not juniper["can_open"] and juniper["unknown"]


def test_a_malformed_claims_file_is_exit_2_before_any_call(demo: Emulator, against: Invoke,
                                                          tmp_path: Path) -> None:
    path = _claims(tmp_path, {"x@example.com": {"realm": SSO, "claims": {"groups": {"a": 1}}}})
    for command in (("check", "--instance", "pay-api-01"), ("audit",),
                    ("console", "pay-api-01"), ("grant", "x@example.com", "--instance",
                                                "pay-api-01", "--dry-run")):
        requests.delete(f"{demo.url}/_emulator/requests", timeout=10).raise_for_status()
        run = against(*command, "--claims", path)
        assert run.exit_code == 2, (command, run.stderr)
        assert '"x@example.com"' in run.stderr and "groups" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert sum(demo.request_counts().values()) == 0, command


def test_audit_names_each_dynamic_rule_once(against: Invoke) -> None:
    doc = against("audit", "--format", "json", "--at", AT).json()
    exposures = {e["group_name"]: e for e in doc["rule_exposures"]}
    assert set(exposures) == {"contractors-sso", "incident-responders"}
    names = [i["name"] for i in doc["instances"]]
    contractors = exposures["contractors-sso"]
    assert {names[k] for k in contractors["gives"]} == {"pay-staging-01", "data-etl-01"}
    assert contractors["realm"] == SSO and "groups EQUALS contractors" in contractors["who"]
    assert JUNIPER in {s.get("email") for s in doc["subjects"]
                       if s["iam_id"] in contractors["undecided"]}
    dynamic = [f for f in doc["findings"] if f["kind"] == "dynamic_group"]
    assert len(dynamic) == 2 and all(f["rule"] == "P3" for f in dynamic)
    table = against("audit", "--at", AT).stdout
    assert f"may: anyone who signs in through {SSO} with groups EQUALS contractors" in table


def test_a_disabled_classic_infrastructure_user_is_decided_by_policies(against: Invoke) -> None:
    user = "wynn.harlow@example.com"
    assert against("check", "--user", user, "--instance", "data-etl-01").exit_code == 0
    assert against("check", "--user", user, "--instance", "pay-api-01").exit_code == 1


def test_roles_listed_under_the_child_service(demo: Emulator) -> None:
    """R2: the `is` answer lists IBM's roles without their actions; check reads `is.instance`
    too and decides as it does when `is` lists them."""
    requirement = load_requirement()
    pairs = [("IBMid-6650001002", "pay-api-01"), ("IBMid-6650001004", "pay-api-01"),
             ("IBMid-6650001001", "pay-api-01"), ("IBMid-6650001008", "data-etl-01")]
    before = {p: run_check(session_for(demo), requirement, user_ref(p[0]),
                           instance_ref(p[1])).decision.verdict for p in pairs}
    seed = demo_seed()
    seed["vpc_roles_listed_under"] = "is.instance"
    demo.load(seed)
    for pair, verdict in before.items():
        requests.delete(f"{demo.url}/_emulator/requests", timeout=10).raise_for_status()
        got = run_check(session_for(demo), requirement, user_ref(pair[0]), instance_ref(pair[1]))
        assert got.decision.verdict is verdict, pair
        assert demo.request_counts().get("GET /v2/roles") == 2  # is, then is.instance


def test_a_service_id_with_no_policy_and_no_group_is_in_the_audit(demo: Emulator,
                                                                   against: Invoke) -> None:
    """IAM Identity lists it, so the audit sees what check sees. The demo's Public Access
    policies give Console Administrator on kiosk-legacy; with Operator there too, they are
    uncertain for every subject (P3), this service ID included."""
    seed = demo_seed()
    lonely = "iam-ServiceId-0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
    seed["service_ids"].append({"id": lonely.removeprefix("iam-"), "iam_id": lonely,
                                "name": "lonely-bot", "description": "no policy, no group"})
    kiosk = next(p for p in seed["policies"] if p["id"].endswith("0002"))
    operator = json.loads(json.dumps(kiosk))
    operator["id"] = "7b3e0002-2f1a-4c6d-9e8b-5a0c7d2e0f02"
    operator["control"]["grant"]["roles"] = [
        {"role_id": "crn:v1:bluemix:public:iam::::role:Operator"}]
    seed["policies"].append(operator)
    demo.load(seed)
    doc = against("audit", "--format", "json", "--at", AT).json()
    found = next(s for s in doc["subjects"] if s["iam_id"] == lonely)
    assert found["name"] == "lonely-bot" and not found["can_open"]
    instances = [i["name"] for i in doc["instances"]]
    scopes = {s["id"]: {instances[k] for k in s["instances"]} for s in doc["scopes"]}
    assert set().union(*(scopes[scope] for scope in found["unknown"])) == {"kiosk-legacy"}
    check = against("check", "--user", lonely, "--instance", "kiosk-legacy", "--at", AT,
                    "--format", "json")
    assert check.exit_code == 3, check.stderr
    assert "Public Access" in json.dumps(check.json())
