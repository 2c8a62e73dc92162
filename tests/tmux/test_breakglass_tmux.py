"""`console --break-glass` in a real terminal against an emulator whose VPC honours new policies
only after a delay (issue 16): a caller who may grant goes from FAIL to a login prompt in one
command, and after `~.` the policy it created is gone and the log holds the reason; a caller who
may not grant gets the names of who can and the command they run."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import active
from tests.conftest import Emulator
from tests.tmux.conftest import Tmux, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)
ANALYST_KEY = "demo-analyst-key-not-a-secret-0003"  # Juniper: no console access anywhere
ANALYST_ID = "IBMid-6650001003"
ADMIN_ID = "IBMid-6650001001"
DELAY = 5.0  # as in test_propagation_tmux: the back-off retries at 1, 3 and 7 s
REASON = "INC-4711 pay-api-01 unreachable"


def give(demo: Emulator, role: str, **resource: str) -> None:
    """A policy for Juniper, written as the account owner."""
    attrs = [{"key": "accountId", "operator": "stringEquals", "value": demo.backend.account_id},
             *({"key": k, "operator": "stringEquals", "value": v} for k, v in resource.items())]
    with demo.backend.lock:
        demo.backend.policies.create({
            "type": "access",
            "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                        "value": ANALYST_ID}]},
            "resource": {"attributes": attrs},
            "control": {"grant": {"roles": [
                {"role_id": f"crn:v1:bluemix:public:iam::::role:{role}"}]}},
        }, ADMIN_ID)


@pytest.fixture
def slow_vpc(demo: Emulator) -> Iterator[Emulator]:
    demo.backend.settings.propagation_delay = DELAY
    try:
        yield demo
    finally:
        demo.backend.settings.propagation_delay = 0.0  # kept across resets: put it back


def run(tmux: Tmux, command: str) -> None:
    tmux("send-keys", "-t", "console", "-l", command)
    tmux("send-keys", "-t", "console", "Enter")


def command(demo: Emulator, log: Path) -> str:
    return (f"IBMCLOUD_API_KEY={ANALYST_KEY} IAMCHECK_ENDPOINT={demo.url} "
            f"{shlex.quote(sys.executable)} -m iamcheck console pay-api-01 --break-glass "
            f"--ttl 1h --reason {shlex.quote(REASON)} --yes --log {log}; echo EXIT=$?")


def test_a_caller_who_may_grant_gets_in_and_the_access_is_taken_back(
        tmux: Tmux, slow_vpc: Emulator, tmp_path: Path) -> None:
    give(slow_vpc, "Administrator", serviceName="iam-access-management")
    give(slow_vpc, "Viewer", serviceName="iam-groups")  # reads the dynamic rules: a sure FAIL
    before = set(active(slow_vpc))
    log = tmp_path / "audit.jsonl"
    run(tmux, command(slow_vpc, log))
    screen = wait_for(tmux, "pay-api-01 login:", timeout=DELAY + 120)
    joined = screen.replace("\n", "")
    assert "FAIL  juniper.abara@example.com may not open" in joined, screen  # before the grant
    assert "although IAM allows it" in joined, screen  # E1: waited for VPC
    tmux("send-keys", "-t", "console", "-l", "~.")
    screen = wait_for(tmux, "EXIT=0", timeout=90)
    assert "break-glass: revoked" in screen.replace("\n", ""), screen
    assert set(active(slow_vpc)) == before  # what it created is gone
    entries: list[dict[str, Any]] = [json.loads(line) for line in log.read_text().splitlines()]
    created = [e for e in entries if e["event"] == "create" and e["outcome"] == "created"]
    deleted = [e for e in entries if e["event"] == "delete" and e["outcome"] == "deleted"]
    assert len(created) == 1 and [e["policy_id"] for e in deleted] == [created[0]["policy_id"]]
    assert all(e["reason"] == REASON for e in created + deleted)
    assert REASON in created[0]["body"]["description"]


def test_a_caller_who_may_not_grant_gets_who_can(tmux: Tmux, slow_vpc: Emulator,
                                                 tmp_path: Path) -> None:
    give(slow_vpc, "Viewer", serviceType="platform_service")  # may read the account, not write
    give(slow_vpc, "Viewer", serviceName="is")
    before = set(active(slow_vpc))
    run(tmux, command(slow_vpc, tmp_path / "audit.jsonl"))
    screen = wait_for(tmux, "EXIT=1", timeout=120)
    joined = screen.replace("\n", "")
    assert "Who can, nearest first:" in joined and "@example.com" in joined, screen
    assert "iamcheck grant juniper.abara@example.com --instance" in joined, screen
    assert set(active(slow_vpc)) == before
