"""Malformed API answers, served by the emulator on demand: truncated JSON, no body, an HTML
page, a JSON array, a required field missing or of the wrong type. Every command ends with
exit 5 and one line naming what it was reading: never a traceback, never a verdict."""

from __future__ import annotations

import pytest
import requests

from iamcheck.errors import ExitCode
from tests.reliability.conftest import AT, Run, Served, active_policies, verdict_pairs

GENERIC = ["truncated", "empty", "not_json", "not_object"]

# (route, fault, words of the message that name what was being read)
AUDIT_CASES = [
    ("GET /v2/policies", "truncated", "policies of"),
    ("GET /v2/policies", "not_object", "policies of"),
    ("GET /v2/roles", "empty", "roles of service 'is'"),
    ("GET /v2/roles", "not_json", "roles of service 'is'"),
    ("POST /identity/token", "truncated", "sign in to IBM Cloud IAM"),
    ("POST /identity/token", "missing:access_token", "sign in to IBM Cloud IAM"),
    ("GET /v2/accounts/{account_id}/users", "missing:iam_id", "users"),
    ("GET /v2/groups", "missing:id", "access groups"),
    ("GET /v2/groups/{access_group_id}/members", "missing:iam_id", "members of access group"),
    ("GET /v2/groups/{access_group_id}/rules", "wrong_type:rules", "dynamic rules"),
    ("GET /v2/policies", "missing:control", "policies of"),
    ("GET /v2/policies", "wrong_type:roles", "policies of"),
    ("GET /v2/roles", "missing:crn", "roles of service 'is'"),
    ("GET /v1/regions", "missing:endpoint", "list VPC regions"),
    ("GET /v2/resource_groups", "missing:id", "list resource groups"),
    ("GET /vpc/{region}/v1/instances", "missing:zone", "list instances in"),
    ("GET /vpc/{region}/v1/instances", "wrong_type:resource_group", "list instances in"),
    ("POST /v3/resources/search", "missing:crn", "access tags"),
]

CHECK_CASES = [
    ("GET /vpc/{region}/v1/instances/{id}", "missing:zone", "read instance"),
    ("GET /vpc/{region}/v1/instances/{id}", "not_json", "read instance"),
    ("POST /v3/resources/search", "missing:crn", "VPC instance"),
    ("POST /v3/resources/search", "empty", "VPC instance"),
    ("GET /v2/accounts/{account_id}/users", "missing:iam_id", "users"),
    ("GET /v2/groups", "wrong_type:groups", "access groups of"),
    ("GET /v2/policies", "missing:subject", "policies of"),
]

# Answers that lack a whole list: a bad answer (exit 5), never read as an empty list, which
# could hide access or invent a deny.
GAP_CASES = [
    ("GET /v1/regions", "missing:regions", "list VPC regions"),
    ("GET /v2/groups/{access_group_id}/rules", "missing:rules", "dynamic rules"),
    ("GET /v2/resource_groups", "missing:resources", "resource groups"),
    ("GET /v2/roles", "missing:system_roles", "roles"),
]


def assert_bad_answer(run: Run, words: str) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == ExitCode.API_FAILURE, run.stderr
    assert run.stdout == ""  # no verdict, no report
    assert len(run.lines) == 1 and run.lines[0].startswith("iamcheck: error: "), run.stderr
    assert words in run.stderr and "cannot read" in run.stderr, run.stderr


def _all(route: str, fault: str) -> dict[str, list[str]]:
    return {route: [fault] * 100}  # every answer of the route, retries included


@pytest.mark.parametrize("route, fault, words", [*AUDIT_CASES, *GAP_CASES])
def test_audit_says_which_answer_it_could_not_read(
    emu: Served, route: str, fault: str, words: str
) -> None:
    emu.faults(next=_all(route, fault))
    assert_bad_answer(emu.run("audit", "--at", AT, "--timeout", "5"), words)


@pytest.mark.parametrize("route, fault, words", CHECK_CASES)
def test_check_says_which_answer_it_could_not_read(
    emu: Served, route: str, fault: str, words: str
) -> None:
    emu.faults(next=_all(route, fault))
    user, instance = emu.seed["users"][1]["email"], emu.seed["instances"][0]["name"]
    run = emu.run("check", "--user", user, "--instance", instance, "--at", AT, "--timeout", "5")
    assert_bad_answer(run, words)


def test_snapshot_writes_nothing_from_a_bad_answer(emu: Served, tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "snap.json"
    emu.faults(next=_all("GET /v2/groups/{access_group_id}/members", "missing:iam_id"))
    assert_bad_answer(emu.run("snapshot", "-o", str(out)), "members of access group")
    assert not out.exists() and list(out.parent.iterdir()) == []


@pytest.mark.parametrize("fault", [*GENERIC, "missing:id", "wrong_type:name"])
def test_the_emulator_serves_each_malformation(emu: Served, fault: str) -> None:
    token = requests.post(
        f"{emu.url}/identity/token",
        data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": emu.apikey},
        timeout=10,
    ).json()["access_token"]
    url = f"{emu.url}/v2/resource_groups"
    headers = {"Authorization": f"Bearer {token}"}
    clean = requests.get(url, headers=headers, timeout=10)
    emu.faults(next={"GET /v2/resource_groups": [fault]})
    bad = requests.get(url, headers=headers, timeout=10)
    assert bad.status_code == 200 and bad.content != clean.content
    again = requests.get(url, headers=headers, timeout=10)  # only the next answer was changed
    assert again.json() == clean.json()
    if fault.startswith(("missing:", "wrong_type:")):
        field = fault.split(":")[1]
        first, changed = clean.json()["resources"][0], bad.json()["resources"][0]
        assert field in first and (field not in changed or type(changed[field]) is not str)


def test_the_control_api_refuses_unknown_faults_and_routes(emu: Served) -> None:
    url = f"{emu.url}/_emulator/faults"
    for body in ({"next": {"GET /v2/policies": ["boom"]}}, {"next": {"GET /nowhere": ["500"]}},
                 {"rate": 2}, {"kinds": ["500", "nope"]}, {"colour": 1}):
        answer = requests.post(url, json=body, timeout=10)
        assert answer.status_code == 400, body
    assert emu.faults()["next"] == {} and emu.faults()["rate"] == 0


def test_grant_says_which_answer_it_could_not_read(emu: Served, tmp_path: object) -> None:
    (_, _, _), (user, instance, _) = verdict_pairs(emu)[:2]
    emu.faults(next=_all("GET /v2/policies", "missing:control"))
    run = emu.run("grant", user, "--instance", instance, "--yes", "--timeout", "5",
                  "--log", f"{tmp_path}/log.jsonl")
    assert_bad_answer(run, "policies of")
    assert "POST /v2/policies" not in emu.counts()  # nothing created from a bad reading


@pytest.mark.parametrize("fault", ["truncated", "missing:id", "not_json"])
def test_an_unreadable_create_answer_leaves_one_policy_or_exit_5(
    emu: Served, fault: str, tmp_path: object
) -> None:
    (_, _, _), (user, instance, _) = verdict_pairs(emu)[:2]
    before = {p["id"] for p in active_policies(emu)}
    emu.faults(next={"POST /v2/policies": [fault]})
    run = emu.run("grant", user, "--instance", instance, "--yes", "--timeout", "5",
                  "--log", f"{tmp_path}/log.jsonl")
    emu.clear_faults()
    assert "Traceback" not in run.stderr
    assert len([p for p in active_policies(emu) if p["id"] not in before]) == 1
    if run.exit_code == ExitCode.API_FAILURE:
        assert run.stdout == "" and "create" in run.stderr and len(run.lines) == 1
    else:  # it read the policy back: the grant is done
        assert run.exit_code == ExitCode.OK, run.stderr
        assert emu.run("check", "--user", user, "--instance", instance).exit_code == 0


@pytest.mark.parametrize(
    "route, fault",
    [("GET /vpc/{region}/v1/instances/{id}", "missing:status"),
     ("GET /vpc/{region}/v1/instances/{id}", "not_object")],
)
def test_console_preflight_says_which_answer_it_could_not_read(
    emu: Served, route: str, fault: str
) -> None:
    emu.faults(next=_all(route, fault))
    run = emu.run("console", emu.seed["instances"][0]["name"], "--preflight-only",
                  "--timeout", "5")
    assert_bad_answer(run, "instance")
