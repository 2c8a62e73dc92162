"""The promises of a whole run (issue 12): every bad input listed there is exit 2 in one line
before any IBM call it does not need; `--timeout` is a deadline for the whole run, even for an
answer that trickles; the key and the token never reach a message, echoed or not; anything
unexpected is a one-line internal error (exit 70), never a traceback with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from iamcheck.errors import ExitCode
from tests.reliability.conftest import AT, Served, assert_bad_input

HUGE = "1" + "0" * 4400  # past Python's 4,300-digit limit for int()


def _calls(emu: Served) -> int:
    return sum(emu.counts().values())


def _bad_inputs(tmp: Path, emu: Served) -> list[tuple[tuple[str, ...], str, int]]:
    """(arguments, culprit in the message, IBM calls allowed) for each bad input of issue 12."""
    user, instance = emu.seed["users"][0]["email"], emu.seed["instances"][0]["name"]
    (tmp / "huge.json").write_text(f'["{user}", {HUGE}]')
    (tmp / "snap.json").write_text(f'{{"kind": "iamcheck-snapshot", "n": {HUGE}}}')
    return [
        (("audit", "--account", "nothex"), "--account", 0),
        (("audit", "--account", "6D5C4B3A2F1E40D9A8B7C6D5E4F3A2B1"), "--account", 0),
        (("check", "--user", user, "--instance", instance, "--account", "x"), "--account", 0),
        (("audit", "--region", "us south"), "--region", 0),
        # a region name of the right shape that does not exist: one list of regions (and the
        # sign-in it needs), nothing else
        (("audit", "--region", "us-sooth"), "us-sooth", 2),
        (("grant", user, "--instance", instance, "--ttl", "\u0663h", "--yes"), "--ttl", 0),
        (("grant", user, "--instance", instance, "--ttl", "\uff18h", "--yes"), "--ttl", 0),
        (("audit", "--expect", str(tmp / "huge.json")), "--expect", 0),
        (("audit", "--from-snapshot", str(tmp / "snap.json")), "--from-snapshot", 0),
        (("audit", "--from-snapshot", str(tmp / "snap.json"), "--region", "us-south"),
         "--from-snapshot", 0),
    ]


def test_every_bad_input_is_exit_2_before_the_calls_it_does_not_need(
        emu: Served, tmp_path: Path) -> None:
    for args, culprit, allowed in _bad_inputs(tmp_path, emu):
        with emu.backend.lock:
            emu.backend.requests.clear()
        run = emu.run(*args, "--at", AT) if args[0] != "grant" else emu.run(*args)
        assert_bad_input(run, culprit)
        assert _calls(emu) <= allowed, (args, emu.counts())


def test_a_region_that_exists_is_accepted(emu: Served) -> None:
    region = emu.seed["instances"][0]["zone"].rsplit("-", 1)[0]
    run = emu.run("audit", "--region", region, "--at", AT, "--format", "json")
    assert run.exit_code == ExitCode.OK, run.stderr
    assert {i["region"] for i in run.json()["instances"]} == {region}


def test_an_expect_file_with_a_bom_reads_as_without(emu: Served, tmp_path: Path) -> None:
    user = emu.seed["users"][0]["email"]
    plain, bom = tmp_path / "plain.txt", tmp_path / "bom.txt"
    plain.write_text(f"{user}\n", encoding="utf-8")
    bom.write_bytes(b"\xef\xbb\xbf" + f"{user}\n".encode())
    runs = [emu.run("audit", "--expect", str(p), "--at", AT, "--format", "json")
            for p in (plain, bom)]
    assert runs[0].exit_code == runs[1].exit_code and runs[0].exit_code in (0, 1), runs[1].stderr
    first, second = (r.json() for r in runs)
    for doc in (first, second):
        doc.pop("read_at"), doc.pop("evaluated_at")
        doc["summary"].pop("expectations_source", None)
    assert first["subjects"] == second["subjects"]


# --- the whole-run deadline, in a process of its own (an abandoned read dies with it) -------


def _process(emu: Served, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **emu.env(), "IAMCHECK_DEBUG": ""}
    return subprocess.Popen([sys.executable, "-m", "iamcheck", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_timeout_bounds_an_answer_that_trickles(emu: Served) -> None:
    """One byte a second: the socket's read timeout restarts on every byte, the run's does not."""
    emu.faults(trickle_s=1.0, next={"GET /v2/policies": ["trickle"] * 5})
    started = time.monotonic()
    proc = _process(emu, "audit", "--at", AT, "--timeout", "3")
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == ExitCode.API_FAILURE, err
    assert "--timeout" in err and "Traceback" not in err and out == ""
    # the deadline, plus start-up on a busy machine; the trickled page (thousands of bytes)
    # alone would take more than a thousand seconds
    assert took < 3 + 10, took


# --- secrets out of every message -----------------------------------------------------------


@pytest.mark.parametrize("route", ["POST /identity/token", "GET /v2/policies"])
def test_a_server_that_echoes_the_credentials_does_not_print_them(
        emu: Served, route: str) -> None:
    """The emulator's `echo` fault answers 400 with the request's Authorization header and form
    body in its message: on the token route, the API key itself."""
    emu.faults(next={route: ["echo"]})
    run = emu.run("audit", "--at", AT, "--debug")
    assert run.exit_code in (ExitCode.NOT_AUTHORIZED, ExitCode.API_FAILURE), run.stderr
    assert emu.apikey not in run.stderr and emu.apikey not in run.stdout
    assert "[redacted]" in run.stderr, run.stderr
    assert "Bearer ey" not in run.stderr  # no token either


# --- the last resort -------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_with_its_own_exit_code(
        emu: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (here: a decision that raises) is exit 70, one line asking for --debug."""
    import iamcheck.audit.run as audit_run

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(audit_run, "run_audit", broken)
    run = emu.run("audit", "--at", AT)
    assert run.exit_code == ExitCode.INTERNAL_ERROR == 70
    assert run.exit_code != ExitCode.FINDING
    assert run.lines == ["iamcheck: internal error (ZeroDivisionError); re-run with --debug and "
                         "report the trace it prints"], run.stderr
    debug = emu.run("audit", "--at", AT, "--debug")
    assert debug.exit_code == 70 and "ZeroDivisionError: a bug" in debug.stderr


def test_the_last_resort_covers_the_command_line_itself() -> None:
    """Outside any command's own handler (here: an option's callback), still one line."""
    from iamcheck.cli._errors import typed

    assert typed(ZeroDivisionError()) == (ExitCode.INTERNAL_ERROR, "internal error "
                                          "(ZeroDivisionError); re-run with --debug and report "
                                          "the trace it prints")
    code, line = typed(OSError(28, "No space left on device", "/dev/full")) or (0, "")
    assert code == ExitCode.BAD_INPUT and "/dev/full" in line


def test_a_reader_that_leaves_early_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`iamcheck audit | head`: the closed pipe is said once, like an -o that cannot be
    written (exit 2), never a traceback or a second error when Python flushes stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBMCLOUD", "IAMCHECK"))}
    proc = subprocess.Popen([sys.executable, "-m", "iamcheck", "audit", "--demo", "-f", "csv",
                             "--at", AT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitCode.BAD_INPUT, err
    assert err.splitlines() == ["iamcheck: error: cannot write the result: the reader of "
                                "stdout is gone"], err


# --- Ctrl-C ---------------------------------------------------------------------------------

PHASES = {  # a read phase of an audit, and the route whose first request says it has begun
    "own rights, users, groups, policies": "GET /v2/policies",
    "members, rules, instances": "GET /v2/groups/{access_group_id}/members",
}


@pytest.mark.parametrize("concurrency", ["2", "8"])
@pytest.mark.parametrize("phase", sorted(PHASES))
def test_ctrl_c_ends_an_audit_within_a_second(emu: Served, tmp_path: Path, phase: str,
                                              concurrency: str) -> None:
    """SIGINT during a read phase against a slow emulator (200 ms an answer): exit 130 within
    1 s, nothing on stdout, no report half-written, no traceback."""
    emu.faults(latency_ms=200)
    with emu.backend.lock:
        emu.backend.requests.clear()
    out = tmp_path / "report.json"
    proc = _process(emu, "audit", "--at", AT, "--concurrency", concurrency, "-f", "json",
                    "-o", str(out))
    deadline = time.monotonic() + 60
    while emu.counts().get(PHASES[phase], 0) == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, emu.counts()
        time.sleep(0.02)
    sent = time.monotonic()
    proc.send_signal(2)  # SIGINT, as a terminal's Ctrl-C
    stdout, stderr = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert took < 1.0, took
    assert stdout == "" and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "iamcheck: interrupted", stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []  # nothing half-written
