"""`grant` plans for the window that was asked (issue 12): access that holds now but ends
before the asked window does is extended, saying so; a grant that lasts as long is not repeated."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import NOTHING, VM, Invoke, active
from tests.conftest import Emulator


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def grant(against: Invoke, log: Path, *extra: str) -> dict[str, object]:
    got = against("grant", NOTHING, "-i", VM, "--yes", "--format", "json", "--log", str(log),
                  *extra)
    assert got.exit_code == ExitCode.OK, got.stderr
    subject = got.json()["subjects"][0]
    assert isinstance(subject, dict)
    return subject


def test_a_longer_window_than_the_access_adds_what_is_missing(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    count = len(active(demo))
    assert grant(against, log, "--ttl", "1h")["status"] == "create"
    assert len(active(demo)) == count + 1
    again = grant(against, log, "--ttl", "1h")  # the same window: nothing new
    assert again["status"] == "allowed" and len(active(demo)) == count + 1
    longer = grant(against, log, "--ttl", "8h")
    assert longer["status"] == "create" and "time-bound" in str(longer["reason"])
    assert len(active(demo)) == count + 1  # the 8h policy replaces the 1h one it covers
    forever = grant(against, log)
    assert forever["status"] == "create" and "without an end" in str(forever["reason"])
    assert len(active(demo)) == count + 1
    (kept,) = (p for k, p in active(demo).items() if k == forever["result"]["policy_id"])
    assert "rule" not in kept
    assert grant(against, log)["status"] == "allowed"
    assert grant(against, log, "--ttl", "2d")["status"] == "allowed"  # held for good already
    assert len(active(demo)) == count + 1


def test_the_reason_is_kept_in_the_description_and_the_log(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    before = set(active(demo))
    grant(against, log, "--reason", "INC-4711 disk full on pay-api-02")
    new = [p for k, p in active(demo).items() if k not in before]
    assert len(new) == 1 and "reason: INC-4711 disk full on pay-api-02" in new[0]["description"]
    assert '"reason": "INC-4711 disk full on pay-api-02"' in log.read_text()


@pytest.mark.parametrize("reason", ["two\nlines", "x" * 121, "bidi \u202e trick", "  "])
def test_a_bad_reason_is_exit_2_before_any_call(demo: Emulator, against: Invoke,
                                                tmp_path: Path, reason: str) -> None:
    got = against("grant", NOTHING, "-i", VM, "--yes", "--reason", reason, "--log",
                  str(tmp_path / "log.jsonl"))
    assert got.exit_code == ExitCode.BAD_INPUT
    assert "--reason" in got.stderr and "Traceback" not in got.stderr
    assert demo.request_counts() == {}


def test_revoke_when_access_remains_names_the_policies_and_exits_1(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    ravi = "ravi.lindqvist@example.com"  # both roles through the on-call group
    for extra in (("--dry-run",), ("--yes", "--log", str(tmp_path / "log.jsonl"))):
        got = against("revoke", ravi, "-i", VM, "--format", "json", *extra)
        assert got.exit_code == ExitCode.FINDING, got.stderr
        subject = got.json()["subjects"][0]
        assert subject["remaining"] and all(r["via"] != "direct" for r in subject["remaining"])
        assert got.json()["summary"]["still_allowed"] == 1
    text = against("revoke", ravi, "-i", VM, "--yes", "--log", str(tmp_path / "log.jsonl"))
    assert text.exit_code == ExitCode.FINDING
    assert "still allowed through policy" in text.stdout and "access group" in text.stdout


def test_revoke_of_what_grant_created_ends_0_when_no_access_remains(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    grant(against, log, "--ttl", "1h")
    got = against("revoke", NOTHING, "-i", VM, "--yes", "--format", "json", "--log", str(log))
    assert got.exit_code == ExitCode.OK, got.stderr
    assert got.json()["subjects"][0]["remaining"] == []


KIOSK = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a310"  # Console Administrator via Public Access


def test_a_subject_only_uncertain_is_told_so_and_asked(demo: Emulator, against: Invoke,
                                                      tmp_path: Path) -> None:
    with demo.backend.lock:  # Operator of her own: the console action is only uncertain (P3)
        demo.backend.policies.create({
            "type": "access",
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                        "value": "IBMid-6650001015"}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals",
                 "value": demo.backend.account_id},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"},
                {"key": "instanceId", "operator": "stringEquals", "value": KIOSK}]},
            "control": {"grant": {"roles": [
                {"role_id": "crn:v1:bluemix:public:iam::::role:Operator"}]}},
        }, "IBMid-6650001001")
    log = tmp_path / "log.jsonl"
    check = against("check", "-u", NOTHING, "-i", KIOSK, "-q")
    assert check.exit_code == ExitCode.UNKNOWN, check.stderr
    count = len(active(demo))
    asked = against("grant", NOTHING, "-i", KIOSK, "--log", str(log))  # no terminal, no --yes
    assert asked.exit_code == ExitCode.BAD_INPUT and "uncertain now" in asked.stderr
    assert len(active(demo)) == count
    done = against("grant", NOTHING, "-i", KIOSK, "--yes", "--format", "json", "--log", str(log))
    assert done.exit_code == ExitCode.OK, done.stderr
    assert "uncertain now" in done.json()["subjects"][0]["reason"]
    assert len(active(demo)) == count + 1


def test_a_racing_grant_across_a_minute_boundary_leaves_one_policy(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    """The racer planned a minute earlier: same tag, a window one minute earlier, so IBM's 409
    for identical bodies does not catch it. Whichever run looks after both creates keeps the
    policy that covers the other and deletes the other."""
    log = tmp_path / "log.jsonl"
    plan = against("grant", NOTHING, "-i", VM, "--ttl", "8h", "--dry-run", "--format", "json")
    body = plan.json()["subjects"][0]["policy"]["body"]
    for condition in body["rule"]["conditions"]:
        shifted = datetime.fromisoformat(condition["value"]) - timedelta(minutes=1)
        condition["value"] = shifted.isoformat()
    with demo.backend.lock:
        racer = demo.backend.policies.create(body, "IBMid-6650001001").id
    count = len(active(demo))
    mine = grant(against, log, "--ttl", "8h")
    assert mine["status"] == "create"
    assert racer not in active(demo) and len(active(demo)) == count
    tag = body["description"].split()[0]
    assert [k for k, p in active(demo).items() if p["description"].startswith(tag)] == [
        mine["result"]["policy_id"]]

