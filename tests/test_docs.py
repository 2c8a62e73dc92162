"""Docs that can drift are checked against the code: help texts, exit codes, env vars, the
quick start and the emulated endpoints."""

from __future__ import annotations

import re
from pathlib import Path

from iamcheck.errors import ExitCode
from scripts.sync_docs import README, synced_readme

ROOT = Path(__file__).resolve().parents[1]
TEXT = README.read_text(encoding="utf-8")


def test_help_blocks_match_the_cli() -> None:
    assert synced_readme(TEXT) == TEXT, "README help is stale: run python scripts/sync_docs.py"


def test_every_command_is_documented() -> None:
    """The help texts moved from the README to the generated docs/cli.md."""
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("audit", "check", "console", "snapshot", "grant", "revoke",
                    "emulator serve", "emulator generate"):
        assert f"\n## iamcheck {command}\n" in reference


def test_exit_code_table_matches_the_enum() -> None:
    rows = re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", TEXT, re.M)
    assert [(int(code), name) for code, name in rows] == [(c.value, c.name) for c in ExitCode]


def _env_table() -> set[str]:
    section = TEXT.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.M))


def test_env_vars_in_code_are_documented() -> None:
    documented = _env_table()
    code = "\n".join(
        p.read_text() for p in (ROOT / "iamcheck").rglob("*.py") if "emulator" not in p.parts
    )
    used = set(re.findall(r"[\"'](I[A-Z]+_[A-Z_]+)[\"']", code))
    assert used <= documented, used - documented


def test_sdk_url_overrides_are_documented() -> None:
    from ibm_platform_services import (
        GlobalSearchV2,
        GlobalTaggingV1,
        IamAccessGroupsV2,
        IamPolicyManagementV1,
        ResourceManagerV2,
        UserManagementV1,
    )
    from ibm_platform_services.context_based_restrictions_v1 import ContextBasedRestrictionsV1
    from ibm_vpc import VpcV1

    clients = (
        IamPolicyManagementV1,
        IamAccessGroupsV2,
        UserManagementV1,
        ResourceManagerV2,
        GlobalSearchV2,
        GlobalTaggingV1,
        ContextBasedRestrictionsV1,
        VpcV1,
    )
    assert {f"{c.DEFAULT_SERVICE_NAME.upper()}_URL" for c in clients} <= _env_table()


def _quick_start() -> list[str]:
    block = TEXT.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = _quick_start()
    assert len(commands) == 2
    assert "audit --demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
