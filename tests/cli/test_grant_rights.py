"""`grant` and `revoke` check iamcheck's own write rights before writing anything (issue 14):
exit 4 with one line naming the role; and IBM's own 403 on a write is exit 4 too."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import NOTHING, VM, Invoke, active, posts
from tests.conftest import Emulator

ANALYST_KEY = "demo-analyst-key-not-a-secret-0003"  # Juniper: no IAM rights at all
ANALYST_ID = "IBMid-6650001003"


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_grant_without_iam_rights_is_exit_4_and_creates_nothing(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    before = active(demo)
    got = against("grant", "juniper.abara@example.com", "-i", VM, "--yes", "--log",
                  str(tmp_path / "log.jsonl"), apikey=ANALYST_KEY)
    assert got.exit_code == ExitCode.NOT_AUTHORIZED, got.stderr
    assert "Administrator on IAM Access Management" in got.stderr
    assert len(got.stderr.strip().splitlines()) == 1 and "Traceback" not in got.stderr
    assert posts(demo) == 0 and active(demo) == before
    assert not (tmp_path / "log.jsonl").exists() or not (tmp_path / "log.jsonl").read_text()


def test_revoke_without_iam_rights_is_exit_4(demo: Emulator, against: Invoke,
                                            tmp_path: Path) -> None:
    got = against("revoke", NOTHING, "-i", VM, "--yes", "--log", str(tmp_path / "log.jsonl"),
                  apikey=ANALYST_KEY)
    assert got.exit_code == ExitCode.NOT_AUTHORIZED, got.stderr
    assert "Administrator on IAM Access Management" in got.stderr


def test_ibm_refusing_a_write_the_check_let_through_is_exit_4_with_ibms_reason(
        demo: Emulator, against: Invoke, tmp_path: Path) -> None:
    # Administrator on `is` in another resource group: the plan-time check cannot rule it out,
    # IBM's write authorization refuses.
    with demo.backend.lock:
        demo.backend.policies.create({
            "type": "access",
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                        "value": ANALYST_ID}]},
            "resource": {"attributes": [
                {"key": "accountId", "operator": "stringEquals",
                 "value": demo.backend.account_id},
                {"key": "serviceName", "operator": "stringEquals", "value": "is"},
                {"key": "resourceGroupId", "operator": "stringEquals",
                 "value": "no-such-group-0000000000000000000"}]},
            "control": {"grant": {"roles": [
                {"role_id": "crn:v1:bluemix:public:iam::::role:Administrator"}]}},
        }, "IBMid-6650001001")
    before = active(demo)
    got = against("grant", "juniper.abara@example.com", "-i", VM, "--yes", "--log",
                  str(tmp_path / "log.jsonl"), apikey=ANALYST_KEY)
    assert got.exit_code == ExitCode.NOT_AUTHORIZED, got.stderr
    assert "IBM refused" in got.stderr and "Administrator" in got.stderr
    assert active(demo) == before
