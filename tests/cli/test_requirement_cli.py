"""`--requirement FILE`: another requirement works with no code change."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Invoke

AT = "2026-11-27T12:00:00+00:00"
OPERATE_ONLY = '''
id = "vpc-operate"
title = "Start, stop and reboot a VPC instance"
service = "is"
instance_attribute = "instanceId"
actions = ["is.instance.instance.operate"]

[[grant]]
crn_suffix = "role:Operator"
display_name = "Operator"
'''


def test_a_made_up_requirement_changes_the_verdict(against: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "operate.toml"
    path.write_text(OPERATE_ONLY)
    pair = ("--user", "tamsin.okoro@example.com", "--instance", "pay-api-02", "--at", AT)
    console = against("check", *pair, "-f", "json")
    operate = against("check", *pair, "-f", "json", "--requirement", str(path))
    assert console.json()["verdict"] == "deny"  # an administrator without Console Administrator
    assert operate.exit_code == 0 and operate.json()["verdict"] == "allow"
    assert operate.json()["requirement"] == "vpc-operate"
    audit = against("audit", "-f", "json", "--at", AT, "--requirement", str(path))
    assert audit.json()["requirement"]["actions"] == ["is.instance.instance.operate"]


def test_a_broken_requirement_is_bad_input(against: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\nactions = 3\n')
    run = against("check", "-u", "tamsin.okoro@example.com", "-i", "pay-api-02",
                  "--requirement", str(path))
    assert run.exit_code == 2 and "--requirement" in run.stderr and str(path) in run.stderr
