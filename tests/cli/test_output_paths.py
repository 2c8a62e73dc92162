"""Issue 12: `audit -o`, `snapshot -o` and `grant --log` go through iamcheck.outfile, checked
before any IBM call; devices, FIFOs and symlinks are written through, never replaced. Run as
root in CI, where replacing /dev/null is possible and must not happen."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import Invoke, Run
from tests.conftest import Emulator

AT = "2026-06-01T12:00:00+00:00"


def _one_line_bad_input(run: Run) -> None:
    assert run.exit_code == ExitCode.BAD_INPUT, run.stdout + run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def _requests(demo: Emulator) -> int:
    return sum(demo.request_counts().values())


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def reader(fifo: Path) -> Iterator[list[bytes]]:
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            got.append(pipe.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    yield got
    thread.join(timeout=10)


@pytest.mark.parametrize("where", ["dir", "missing/x.json", "", "dangling"])
def test_bad_output_paths_are_refused_before_any_ibm_call(
        demo: Emulator, against: Invoke, tmp_path: Path, where: str) -> None:
    path = {"dir": str(tmp_path), "": ""}.get(where, str(tmp_path / where))
    if where == "dangling":
        os.symlink(tmp_path / "nowhere" / "x", path)
    before = _requests(demo)
    for args in (("audit", "-o", path), ("snapshot", "-o", path)):
        run = against(*args)
        _one_line_bad_input(run)
        assert run.stdout == ""
    assert _requests(demo) == before  # nothing was read


@pytest.mark.skipif(os.geteuid() != 0, reason="replacing /dev/null needs root")
def test_dev_null_stays_a_device(against: Invoke) -> None:
    for args in (("audit", "-f", "json", "-o", "/dev/null"), ("snapshot", "-o", "/dev/null")):
        run = against(*args)
        assert run.exit_code == ExitCode.OK, run.stderr
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_to_not_replaced(against: Invoke, fifo: Path,
                                           reader: list[bytes]) -> None:
    run = against("audit", "-f", "json", "-o", str(fifo), "--at", AT)
    assert run.exit_code == ExitCode.OK, run.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    for _ in range(100):
        if reader:
            break
        threading.Event().wait(0.1)
    assert reader and b'"kind": "iamcheck-audit"' in reader[0]


def test_a_fifo_nobody_reads_is_refused_at_once(demo: Emulator, against: Invoke,
                                                fifo: Path) -> None:
    before = _requests(demo)
    _one_line_bad_input(against("audit", "-o", str(fifo)))
    assert _requests(demo) == before


def test_a_symlink_to_a_file_replaces_the_target_and_keeps_the_link(
        against: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    os.chmod(target, 0o644)
    link = tmp_path / "latest.json"
    os.symlink(target, link)
    run = against("audit", "-f", "json", "-o", str(link), "--at", AT)
    assert run.exit_code == ExitCode.OK, run.stderr
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert '"kind": "iamcheck-audit"' in target.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644  # an existing 0644 file stays 0644


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "junit"])
def test_a_file_holds_the_same_bytes_as_stdout(against: Invoke, cli: Invoke, tmp_path: Path,
                                               fmt: str) -> None:
    """-o FILE streams CSV and JSON as stdout does, and writes every format byte for byte
    (from one snapshot, so that both runs read the same account at the same time)."""
    snap = tmp_path / "s.json"
    assert against("snapshot", "-o", str(snap)).exit_code == ExitCode.OK
    offline = ("--from-snapshot", str(snap), "--at", AT)
    printed = cli("audit", "-f", fmt, *offline)
    path = tmp_path / f"report.{fmt}"
    written = cli("audit", "-f", fmt, "-o", str(path), *offline)
    assert printed.exit_code == written.exit_code == ExitCode.OK, written.stderr
    assert written.stdout == ""
    assert path.read_bytes() == printed.stdout.encode("utf-8")


def test_dash_is_stdout(against: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = against("audit", "-f", "json", "-o", "-", "--at", AT)
    assert run.exit_code == ExitCode.OK and '"kind": "iamcheck-audit"' in run.stdout
    assert not (tmp_path / "-").exists()


def test_snapshot_to_a_file_loads_back(against: Invoke, cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    assert against("snapshot", "-o", str(path)).exit_code == ExitCode.OK
    assert cli("audit", "--from-snapshot", str(path), "--at", AT).exit_code == ExitCode.OK


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dir"])
def test_bad_grant_logs_are_refused_before_any_change(
        demo: Emulator, against: Invoke, tmp_path: Path, fifo: Path, kind: str) -> None:
    if kind == "fifo":
        log = fifo
    elif kind == "symlink":
        log = tmp_path / "link.jsonl"
        os.symlink(tmp_path / "real.jsonl", log)
    else:
        log = tmp_path
    posts = demo.request_counts().get("POST /v2/policies", 0)
    run = against("grant", "juniper.abara@example.com", "--instance", "pay-api-01",
                  "--yes", "--log", str(log))
    _one_line_bad_input(run)
    assert demo.request_counts().get("POST /v2/policies", 0) == posts


def test_a_world_readable_grant_log_is_tightened(against: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    os.chmod(log, 0o644)
    run = against("grant", "juniper.abara@example.com", "--instance", "pay-api-01",
                  "--yes", "--log", str(log))
    assert run.exit_code in (ExitCode.OK, ExitCode.FINDING), run.stderr
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert "restricted to the owner" in run.stderr
