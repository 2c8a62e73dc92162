"""Snapshots: what was read, saved without secrets, gives the same verdicts offline."""

from __future__ import annotations

import json
from pathlib import Path

from iamcheck.read.snapshot import load
from tests.cli.conftest import Invoke
from tests.conftest import Emulator

AT = "2026-11-27T12:00:00+00:00"


def _without_times(doc: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in doc.items() if k not in ("read_at",)}


def test_snapshot_round_trip_gives_the_same_audit(demo: Emulator, against: Invoke,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    saved = against("snapshot", "-o", str(path))
    assert saved.exit_code == 0, saved.stderr
    assert saved.stdout == "" and "saved" in saved.stderr
    text = path.read_text()
    assert demo.apikey not in text and "access_token" not in text and "Bearer" not in text
    assert load(path).account_id == demo.backend.account_id

    online = against("audit", "--format", "json", "--at", AT)
    offline = against("audit", "--format", "json", "--at", AT, "--from-snapshot", str(path))
    assert online.exit_code == offline.exit_code == 0
    assert _without_times(online.json()) == _without_times(offline.json())


def test_check_from_snapshot_agrees(against: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    assert against("snapshot", "-o", str(path)).exit_code == 0
    for user, instance in (("ravi.lindqvist@example.com", "pay-api-02"),
                           ("tamsin.okoro@example.com", "pay-api-02"),
                           ("yusuf.carrow@example.com", "pay-api-01")):
        online = against("check", "-u", user, "-i", instance, "--at", AT, "-f", "json")
        offline = against("check", "-u", user, "-i", instance, "--at", AT, "-f", "json",
                          "--from-snapshot", str(path))
        assert online.exit_code == offline.exit_code
        assert online.json()["verdict"] == offline.json()["verdict"]
        assert online.json()["grants"] == offline.json()["grants"]


def test_bad_snapshots_are_bad_input(cli: Invoke, tmp_path: Path) -> None:
    for content, words in (("{", "not JSON"), ("[]", "not an iamcheck snapshot"),
                           (json.dumps({"kind": "iamcheck-snapshot", "schema_version": 99}),
                            "schema_version"),
                           (json.dumps({"kind": "iamcheck-snapshot", "schema_version": 2,
                                        "account": {"account_id": "x"}}), "damaged")):
        path = tmp_path / "s.json"
        path.write_text(content)
        run = cli("audit", "--from-snapshot", str(path))
        assert run.exit_code == 2 and words in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    run = cli("audit", "--from-snapshot", str(tmp_path / "missing.json"))
    assert run.exit_code == 2 and "cannot read" in run.stderr
