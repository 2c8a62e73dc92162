"""Retries under injected faults: 429 with Retry-After, 5xx, resets and timeouts are retried
with a shared backoff inside the --timeout deadline; a failed page loses and repeats nothing;
spent retries end in exit 5 naming what failed, never in a verdict."""

from __future__ import annotations

import time
from typing import Any

import pytest
from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager

from iamcheck.errors import ApiFailure, ExitCode
from iamcheck.ibm import iam_policy
from iamcheck.ibm.retry import Backoff
from iamcheck.ibm.session import IbmSession
from iamcheck.settings import Secret, Settings
from tests.reliability.conftest import AT, Served, active_policies, verdict_pairs

POLICIES = "GET /v2/policies"


def session(emu: Served, timeout: float = 30.0) -> IbmSession:
    return IbmSession(Settings(Secret(emu.apikey), emu.url, None, timeout=timeout))


def audit_doc(emu: Served, *extra: str) -> dict[str, Any]:
    run = emu.run("audit", "--format", "json", "--at", AT, *extra)
    assert run.exit_code == ExitCode.OK, run.stderr
    doc: dict[str, Any] = run.json()
    doc.pop("read_at")
    return doc


@pytest.fixture(scope="module")
def clean(served: Served) -> tuple[dict[str, Any], int]:
    """The fault-free audit of the small account, and how many requests it took."""
    served.load(served.seed)
    served.clear_faults()
    return audit_doc(served), sum(served.counts().values())


@pytest.mark.parametrize("kinds", [["429", "500"], ["502", "503"], ["504", "reset"]])
def test_each_fault_is_retried_and_changes_nothing(
    emu: Served, clean: tuple[dict[str, Any], int], kinds: list[str]
) -> None:
    expected, requests = clean
    emu.faults(retry_after=0, next={POLICIES: kinds, "GET /v2/groups": kinds})
    assert audit_doc(emu) == expected
    assert sum(emu.counts().values()) == requests + 2 * len(kinds)  # one retry per fault
    assert emu.faults()["next"] == {}


def test_a_read_that_times_out_is_sent_again(emu: Served) -> None:
    iam = session(emu)
    iam.http_config["timeout"] = 1.0  # each request gives up after 1 s (for a fast test)
    iam.caller()
    emu.faults(hang_s=5, next={"GET /v2/roles": ["timeout"]})
    started = time.monotonic()
    roles = iam_policy.list_roles(iam, emu.seed["account_id"], "is")
    assert roles and 1.0 <= time.monotonic() - started < 4.5  # not waiting for the late answer
    assert emu.counts()["GET /v2/roles"] == 2


def test_retry_after_is_honoured_by_every_worker(emu: Served) -> None:
    iam = session(emu)
    iam.caller()
    emu.faults(retry_after=1, next={"GET /v2/roles": ["429"]})
    started = time.monotonic()
    roles = iam_policy.list_roles(iam, emu.seed["account_id"], "is")
    assert roles and time.monotonic() - started >= 1.0
    # the 429 held the gate for the whole session, not just for the call that got it
    assert iam.backoff._gate > started


def test_a_failed_token_fetch_does_not_stall_the_next_one(emu: Served) -> None:
    # The SDK's token manager would make the retry wait 60 s for a request "still in flight".
    emu.faults(retry_after=0, next={"POST /identity/token": ["503", "reset", "429"]})
    started = time.monotonic()
    assert session(emu).caller().iam_id == emu.seed["api_keys"][0]["iam_id"]
    assert time.monotonic() - started < 5


def test_failed_pages_lose_and_repeat_nothing(emu: Served) -> None:
    iam = session(emu)
    account = emu.seed["account_id"]

    def every_policy() -> list[str]:
        pager = V2PoliciesPager(client=iam.client(IamPolicyManagementV1), account_id=account,
                                state="active", limit=9)
        return [p["id"] for p in iam.pages("list policies", pager)]

    clean = every_policy()
    assert len(clean) > 4 * 9 and len(set(clean)) == len(clean)
    emu.faults(retry_after=0,
               next={POLICIES: ["ok", "503", "ok", "reset", "reset", "ok", "429", "500", "ok"]})
    assert every_policy() == clean
    assert emu.faults()["next"] == {}


@pytest.mark.parametrize(
    "route, what",
    [
        (POLICIES, "policies of"),
        ("GET /v2/groups/{access_group_id}/members", "list the members of access group"),
        ("GET /vpc/{region}/v1/instances", "list instances in"),
        ("POST /identity/token", "sign in to IBM Cloud IAM"),
    ],
)
def test_spent_retries_end_in_exit_5_without_a_verdict(emu: Served, route: str, what: str,
                                                       tmp_path: Any) -> None:
    expect = tmp_path / "expect.txt"
    expect.write_text(emu.seed["users"][0]["email"] + "\n")
    emu.faults(retry_after=0, next={route: ["503"] * 50})
    started = time.monotonic()
    # --timeout bounds the whole run (issue 12): long enough for the reads that do not fail
    run = emu.run("audit", "--at", AT, "--expect", str(expect), "--timeout", "4")
    assert run.exit_code == ExitCode.API_FAILURE, run.stderr
    assert time.monotonic() - started < 10  # the deadline bounds the run, not the attempts
    assert run.stdout == "" and len(run.lines) == 1
    assert what in run.stderr and "503" in run.stderr and "Traceback" not in run.stderr


def test_check_gives_no_verdict_when_a_read_fails(emu: Served) -> None:
    user, instance = emu.seed["users"][0]["email"], emu.seed["instances"][0]["name"]
    ok = emu.run("check", "--user", user, "--instance", instance, "--at", AT)
    assert ok.exit_code in (ExitCode.OK, ExitCode.FINDING, ExitCode.UNKNOWN), ok.stderr
    emu.faults(next={"GET /v2/groups": ["reset"] * 50})
    # 3 s: room to sign in on a loaded machine before the resets spend the deadline
    run = emu.run("check", "--user", user, "--instance", instance, "--at", AT, "--timeout", "3")
    assert run.exit_code == ExitCode.API_FAILURE, run.stderr
    assert run.stdout == "" and "ChunkedEncodingError" in run.stderr and len(run.lines) == 1


def test_the_deadline_bounds_a_run_that_keeps_failing(emu: Served) -> None:
    emu.faults(rate=1.0, retry_after=1, kinds=["429", "503", "reset"])
    started = time.monotonic()
    run = emu.run("audit", "--timeout", "2")
    assert run.exit_code == ExitCode.API_FAILURE
    assert time.monotonic() - started < 8
    assert "raise --timeout" in run.stderr


def test_backoff_is_exponential_jittered_capped_and_deadline_bound() -> None:
    now = [0.0]
    backoff = Backoff(100.0, max_attempts=20, base_s=0.5, cap_s=8.0, clock=lambda: now[0])
    delays = [[backoff.delay(attempt, None) for attempt in range(6)] for _ in range(50)]
    for attempt in range(6):
        seen = [d[attempt] for d in delays]
        assert all(d is not None and 0 <= d <= min(8.0, 0.5 * 2**attempt) for d in seen)
        assert len(set(seen)) > 1  # jitter: workers do not retry in lockstep
    assert max(d[5] or 0 for d in delays) > 4.0  # it does grow
    assert backoff.delay(3, retry_after=7.0) == 7.0  # Retry-After wins over the backoff
    assert backoff.delay(19, None) is None  # attempts spent
    now[0] = 99.5
    assert backoff.delay(0, retry_after=1.0) is None  # it would end past the deadline


def test_the_per_request_timeout_follows_the_deadline(emu: Served) -> None:
    timeouts = {t: session(emu, timeout=t).http_config["timeout"] for t in (2, 8, 40, 3000)}
    assert timeouts == {2: 2.0, 8: 5.0, 40: 10.0, 3000: 60.0}
    iam = session(emu, timeout=40)
    client = iam.client(IamPolicyManagementV1)
    assert client.http_config["timeout"] == 10.0
    assert iam.authenticator.token_manager.http_config["timeout"] == 10.0


def test_an_unreachable_endpoint_is_exit_5(emu: Served) -> None:
    iam = IbmSession(Settings(Secret("k" * 20), "http://127.0.0.1:9", None, timeout=1))
    with pytest.raises(ApiFailure, match="cannot reach IBM Cloud"):
        iam.caller()


def test_a_create_whose_answer_is_lost_makes_no_duplicate(emu: Served, tmp_path: Any) -> None:
    (_, _, _), (user, instance, _) = verdict_pairs(emu)[:2]
    before = {p["id"] for p in active_policies(emu)}
    # the policy is created, then the connection drops before the answer: the retry gets 409
    emu.faults(next={"POST /v2/policies": ["reset"]})
    run = emu.run("grant", user, "--instance", instance, "--yes", "--log",
                  str(tmp_path / "log.jsonl"))
    assert run.exit_code == ExitCode.OK, run.stderr
    assert len([p for p in active_policies(emu) if p["id"] not in before]) == 1
    assert emu.counts()["POST /v2/policies"] == 2  # the reset happened, and was retried
    check = emu.run("check", "--user", user, "--instance", instance)
    assert check.exit_code == ExitCode.OK, check.stdout


# --- crash-safe writes ----------------------------------------------------------------------


def test_a_write_that_fails_leaves_the_old_file_whole(tmp_path: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    from pathlib import Path

    from iamcheck.read.snapshot import write_atomic

    target = Path(tmp_path) / "report.json"
    target.write_text("the previous report\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomic(target, "x" * 100_000)
    assert target.read_text() == "the previous report\n"
    assert os.listdir(tmp_path) == ["report.json"]  # no temporary file left behind


def test_a_snapshot_that_fails_keeps_the_previous_one(emu: Served, tmp_path: Any) -> None:
    from pathlib import Path

    out = Path(tmp_path) / "snap.json"
    assert emu.run("snapshot", "-o", str(out)).exit_code == ExitCode.OK
    previous = out.read_text()
    emu.faults(next={"GET /v2/groups/{access_group_id}/members": ["503"] * 50})
    run = emu.run("snapshot", "-o", str(out), "--timeout", "1")
    assert run.exit_code == ExitCode.API_FAILURE
    assert out.read_text() == previous and [p.name for p in Path(tmp_path).iterdir()] == [
        "snap.json"
    ]


def test_the_grant_log_holds_whole_entries_only_its_owner_reads(emu: Served,
                                                                tmp_path: Any) -> None:
    import json
    import stat
    from pathlib import Path

    (_, _, _), (user, instance, _) = verdict_pairs(emu)[:2]
    log = Path(tmp_path) / "log.jsonl"
    for command in ("grant", "revoke"):
        run = emu.run(command, user, "--instance", instance, "--yes", "--log", str(log))
        assert run.exit_code == ExitCode.OK, run.stderr
    lines = log.read_text().splitlines()
    assert len(lines) >= 2 and all(isinstance(json.loads(line), dict) for line in lines)
    assert log.read_text().endswith("\n")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
