"""Fixtures: the hostile seed, and the session's emulator serving it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from iamcheck.emulator import EmulatorServer
from tests.conftest import Emulator, mini_seed
from tests.hostile.builder import hostile_seed


@pytest.fixture(scope="session")
def _hostile() -> dict[str, Any]:
    return hostile_seed()


@pytest.fixture
def hostile(_hostile: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the hostile demo seed (tests may change it)."""
    return copy.deepcopy(_hostile)


@pytest.fixture
def hostile_emulator(_server: EmulatorServer, _hostile: dict[str, Any]) -> Iterator[Emulator]:
    """The session's emulator serving the hostile seed, with the demo admin's key; the mini
    account is back afterwards for the tests that expect it."""
    _server.backend.load(copy.deepcopy(_hostile))
    _server.backend.faults.clear()
    try:
        yield Emulator(_server, _hostile["api_keys"][0]["apikey"])
    finally:
        _server.backend.load(mini_seed())
