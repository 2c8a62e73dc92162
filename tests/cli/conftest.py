"""Running the real CLI in-process against the served emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from iamcheck.cli import app
from tests.conftest import Emulator


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
