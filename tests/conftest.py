"""Shared fixtures: a served emulator on a free loopback port, and IBM's own SDK clients for it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

from iamcheck.emulator import Backend, EmulatorServer, demo_seed
from iamcheck.ibm.session import IbmSession
from iamcheck.settings import Secret, Settings

MINI_KEY = "mini-admin-key-0001"


def mini_seed() -> dict[str, Any]:
    """A tiny account: one admin user with a key, one resource group, no policies."""
    return {
        "account_id": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "api_keys": [{"apikey": MINI_KEY, "iam_id": "IBMid-100000AAAA"}],
        "users": [
            {
                "iam_id": "IBMid-100000AAAA",
                "email": "admin@example.com",
                "state": "ACTIVE",
                "firstname": "Ada",
                "lastname": "Admin",
                "realm": "IBMid",
            },
        ],
        "resource_groups": [
            {"id": "rg0000000000000000000000000000a1", "name": "default", "default": True}
        ],
    }


class Emulator:
    """A running emulator plus what a test needs to talk to it like a client would."""

    def __init__(self, server: EmulatorServer, apikey: str) -> None:
        self.server = server
        self.url = server.url
        self.apikey = apikey
        self.backend = server.backend

    def authenticator(self, apikey: str | None = None) -> IAMAuthenticator:
        return IAMAuthenticator(apikey or self.apikey, url=self.url)

    def client(self, cls: type[Any], apikey: str | None = None, **kwargs: Any) -> Any:
        """An unmodified IBM SDK client configured only by URL and API key."""
        service = cls(authenticator=self.authenticator(apikey), **kwargs)
        service.set_service_url(self.url)
        return service

    def load(self, seed: dict[str, Any]) -> None:
        self.backend.load(copy.deepcopy(seed))

    def request_counts(self) -> dict[str, int]:
        with self.backend.lock:
            return dict(self.backend.requests)


@pytest.fixture(autouse=True)
def _no_terminal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The width of whatever runs the suite (a terminal, pytest-xdist's COLUMNS=80) must not
    fit the tables under test; a test about width sets COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture(scope="session")
def _server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Backend(mini_seed())) as server:
        yield server


@pytest.fixture
def emulator(_server: EmulatorServer) -> Iterator[Emulator]:
    """The mini account, fresh for each test."""
    _server.backend.load(mini_seed())
    _server.backend.faults.clear()
    yield Emulator(_server, MINI_KEY)


@pytest.fixture
def demo(_server: EmulatorServer) -> Iterator[Emulator]:
    """The bundled demo account, fresh for each test."""
    seed = demo_seed()
    _server.backend.load(seed)
    _server.backend.faults.clear()
    yield Emulator(_server, seed["api_keys"][0]["apikey"])


def session_for(emulator: Emulator, apikey: str | None = None, **settings: Any) -> IbmSession:
    """An iamcheck session against the served emulator (what --endpoint gives)."""
    return IbmSession(
        Settings(
            apikey=Secret(apikey or emulator.apikey),
            endpoint=emulator.url,
            account_id=None,
            **settings,
        )
    )


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
