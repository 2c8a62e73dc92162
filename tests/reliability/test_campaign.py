"""The fault campaign: the same account, read fault-free and then under 20% injected 429, 5xx
and connection resets with many fault seeds, gives the same verdicts every time, or exit 5;
never a different verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamcheck.errors import ExitCode
from tests.reliability.conftest import AT, Run, Served, active_policies, verdict_pairs

KINDS = ["429", "500", "502", "503", "504", "reset"]
RATE = 0.2
AUDIT_SEEDS = range(10)
FEW_SEEDS = range(4)


def _under_faults(emu: Served, fault_seed: int) -> None:
    emu.load(emu.seed)
    emu.faults(rate=RATE, seed=fault_seed, kinds=KINDS, retry_after=0)


def _outcome(run: Run, same: bool) -> str:
    """'same', 'exit 5' or what went wrong (a different verdict, another exit code)."""
    if run.exit_code == ExitCode.API_FAILURE:
        return "exit 5" if run.stdout == "" and len(run.lines) == 1 else f"exit 5: {run.stderr}"
    return "same" if same else f"DIFFERENT (exit {run.exit_code}): {run.stderr[:300]}"


def _judge(outcomes: dict[int, str]) -> None:
    assert all(o in ("same", "exit 5") for o in outcomes.values()), outcomes
    # 8 attempts at 20% rarely all fail: most runs must have got through, or nothing was shown
    assert sum(o == "same" for o in outcomes.values()) >= len(outcomes) - 2, outcomes


def _audit(emu: Served) -> tuple[Run, dict[str, Any] | None]:
    run = emu.run("audit", "--format", "json", "--at", AT, "--concurrency", "4")
    if run.exit_code != ExitCode.OK:
        return run, None
    doc: dict[str, Any] = run.json()
    doc.pop("read_at")
    return run, doc


@pytest.fixture(scope="module")
def clean(served: Served) -> dict[str, Any]:
    served.load(served.seed)
    served.clear_faults()
    run, doc = _audit(served)
    assert doc is not None, run.stderr
    return {"audit": doc, "requests": sum(served.counts().values())}


def test_audit_verdicts_are_the_same_under_faults(emu: Served, clean: dict[str, Any]) -> None:
    outcomes = {}
    for fault_seed in AUDIT_SEEDS:
        _under_faults(emu, fault_seed)
        run, doc = _audit(emu)
        outcomes[fault_seed] = _outcome(run, doc == clean["audit"])
        if run.exit_code == ExitCode.OK:
            assert sum(emu.counts().values()) > clean["requests"], "no fault was injected"
    _judge(outcomes)


def test_snapshots_are_identical_under_faults(emu: Served, tmp_path: Path) -> None:
    def snapshot(name: str) -> tuple[Run, dict[str, Any] | None]:
        out = tmp_path / name
        run = emu.run("snapshot", "-o", str(out), "--concurrency", "4")
        if run.exit_code != ExitCode.OK:
            assert not out.exists()  # nothing half-written
            return run, None
        account: dict[str, Any] = json.loads(out.read_text())["account"]
        account.pop("read_at")
        return run, account

    expected = snapshot("clean.json")[1]
    assert expected is not None and len(expected["policies"]) > 100  # more than one page
    outcomes = {}
    for fault_seed in FEW_SEEDS:
        _under_faults(emu, 100 + fault_seed)
        run, account = snapshot(f"faulty-{fault_seed}.json")
        outcomes[fault_seed] = _outcome(run, account == expected)
    _judge(outcomes)


def test_check_verdicts_are_the_same_under_faults(emu: Served, clean: dict[str, Any]) -> None:
    pairs = verdict_pairs(emu)
    assert {"allow", "deny"} <= {verdict for *_, verdict in pairs}, pairs

    def check(user: str, instance: str) -> Run:
        return emu.run("check", "--user", user, "--instance", instance, "--at", AT,
                       "--format", "json")

    expected = {}
    for user, instance, verdict in pairs:
        run = check(user, instance)
        assert run.json()["verdict"] == verdict, (user, instance)
        expected[user, instance] = run.json()
    outcomes = {}
    for fault_seed in FEW_SEEDS:
        for n, (user, instance, _) in enumerate(pairs):
            _under_faults(emu, 200 + fault_seed * 10 + n)
            run = check(user, instance)
            same = run.exit_code != ExitCode.API_FAILURE and run.json() == expected[user, instance]
            outcomes[fault_seed * 10 + n] = _outcome(run, same)
    _judge(outcomes)


def _shape(policy: dict[str, Any]) -> tuple[str, ...]:
    """What a granted policy gives, to whom, on what (not its id or timestamps)."""
    attrs = policy["subject"]["attributes"] + policy["resource"]["attributes"]
    roles = [r["role_id"] for r in policy["control"]["grant"]["roles"]]
    return (*sorted(f"{a['key']}={a['value']}" for a in attrs), *sorted(roles))


def test_grant_under_faults_creates_one_policy_or_exits_5(emu: Served, tmp_path: Path) -> None:
    (_, _, _), (user, instance, verdict) = verdict_pairs(emu)[:2]
    assert verdict == "deny"
    args = ("grant", user, "--instance", instance, "--yes", "--format", "json")
    before = {p["id"] for p in active_policies(emu)}
    run = emu.run(*args, "--log", str(tmp_path / "clean.jsonl"))
    assert run.exit_code == ExitCode.OK, run.stderr
    expected = sorted(_shape(p) for p in active_policies(emu) if p["id"] not in before)
    assert len(expected) == 1, expected
    outcomes = {}
    for fault_seed in FEW_SEEDS:
        emu.load(emu.seed)
        before_ids = {p["id"] for p in active_policies(emu)}
        emu.faults(rate=RATE, seed=300 + fault_seed, kinds=KINDS, retry_after=0)
        run = emu.run(*args, "--log", str(tmp_path / f"faulty-{fault_seed}.jsonl"))
        emu.clear_faults()
        made = sorted(_shape(p) for p in active_policies(emu) if p["id"] not in before_ids)
        assert len(made) <= 1, made  # never a duplicate, whatever the faults
        if run.exit_code == ExitCode.OK:
            outcomes[fault_seed] = "same" if made == expected else f"DIFFERENT: {made}"
        else:
            outcomes[fault_seed] = _outcome(run, False)
    _judge(outcomes)


def test_console_preflight_under_faults(emu: Served) -> None:
    (_, instance, _) = verdict_pairs(emu)[0]

    def preflight() -> tuple[Run, dict[str, Any] | None]:
        run = emu.run("console", instance, "--preflight-only", "--format", "json")
        if run.exit_code != ExitCode.OK:
            return run, None
        doc: dict[str, Any] = run.json()
        for volatile in ("read_at", "evaluated_at", "checked_at"):
            doc.pop(volatile, None)
        return run, doc

    expected = preflight()
    assert expected[1] is not None, expected[0].stderr
    outcomes = {}
    for fault_seed in FEW_SEEDS:
        _under_faults(emu, 400 + fault_seed)
        run, doc = preflight()
        outcomes[fault_seed] = _outcome(run, doc == expected[1])
    _judge(outcomes)
