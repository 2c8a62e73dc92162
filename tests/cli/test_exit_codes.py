"""Every exit code, produced for real against the served emulator; never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iamcheck.errors import ExitCode
from tests.cli.conftest import Invoke
from tests.conftest import Emulator

AT = "2026-11-27T12:00:00+00:00"
ALLOWED = ("ravi.lindqvist@example.com", "pay-api-02")
DENIED = ("tamsin.okoro@example.com", "pay-api-02")
UNCERTAIN = ("yusuf.carrow@example.com", "pay-api-01")  # joins contractors-sso only by rule


def _check(against: Invoke, pair: tuple[str, str], *extra: str) -> tuple[int, str, str]:
    run = against("check", "--user", pair[0], "--instance", pair[1], "--at", AT, *extra)
    return run.exit_code, run.stdout, run.stderr


def test_ok_allow(against: Invoke) -> None:
    code, out, _ = _check(against, ALLOWED)
    assert code == ExitCode.OK and "ALLOW" in out.upper()


def test_finding_deny(against: Invoke) -> None:
    code, out, _ = _check(against, DENIED)
    assert code == ExitCode.FINDING and "is.instance.instance.console" in out


def test_unknown(against: Invoke) -> None:
    code, out, _ = _check(against, UNCERTAIN, "--format", "json")
    assert code == ExitCode.UNKNOWN and '"verdict": "unknown"' in out


@pytest.mark.parametrize(
    "args, culprit",
    [
        (("--user", "not-an-email@", "--instance", "pay-api-02"), "--user"),
        (("--user", "nobody@example.com", "--instance", "pay-api-02"), "nobody@example.com"),
        (("--user", "ravi.lindqvist@example.com", "--instance", "no-such-vm"), "no-such-vm"),
        (("--user", "ravi.lindqvist@example.com", "--instance", "crn:v1:bad"), "--instance"),
        (
            (
                "--user",
                "ravi.lindqvist@example.com",
                "--instance",
                "pay-api-02",
                "--at",
                "tomorrow",
            ),
            "--at",
        ),
        (
            (
                "--user",
                "ravi.lindqvist@example.com",
                "--instance",
                "pay-api-02",
                "--at",
                "2026-01-01T10:00:00",
            ),
            "offset",
        ),
    ],
)
def test_bad_input(against: Invoke, args: tuple[str, ...], culprit: str) -> None:
    run = against("check", *args)
    assert run.exit_code == ExitCode.BAD_INPUT
    assert culprit in run.stderr and run.stdout == ""
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_bad_input_before_any_call(demo: Emulator, against: Invoke) -> None:
    run = against("check", "--user", "x@", "--instance", "pay-api-02")
    assert run.exit_code == ExitCode.BAD_INPUT
    assert demo.request_counts() == {}


def test_no_key_is_bad_input(cli: Invoke, demo: Emulator) -> None:
    run = cli("audit", env={"IAMCHECK_ENDPOINT": demo.url})
    assert run.exit_code == ExitCode.BAD_INPUT and "IBMCLOUD_API_KEY" in run.stderr


def test_plain_http_elsewhere_is_refused(cli: Invoke) -> None:
    run = cli("audit", "--endpoint", "http://iam.example.com", env={"IBMCLOUD_API_KEY": "k" * 20})
    assert run.exit_code == ExitCode.BAD_INPUT and "plain http" in run.stderr


def test_refused_key_is_not_authorized(against: Invoke) -> None:
    run = against("audit", apikey="wrong-key-000000000000")
    assert run.exit_code == ExitCode.NOT_AUTHORIZED
    assert "API key" in run.stderr and "wrong-key-000000000000" not in run.stderr


def test_api_failure_after_retries(demo: Emulator, against: Invoke) -> None:
    demo.backend.faults.rate = 1.0
    run = against("audit", "--timeout", "1")
    assert run.exit_code == ExitCode.API_FAILURE
    assert "retries" in run.stderr and "Traceback" not in run.stderr


def test_audit_expectations_gate(against: Invoke, tmp_path: Path) -> None:
    met = tmp_path / "met.txt"
    met.write_text("# the on-call lead must reach payments\nravi.lindqvist@example.com\n")
    run = against("audit", "--resource-group", "payments", "--expect", str(met), "--at", AT)
    assert run.exit_code == ExitCode.OK, run.stderr
    unmet = tmp_path / "unmet.txt"
    unmet.write_text("tamsin.okoro@example.com\n")
    run = against("audit", "--resource-group", "payments", "--expect", str(unmet), "--at", AT)
    assert run.exit_code == ExitCode.FINDING
    undecided = tmp_path / "undecided.txt"
    undecided.write_text("yusuf.carrow@example.com\n")
    run = against("audit", "--instance", "pay-api-01", "--expect", str(undecided), "--at", AT)
    assert run.exit_code == ExitCode.UNKNOWN


def test_interrupted(demo: Emulator) -> None:
    demo.backend.faults.latency_ms = 5000  # every call hangs long enough to be interrupted
    env = {**os.environ, "IBMCLOUD_API_KEY": demo.apikey, "IAMCHECK_ENDPOINT": demo.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamcheck", "audit"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err and out == ""


def test_per_service_urls_from_ibm_sdk_variables(demo: Emulator, cli: Invoke) -> None:
    """Without --endpoint, each IBM SDK's own <SERVICE>_URL variable points its client."""
    url = demo.url
    env = {"IBMCLOUD_API_KEY": demo.apikey, "IAM_IDENTITY_URL": url,
           "IAM_POLICY_MANAGEMENT_URL": url, "IAM_ACCESS_GROUPS_URL": url,
           "USER_MANAGEMENT_URL": url, "RESOURCE_MANAGER_URL": url, "GLOBAL_SEARCH_URL": url,
           "GLOBAL_TAGGING_URL": url, "CONTEXT_BASED_RESTRICTIONS_URL": url,
           "VPC_URL": f"{url}/v1"}
    run = cli("check", "-u", ALLOWED[0], "-i", ALLOWED[1], "--at", AT, env=env)
    assert run.exit_code == ExitCode.OK, run.stderr


@pytest.mark.parametrize("args, words", [
    (("check",), "Missing option '--instance'"),
    (("check", "--instance"), "requires an argument"),
    (("bogus",), "No such command"),
    (("audit", "--format", "xml"), "'xml' is not one of"),
])
def test_usage_errors_are_one_line(args: tuple[str, ...], words: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "iamcheck", *args], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == ExitCode.BAD_INPUT
    assert proc.stdout == "" and proc.stderr.count("\n") == 1 and words in proc.stderr


def test_debug_shows_the_traceback_and_keeps_the_exit_code(against: Invoke) -> None:
    run = against("check", "--user", "nobody@example.com", "--instance", "pay-api-02", "--debug")
    assert run.exit_code == ExitCode.BAD_INPUT
    assert "Traceback" in run.stderr and run.stderr.rstrip().endswith(
        "iamcheck: error: --user: no user 'nobody@example.com' in account "
        "6d5c4b3a2f1e40d9a8b7c6d5e4f3a2b1")
