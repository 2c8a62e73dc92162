"""Reliability and security tests: an emulator of their own (faults and scripted answers stay
here), the CLI run in-process with everything it writes captured, and the control API."""

from __future__ import annotations

import copy
import functools
import json
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from iamcheck.cli import app
from iamcheck.emulator import Backend, EmulatorServer
from iamcheck.emulator.seed.generate import generate
from iamcheck.errors import ExitCode

AT = "2026-11-27T12:00:00+00:00"


@functools.cache
def _generated(seed: int) -> str:
    return json.dumps(
        generate(users=16, instances=12, groups=6, policies=120, seed=seed, regions=2)
    )


def small_account(seed: int = 5) -> dict[str, Any]:
    """A small generated account (two pages of policies, every kind of group and rule)."""
    account: dict[str, Any] = json.loads(_generated(seed))
    return account


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def assert_bad_input(run: Run, culprit: str) -> None:
    """Exit 2, one line on stderr naming `culprit`, nothing on stdout, no traceback."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == ExitCode.BAD_INPUT, (run.exit_code, run.stderr)
    assert run.stdout == ""  # no verdict, no report
    assert len(run.lines) == 1 and run.lines[0].startswith("iamcheck: error: "), run.stderr
    assert culprit in run.stderr, run.stderr


def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
    """iamcheck in-process, as a shell would run it; an escaped exception becomes the
    traceback Python would print, so that tests can say "never a traceback"."""
    base = {"IBMCLOUD_API_KEY": None, "IAMCHECK_ENDPOINT": None, "IAMCHECK_DEBUG": None}
    result = CliRunner().invoke(app, list(args), env={**base, **(env or {})})
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        return Run(1, result.stdout, stderr)
    return Run(result.exit_code, result.stdout, stderr)


class Served:
    """A served emulator owned by one test module, driven through its control API."""

    def __init__(self, server: EmulatorServer, seed: dict[str, Any]) -> None:
        self.server = server
        self.url = server.url
        self.backend = server.backend
        self.seed = seed
        self.apikey: str = seed["api_keys"][0]["apikey"]

    def env(self, apikey: str | None = None) -> dict[str, str]:
        return {"IBMCLOUD_API_KEY": apikey or self.apikey, "IAMCHECK_ENDPOINT": self.url}

    def run(self, *args: str, apikey: str | None = None) -> Run:
        return invoke(*args, env=self.env(apikey))

    def load(self, seed: dict[str, Any]) -> None:
        self.seed = copy.deepcopy(seed)
        self.apikey = seed["api_keys"][0]["apikey"]
        self.backend.load(copy.deepcopy(seed))

    def faults(self, **settings: Any) -> dict[str, Any]:
        """POST /_emulator/faults (rate, seed, kinds, retry_after, hang_s, next={route: [...]})."""
        answer = requests.post(f"{self.url}/_emulator/faults", json=settings, timeout=10)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def clear_faults(self) -> None:
        requests.delete(f"{self.url}/_emulator/faults", timeout=10).raise_for_status()

    def counts(self) -> dict[str, int]:
        with self.backend.lock:
            return dict(self.backend.requests)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    seed = small_account()
    with EmulatorServer(Backend(copy.deepcopy(seed))) as server:
        yield Served(server, seed)


@pytest.fixture
def emu(served: Served) -> Iterator[Served]:
    """The module's emulator with its small account, fresh and fault-free for each test."""
    served.load(small_account())
    served.clear_faults()
    yield served
    served.clear_faults()


def verdict_pairs(emu: Served, per_verdict: int = 1) -> list[tuple[str, str, str]]:
    """(iam_id, instance id, verdict) of ACTIVE users and service IDs: a few pairs of each
    verdict audit finds, spread over the sorted pairs, allow first. (Revision 2: a user not in a
    dynamic-rule group may enter it, so the denies of this account are the service IDs'.)"""
    from iamcheck.decide import Verdict, decide_account
    from iamcheck.ibm.session import IbmSession
    from iamcheck.read.account import read_account
    from iamcheck.requirement import load_requirement
    from iamcheck.settings import Secret, Settings

    session = IbmSession(Settings(Secret(emu.apikey), emu.url, None))
    requirement = load_requirement()
    account = read_account(session, emu.seed["account_id"], requirement.service)
    result = decide_account(account, requirement, datetime.fromisoformat(AT))
    active = {u["iam_id"] for u in emu.seed["users"] if u["state"] == "ACTIVE"}
    active |= {s["iam_id"] for s in emu.seed.get("service_ids", [])}
    found = []
    for verdict in (Verdict.ALLOW, Verdict.DENY, Verdict.UNKNOWN):
        pairs = sorted((s, i) for s, i in result.pairs(verdict) if s in active)
        step = max(1, len(pairs) // per_verdict)
        found += [(*pair, verdict.value) for pair in pairs[step // 2 :: step][:per_verdict]]
    return found


def active_policies(emu: Served) -> list[dict[str, Any]]:
    """Every active policy of the account, as IBM's SDK pages them."""
    from ibm_platform_services import IamPolicyManagementV1
    from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager

    from iamcheck.ibm.session import IbmSession
    from iamcheck.settings import Secret, Settings

    session = IbmSession(Settings(Secret(emu.apikey), emu.url, None))
    pager = V2PoliciesPager(client=session.client(IamPolicyManagementV1),
                            account_id=emu.seed["account_id"], state="active", limit=100)
    return list(session.pages("list policies", pager))


def written_files(root: Path) -> dict[str, str]:
    """Every file under `root` (the reports, snapshots and logs a test made iamcheck write)."""
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
