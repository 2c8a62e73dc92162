"""A 404 where iamcheck expects none (a list read) ends the run: exit 5 and one line on stderr,
never a traceback, never exit 1 (which a CI gate reads as "denied").

The emulator's fault API scripts 429, 5xx and broken answers, not 404s: the 404 comes from its
backend, as a real HTTP answer, the way test_partial_visibility refuses reads with 403."""

from __future__ import annotations

from typing import Any

import pytest

from iamcheck.emulator.errors import IbmError
from iamcheck.emulator.services import iam_policy as policy_service
from iamcheck.errors import ExitCode
from tests.cli.conftest import Invoke, Run
from tests.conftest import Emulator

AT = "2026-11-27T12:00:00+00:00"
RAVI = "ravi.lindqvist@example.com"  # the demo's on-call engineer


def _oncall(demo: Emulator) -> str:
    return next(g["id"] for g in demo.backend.seed["access_groups"] if g["name"] == "on-call")


def _one_line_exit_5(run: Run, what: str) -> None:
    assert run.exit_code == ExitCode.API_FAILURE, run.stderr
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("iamcheck: error: ") and what in run.stderr
    assert "404" in run.stderr


def test_a_404_on_a_list_read_during_an_audit_is_exit_5(
        demo: Emulator, against: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    store = demo.backend.groups
    listed = store.list_members
    oncall = _oncall(demo)

    def members(gid: str, *args: Any) -> Any:
        if gid == oncall:
            raise IbmError(404, "not_found", "Group not found.")
        return listed(gid, *args)

    monkeypatch.setattr(store, "list_members", members)
    _one_line_exit_5(against("audit", "--at", AT), "members")


def test_a_404_on_a_list_read_during_a_check_is_exit_5(
        demo: Emulator, against: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    page = policy_service.policy_page
    oncall = _oncall(demo)

    def missing(vis: Any, query: Any) -> Any:
        if query.access_group_id == oncall:
            raise IbmError(404, "not_found", "Group not found.")
        return page(vis, query)

    monkeypatch.setattr(policy_service, "policy_page", missing)
    _one_line_exit_5(against("check", "-u", RAVI, "-i", "pay-api-01", "--at", AT), "policies")
