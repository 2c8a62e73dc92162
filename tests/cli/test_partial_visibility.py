"""Partial visibility: iamcheck checks its own read rights, names the roles it lacks (exit 4),
and keeps every verdict a missing right or a refused read touches unknown, never allow (V5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iamcheck.emulator.backend import visibility
from iamcheck.emulator.errors import IbmError
from iamcheck.emulator.services import iam_policy as policy_service
from iamcheck.errors import ExitCode
from iamcheck.model import Attribute, Condition, Policy
from iamcheck.read.rights import PLATFORM_ROLE, access_from
from tests.cli.conftest import Invoke, Run
from tests.conftest import Emulator
from tests.support.visibility_seed import (
    HALF,
    INSTANCES,
    KEYS,
    NOBODY,
    ONCALL,
    ONCALL_GROUP,
    OPS_ONE,
    OWNER,
    SCOPED,
    SEED,
)

AT = "2026-11-27T12:00:00+00:00"
ROLES = ("Viewer on IAM Access Management", "Viewer on IAM Access Groups",
         "Viewer on User Management", "Viewer on VPC Infrastructure Services")
ONCALL_EMAIL = "onc@example.com"
RAVI = "ravi.lindqvist@example.com"  # the demo's on-call engineer


@pytest.fixture
def run(emulator: Emulator, cli: Invoke) -> Any:
    """iamcheck against the visibility account, signed in as `who`."""
    emulator.load(SEED)

    def invoke(who: str, *args: str) -> Run:
        return cli(*args, env={"IBMCLOUD_API_KEY": KEYS[who], "IAMCHECK_ENDPOINT": emulator.url})

    return invoke


def pairs(result: Run) -> dict[str, int]:
    counts: dict[str, int] = result.json()["summary"]["pairs"]
    return counts


def test_a_key_that_may_read_nothing_is_told_exactly_which_roles_to_grant(run: Any) -> None:
    result = run(NOBODY, "audit", "--format", "json")
    assert result.exit_code == ExitCode.NOT_AUTHORIZED and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert all(role in result.stderr for role in ROLES), result.stderr


def test_partial_rights_leave_gaps_and_no_allow(run: Any, tmp_path: Path) -> None:
    full = run(OWNER, "audit", "--format", "json", "--at", AT)
    assert full.exit_code == ExitCode.OK and full.json()["gaps"] == []
    assert pairs(full)["allow"] == len(INSTANCES) + 1  # on-call everywhere, SCOPED on one

    partial = run(HALF, "audit", "--format", "json", "--at", AT)
    # issue 12: partial data is an unknown gate, exit 3 (it was 0)
    assert partial.exit_code == ExitCode.UNKNOWN, partial.stderr
    gaps = {g["what"]: g["reason"] for g in partial.json()["gaps"]}
    assert "Viewer on IAM Access Management" in gaps["the account's policies"]
    assert "Viewer on IAM Access Groups" in gaps["the account's access groups"]
    counts = pairs(partial)
    # HALF cannot read the access groups, so not their dynamic rules either: under P3 (rev 2)
    # any rule may admit any user at the next sign-in, so nobody can be denied (V5)
    assert counts == {"allow": 0, "deny": 0, "unknown": len(SEED["users"]) * len(INSTANCES)}
    assert [g["layer"] for g in partial.json()["layer_gaps"]] == ["trusted_profiles", "cbr"]

    expect = tmp_path / "oncall.txt"
    expect.write_text(f"{ONCALL_EMAIL}\n")
    assert run(OWNER, "audit", "--expect", str(expect), "--at", AT).exit_code == ExitCode.OK
    gated = run(HALF, "audit", "--expect", str(expect), "--at", AT)
    assert gated.exit_code == ExitCode.UNKNOWN, gated.stdout + gated.stderr


def test_checking_someone_else_without_their_policies_is_unknown(run: Any) -> None:
    args = ("check", "-u", ONCALL_EMAIL, "-i", INSTANCES[1]["name"], "--at", AT, "-f", "json")
    assert run(OWNER, *args).json()["verdict"] == "allow"
    partial = run(HALF, *args)
    assert partial.exit_code == ExitCode.UNKNOWN
    body = partial.json()
    assert body["verdict"] == "unknown" and body["grants"] == []
    assert any(r["rule"] == "V5" and "IAM Access Management" in r["text"]
               for r in body["reasons"]), body["reasons"]
    refused = run(NOBODY, *args)  # it may not even look the person up
    assert refused.exit_code == ExitCode.NOT_AUTHORIZED
    assert "Viewer on User Management" in refused.stderr


def test_an_ordinary_user_checks_itself_without_account_wide_rights(run: Any) -> None:
    mine = run(ONCALL, "check", "-i", INSTANCES[4]["name"], "--at", AT, "-f", "json")
    assert mine.exit_code == ExitCode.OK, mine.stderr
    assert mine.json()["user"]["iam_id"] == ONCALL
    assert run(SCOPED, "check", "-i", OPS_ONE, "--at", AT).exit_code == ExitCode.OK
    # elsewhere SCOPED is denied by its own policies, but it cannot read the groups' dynamic
    # rules (P3 rev 2) nor the trusted profiles it could apply (P5): it is never told "no" (V5)
    elsewhere = run(SCOPED, "check", "-i", INSTANCES[1]["id"], "--at", AT, "-f", "json")
    assert elsewhere.exit_code == ExitCode.UNKNOWN
    assert elsewhere.json()["reasons"][0]["rule"] == "V5"
    hidden = run(NOBODY, "check", "-i", INSTANCES[1]["name"], "--at", AT)
    assert hidden.exit_code == ExitCode.NOT_AUTHORIZED
    assert "Viewer on VPC Infrastructure Services" in hidden.stderr


def refuse_members_of(emulator: Emulator, monkeypatch: pytest.MonkeyPatch, group_id: str,
                      status: int) -> None:
    store = emulator.backend.groups
    listed = store.list_members

    def members(gid: str, *args: Any) -> Any:
        if gid == group_id:
            raise IbmError(status, "refused", "Refused by the test.")
        return listed(gid, *args)

    monkeypatch.setattr(store, "list_members", members)


def test_a_read_refused_mid_audit_makes_the_verdicts_it_touches_unknown(
        demo: Emulator, against: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("audit", "-u", RAVI, "--at", AT, "-f", "json")
    assert pairs(against(*args))["allow"] == 10  # every demo instance, through on-call
    oncall = next(g["id"] for g in demo.backend.seed["access_groups"] if g["name"] == "on-call")
    refuse_members_of(demo, monkeypatch, oncall, 403)
    result = against(*args)
    assert result.exit_code == ExitCode.UNKNOWN, result.stderr  # issue 12: partial data
    assert pairs(result) == {"allow": 0, "deny": 0, "unknown": 10}
    assert any("on-call" in g["what"] for g in result.json()["gaps"])


def test_a_check_with_a_refused_group_read_is_unknown(
        run: Any, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    page = visibility.policy_page

    def refusing(vis: Any, query: Any) -> Any:
        if query.access_group_id == ONCALL_GROUP:
            raise IbmError(403, "refused", "Refused by the test.")
        return page(vis, query)

    monkeypatch.setattr(policy_service, "policy_page", refusing)
    result = run(OWNER, "check", "-u", ONCALL_EMAIL, "-i", INSTANCES[1]["name"], "--at", AT,
                 "-f", "json")
    assert result.exit_code == ExitCode.UNKNOWN, result.stderr
    assert result.json()["verdict"] == "unknown"


def test_a_read_that_fails_after_retries_prints_no_verdict(
        demo: Emulator, against: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    oncall = next(g["id"] for g in demo.backend.seed["access_groups"] if g["name"] == "on-call")
    refuse_members_of(demo, monkeypatch, oncall, 503)
    result = against("audit", "--timeout", "1", "--at", AT, "-f", "json")
    assert result.exit_code == ExitCode.API_FAILURE
    assert result.stdout == "" and "on-call" in result.stderr


def own(resource: dict[str, str], *roles: str, rule: bool = False, account: str = "acct"
        ) -> Policy:
    attrs = (Attribute("accountId", "stringEquals", account),
             *(Attribute(k, "stringEquals", v) for k, v in resource.items()))
    when = Condition("{{environment.attributes.current_date_time}}",
                     "dateTimeLessThan", "2099-01-01T00:00:00+00:00") if rule else None
    return Policy("p", "access", "active", (), attrs, tuple(PLATFORM_ROLE + r for r in roles),
                  rule=when)


@pytest.mark.parametrize("policy, held, some", [
    (own({"serviceType": "platform_service"}, "Viewer"),
     {"policies", "groups", "users", "resource_groups"}, False),
    (own({"serviceType": "service"}, "Administrator"), {"instances"}, True),
    (own({"serviceName": "iam-groups"}, "Editor"), {"groups"}, False),
    (own({"serviceName": "is", "resourceGroupId": "rg1"}, "Viewer"), set(), True),
    (own({"resourceGroupId": "rg1"}, "Operator"), set(), True),
    # neither a rule, nor a role that does not read, nor another account counts
    (own({"serviceName": "user-management"}, "Viewer", rule=True), set(), False),
    (own({"serviceName": "iam-access-management"}, "Unknown"), set(), False),
    (own({"serviceName": "is"}, "Viewer", account="other"), set(), False),
])
def test_own_rights_come_from_account_wide_reading_roles(policy: Policy, held: set[str],
                                                         some: bool) -> None:
    access = access_from("IBMid-me", "acct", [policy], frozenset())
    assert set(access.held) == held and access.some_instances is some
