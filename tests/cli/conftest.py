"""Running the real CLI in-process against the served emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from iamcheck.cli import app
from iamcheck.emulator.backend.policies import ListQuery
from tests.conftest import Emulator

NOTHING = "sol.ainsworth@example.com"  # a demo user with no active policy at all
VM = "pay-api-02"  # a demo instance


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Invoke = Callable[..., Run]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Invoke iamcheck with the given arguments; environment as given (no key by default)."""
    monkeypatch.delenv("IBMCLOUD_API_KEY", raising=False)
    monkeypatch.delenv("IAMCHECK_ENDPOINT", raising=False)
    monkeypatch.delenv("IAMCHECK_DEBUG", raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Run:
        result = CliRunner().invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def against(demo: Emulator, cli: Invoke) -> Invoke:
    """iamcheck pointed at the served demo account with its administrator's key."""

    def invoke(*args: str, apikey: str | None = None, input: str | None = None) -> Run:
        env = {"IBMCLOUD_API_KEY": apikey or demo.apikey, "IAMCHECK_ENDPOINT": demo.url}
        return cli(*args, env=env, input=input)

    return invoke


def active(demo: Emulator) -> dict[str, dict[str, Any]]:
    """Every active policy of the served account, by id, in v2 form."""
    with demo.backend.lock:
        page, _ = demo.backend.policies.list_page(ListQuery(demo.backend.account_id))
        return {p.id: p.body for p in page}


def posts(demo: Emulator) -> int:
    counts = demo.request_counts()
    return counts.get("POST /v2/policies", 0) + counts.get("POST /v1/policies", 0)
