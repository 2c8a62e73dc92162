"""Grant under faults: lost answers, interruptions, IBM's 404 after a create, concurrent runs.
Whatever happens, the account ends with one policy per grant, never two."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from iamcheck.connection import Connection
from iamcheck.errors import ExitCode, NotAuthorized
from iamcheck.grant import run as grant_run
from iamcheck.grant.document import grant_document
from iamcheck.grant.log import read_entries
from iamcheck.ibm import iam_policy
from iamcheck.ibm.retry import Backoff
from tests.cli.conftest import NOTHING, VM, Invoke, active, posts
from tests.conftest import Emulator


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def configure(emulator: Emulator, **hooks: int) -> dict[str, Any]:
    answer = requests.post(f"{emulator.url}/_emulator/config", json=hooks, timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def mine(demo: Emulator) -> list[dict[str, Any]]:
    """The active policies grant created for the user who had nothing."""
    return [p for p in active(demo).values()
            if p["subject"]["attributes"][0]["value"] == "IBMid-6650001015"]


def grant(against: Invoke, log: Path, *extra: str) -> Any:
    return against("grant", NOTHING, "-i", VM, "--yes", "--format", "json", "--log", str(log),
                   *extra)


def test_the_control_api_sets_and_resets_the_hooks(emulator: Emulator) -> None:
    shown = configure(emulator, policy_read_after_create_404s=2, policy_create_drops=1)
    assert (shown["policy_read_after_create_404s"], shown["policy_create_failures"],
            shown["policy_create_drops"]) == (2, 0, 1)
    for bad in ({"policy_create_failures": -1}, {"policy_create_failures": True},
                {"no_such_hook": 1}):
        answer = requests.post(f"{emulator.url}/_emulator/config", json=bad, timeout=10)
        assert answer.status_code == 400, bad
    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=10).status_code == 204
    shown = requests.get(f"{emulator.url}/_emulator/config", timeout=10).json()
    assert (shown["policy_read_after_create_404s"], shown["policy_create_failures"]) == (0, 0)


def test_a_lost_answer_is_retried_and_ibm_409_ends_it(demo: Emulator, against: Invoke,
                                                       tmp_path: Path) -> None:
    configure(demo, policy_create_failures=1)  # created server-side, answered 500
    result = grant(against, tmp_path / "log")
    assert result.exit_code == ExitCode.OK, result.stderr
    subject = result.json()["subjects"][0]
    assert subject["result"]["outcome"] == "already_present"
    assert subject["after"]["verdict"] == "allow" and posts(demo) == 2  # the retry got 409
    assert [p["id"] for p in mine(demo)] == [subject["result"]["policy_id"]]
    outcomes = [e["outcome"] for e in read_entries(tmp_path / "log")]
    assert outcomes == ["requested", "already_present"]


def test_a_connection_cut_after_the_create_is_retried_and_ends_on_one_policy(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    configure(demo, policy_create_drops=1)  # created server-side; the answer stops half-way
    result = grant(against, tmp_path / "log")
    assert result.exit_code == ExitCode.OK, result.stderr
    subject = result.json()["subjects"][0]
    assert subject["result"]["outcome"] == "already_present" and posts(demo) == 2
    assert [p["id"] for p in mine(demo)] == [subject["result"]["policy_id"]]
    assert subject["after"]["verdict"] == "allow"


def test_retries_spent_after_the_create_still_end_on_the_one_policy(
        demo: Emulator, against: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Backoff, "delay", lambda *args: None)  # no retry: the 500 is final
    configure(demo, policy_create_failures=1)  # the create went through; its answer did not
    lost = grant(against, tmp_path / "log")
    assert lost.exit_code == ExitCode.OK, lost.stderr
    result = lost.json()["subjects"][0]["result"]
    assert result["outcome"] == "already_present" and "answer was lost" in result["detail"]
    assert [p["id"] for p in mine(demo)] == [result["policy_id"]] and posts(demo) == 1
    rerun = grant(against, tmp_path / "log")
    assert rerun.exit_code == ExitCode.OK
    assert rerun.json()["subjects"][0]["status"] == "allowed" and len(mine(demo)) == 1


def test_a_create_that_fails_is_exit_1_with_the_reason(
        demo: Emulator, against: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise NotAuthorized("create a policy: the API key's identity may not do this")

    monkeypatch.setattr(iam_policy, "create_policy", refused)
    result = grant(against, tmp_path / "log")
    assert result.exit_code == ExitCode.FINDING
    subject = result.json()["subjects"][0]
    assert subject["result"]["outcome"] == "failed" and "may not" in subject["result"]["detail"]
    assert subject["final_verdict"] == "deny" and mine(demo) == []
    assert [e["outcome"] for e in read_entries(tmp_path / "log")] == ["requested", "failed"]


@pytest.mark.parametrize("step", ["create_policy", "get_policy"])
def test_interrupted_between_create_and_read_back_then_rerun(
        demo: Emulator, against: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        step: str) -> None:
    real = getattr(iam_policy, step)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # IBM did it; the answer never reaches the user
        raise KeyboardInterrupt

    monkeypatch.setattr(iam_policy, step, interrupted)
    stopped = grant(against, tmp_path / "log")
    assert stopped.exit_code == ExitCode.INTERRUPTED and len(mine(demo)) == 1
    assert read_entries(tmp_path / "log")[-1]["outcome"] == (
        "requested" if step == "create_policy" else "created")
    monkeypatch.setattr(iam_policy, step, real)
    rerun = grant(against, tmp_path / "log")
    assert rerun.exit_code == ExitCode.OK and len(mine(demo)) == 1
    assert rerun.json()["subjects"][0]["status"] == "allowed"


def test_read_after_create_404s_are_waited_out(demo: Emulator, against: Invoke,
                                              tmp_path: Path) -> None:
    configure(demo, policy_read_after_create_404s=3)
    result = grant(against, tmp_path / "log")
    assert result.exit_code == ExitCode.OK, result.stderr
    subject = result.json()["subjects"][0]
    assert subject["result"]["visible"] and subject["result"]["outcome"] == "created"
    assert demo.request_counts()["GET /v2/policies/{id}"] == 4  # three 404s, then found
    assert subject["after"]["verdict"] == "allow"


def test_two_grants_racing_for_the_same_subject_end_with_one_policy(
        demo: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_API_KEY", demo.apikey)
    real = iam_policy.create_policy
    both_planned = threading.Barrier(2, timeout=30)

    def create_together(*args: Any, **kwargs: Any) -> Any:
        both_planned.wait()  # both have listed the subject's policies and found none
        return real(*args, **kwargs)

    monkeypatch.setattr(iam_policy, "create_policy", create_together)
    results: list[tuple[dict[str, Any], ExitCode]] = []

    def one(n: int) -> None:
        opts = grant_run.Options(users=(NOTHING,), instance=VM, yes=True,
                                 log=tmp_path / f"log{n}")
        result = grant_run.grant(Connection(endpoint=demo.url), opts, grant_run.Prompt(False))
        results.append((grant_document(result), result.exit_code))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2 and all(code == ExitCode.OK for _, code in results)
    outcomes = sorted(doc["subjects"][0]["result"]["outcome"] for doc, _ in results)
    assert outcomes == ["already_present", "created"] and posts(demo) == 2
    assert len(mine(demo)) == 1
    assert {doc["subjects"][0]["result"]["policy_id"] for doc, _ in results} == {
        mine(demo)[0]["id"]}

