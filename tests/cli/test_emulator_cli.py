"""`iamcheck emulator serve` and `generate` as a user runs them: a real process, real HTTP."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamPolicyManagementV1, UserManagementV1
from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager
from ibm_platform_services.user_management_v1 import UsersPager

from tests.cli.conftest import Invoke


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `iamcheck emulator serve --port 0` and return it with the base URL it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamcheck", "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    stream = proc.stderr
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen += line
        if "base URL:" in line:
            return proc, line.split("base URL:", 1)[1].strip()
    proc.kill()
    raise AssertionError(f"the emulator did not start: {seen}")


@pytest.fixture(scope="module")
def big_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "big.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "iamcheck",
            "emulator",
            "generate",
            "--users",
            "5000",
            "--groups",
            "500",
            "--policies",
            "4020",
            "--instances",
            "2000",
            "--seed",
            "3",
            "-o",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture
def served_big(big_seed: Path) -> Iterator[tuple[str, dict[str, object]]]:
    proc, url = _serve("--seed", str(big_seed))
    try:
        yield url, json.loads(big_seed.read_text())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_generated_5000_user_account_answers_the_sdks(
    served_big: tuple[str, dict[str, object]],
) -> None:
    url, seed = served_big
    key = seed["api_keys"][0]["apikey"]  # type: ignore[index]
    account = str(seed["account_id"])
    users = UserManagementV1(authenticator=IAMAuthenticator(key, url=url))
    users.set_service_url(url)
    listed = UsersPager(client=users, account_id=account, limit=100).get_all()
    assert len(listed) == 5000 == len({u["iam_id"] for u in listed})
    policies = IamPolicyManagementV1(authenticator=IAMAuthenticator(key, url=url))
    policies.set_service_url(url)
    got = V2PoliciesPager(client=policies, account_id=account, limit=100).get_all()
    active = [p for p in seed["policies"] if p.get("state", "active") == "active"]  # type: ignore[attr-defined]
    assert len(got) == len(active)


def test_serve_stops_cleanly_on_ctrl_c() -> None:
    proc, url = _serve()
    assert url.startswith("http://127.0.0.1:")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_invalid_seed_names_the_bad_path(cli: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"account_id": "a1", "users": [{"iam_id": "IBMid-1", "state": "ACTIVE"}]})
    )
    run = cli("emulator", "serve", "--seed", str(bad))
    assert run.exit_code == 2
    assert "$.users[0]" in run.stderr and "email" in run.stderr
    bad.write_text("{not json")
    run = cli("emulator", "serve", "--seed", str(bad))
    assert run.exit_code == 2 and "not JSON" in run.stderr


def test_serve_refuses_a_host_name(cli: Invoke) -> None:
    run = cli("emulator", "serve", "--host", "example.com")
    assert run.exit_code == 2 and "--host" in run.stderr


def test_generate_is_deterministic(cli: Invoke) -> None:
    args = (
        "emulator",
        "generate",
        "--users",
        "30",
        "--instances",
        "40",
        "--groups",
        "5",
        "--policies",
        "60",
        "--seed",
        "9",
    )
    first, second = cli(*args), cli(*args)
    assert first.exit_code == 0 and first.stdout == second.stdout
    assert json.loads(first.stdout)["account_id"]
    other = cli(*args[:-1], "10")
    assert other.stdout != first.stdout


def test_generate_refuses_beyond_ibm_limits(cli: Invoke) -> None:
    run = cli("emulator", "generate", "--policies", "5000")
    assert run.exit_code == 2 and "policies" in run.stderr
