"""Rule E1 in a real terminal: `grant` creates the policy, then `console` against an emulator
whose VPC sees new policies only after a delay waits (saying so on stderr) and then shows the
login prompt. The delay is `serve --propagation-delay`'s setting (5 s); once grant is done it is
stretched so that VPC honours the policy 5 s from then, so that a loaded machine, where grant's
read-back and a second Python's start take longer than 5 s, still shows the wait."""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamcheck.emulator.backend.policies import ListQuery
from tests.conftest import Emulator
from tests.tmux.conftest import Tmux, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)
ANALYST_KEY = "demo-analyst-key-not-a-secret-0003"  # Juniper: no console access anywhere
ANALYST = "juniper.abara@example.com"
DELAY = 5.0


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


def test_grant_then_console_waits_for_vpc_then_logs_in(tmux: Tmux, slow_vpc: Emulator,
                                                        tmp_path: Path) -> None:
    iamcheck = f"{shlex.quote(sys.executable)} -m iamcheck"
    endpoint = f"IAMCHECK_ENDPOINT={slow_vpc.url}"
    run(tmux, f"IBMCLOUD_API_KEY={slow_vpc.apikey} {endpoint} {iamcheck} grant {ANALYST} "
              f"--instance pay-api-01 --yes --log {tmp_path}/audit.jsonl; echo GRANT=$?")
    screen = wait_for(tmux, "GRANT=0", timeout=90)  # not "GRANT=": the command line holds it
    assert "up to 10 minutes" in screen.replace("\n", "")
    with slow_vpc.backend.lock:
        created = max(datetime.fromisoformat(p.body["created_at"])
                      for p in slow_vpc.backend.policies.list_page(
                          ListQuery(slow_vpc.backend.account_id))[0])
        slow_vpc.backend.settings.propagation_delay = (
            datetime.now(UTC) - created).total_seconds() + DELAY
    run(tmux, "clear")
    run(tmux, f"IBMCLOUD_API_KEY={ANALYST_KEY} {endpoint} {iamcheck} console pay-api-01; "
              "echo EXIT=$?")
    screen = wait_for(tmux, "pay-api-01 login:", timeout=DELAY + 90)
    joined = screen.replace("\n", "")
    assert "although IAM allows it" in joined and "Waited" in joined, screen
    tmux("send-keys", "-t", "console", "-l", "~.")
    wait_for(tmux, "EXIT=0", timeout=30)
