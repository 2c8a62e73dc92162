"""Every API-key source signs a real command in against the served demo account, and every
bad key is exit 2 with one line before any IBM call (iamcheck/credentials.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.conftest import Emulator

CHECK = ("check", "--user", "ravi.lindqvist@example.com", "--instance", "pay-api-02",
         "--format", "json")
WRONG = "wrong-key-not-in-the-seed-0000000000000000"


@pytest.fixture(autouse=True)
def no_credentials_around(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("IC_API_KEY", "IBM_CREDENTIALS_FILE", "IAMCHECK_APIKEY", "IAMCHECK_AUTH_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def _keyfile(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o600)
    return path


def _sources(tmp_path: Path, key: str) -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    """source -> (environment, extra arguments) that hand iamcheck `key` that way."""
    plain = _keyfile(tmp_path, "apikey", key + "\n")
    json_file = _keyfile(tmp_path, "apikey.json", json.dumps({"name": "ci", "apikey": key}))
    env_file = _keyfile(tmp_path, "ibm-credentials.env",
                        f"IAMCHECK_AUTH_TYPE=iam\nIAMCHECK_APIKEY={key}\n")
    return {
        "--apikey-file": ({}, ("--apikey-file", str(plain))),
        "--apikey-file (JSON)": ({}, ("--apikey-file", str(json_file))),
        "IBMCLOUD_API_KEY": ({"IBMCLOUD_API_KEY": f"  {key}\n"}, ()),
        "IBMCLOUD_API_KEY (@file)": ({"IBMCLOUD_API_KEY": f"@{json_file}"}, ()),
        "IC_API_KEY": ({"IC_API_KEY": key}, ()),
        "IAMCHECK_APIKEY in": ({"IBM_CREDENTIALS_FILE": str(env_file)}, ()),
        "IAMCHECK_APIKEY": ({"IAMCHECK_APIKEY": key}, ()),
    }


SOURCES = ["--apikey-file", "--apikey-file (JSON)", "IBMCLOUD_API_KEY", "IBMCLOUD_API_KEY (@file)",
           "IC_API_KEY", "IAMCHECK_APIKEY in", "IAMCHECK_APIKEY"]


def test_every_source_is_tested(tmp_path: Path) -> None:
    assert list(_sources(tmp_path, "k")) == SOURCES


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_signs_in(source: str, demo: Emulator, cli: Invoke, tmp_path: Path) -> None:
    env, args = _sources(tmp_path, demo.apikey)[source]
    run = cli(*CHECK, "--debug", *args, env={"IAMCHECK_ENDPOINT": demo.url, **env})
    assert run.exit_code == 0, run.stderr
    assert run.json()["verdict"] == "allow"
    assert f"credentials from {source.removesuffix(' (JSON)')}" in run.stderr
    assert demo.apikey not in run.stderr + run.stdout


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_is_the_key_used(source: str, demo: Emulator, cli: Invoke,
                                     tmp_path: Path) -> None:
    """The same source with a wrong key is refused by IAM: the key did come from there."""
    env, args = _sources(tmp_path, WRONG)[source]
    run = cli(*CHECK, *args, env={"IAMCHECK_ENDPOINT": demo.url, **env})
    assert run.exit_code == 4, run.stderr
    assert WRONG not in run.stderr + run.stdout


def test_precedence_end_to_end(demo: Emulator, cli: Invoke, tmp_path: Path) -> None:
    good = _keyfile(tmp_path, "apikey", demo.apikey)
    env = {"IAMCHECK_ENDPOINT": demo.url, "IBMCLOUD_API_KEY": WRONG, "IC_API_KEY": WRONG}
    assert cli(*CHECK, "--apikey-file", str(good), env=env).exit_code == 0
    env = {"IAMCHECK_ENDPOINT": demo.url, "IBMCLOUD_API_KEY": demo.apikey, "IC_API_KEY": WRONG}
    assert cli(*CHECK, env=env).exit_code == 0
    env = {"IAMCHECK_ENDPOINT": demo.url, "IC_API_KEY": demo.apikey, "IAMCHECK_APIKEY": WRONG}
    assert cli(*CHECK, env=env).exit_code == 0


BAD = [
    ({"IBMCLOUD_API_KEY": '"{key}"'}, (), "quotes or braces"),
    ({"IC_API_KEY": "'{key}'"}, (), "quotes or braces"),
    ({"IBMCLOUD_API_KEY": "@/nonexistent/key"}, (), "cannot read"),
    ({"IBMCLOUD_API_KEY": "@/dev/zero"}, (), "not a regular file or a pipe"),
    ({}, ("--apikey-file", "/dev/zero"), "not a regular file or a pipe"),
    ({}, ("--apikey-file", "{tmp}/quoted"), "quotes or braces"),
    ({}, ("--apikey-file", "{tmp}/broken.json"), "not JSON"),
    ({"IBM_CREDENTIALS_FILE": "/dev/zero"}, (), "not a regular file"),
    ({"IBM_CREDENTIALS_FILE": "{tmp}/missing.env"}, (), "IBM_CREDENTIALS_FILE"),
]


@pytest.mark.parametrize("env, args, culprit", BAD)
def test_bad_keys_are_one_line_before_any_call(
    env: dict[str, str], args: tuple[str, ...], culprit: str,
    demo: Emulator, cli: Invoke, tmp_path: Path,
) -> None:
    _keyfile(tmp_path, "quoted", f'"{demo.apikey}"\n')
    _keyfile(tmp_path, "broken.json", '{"apikey": "' + demo.apikey)
    fill = {"key": demo.apikey, "tmp": str(tmp_path)}
    run = cli(*CHECK, *(a.format(**fill) for a in args),
              env={"IAMCHECK_ENDPOINT": demo.url,
                   **{k: v.format(**fill) for k, v in env.items()}})
    assert run.exit_code == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("iamcheck: error: ") and culprit in lines[0]
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert demo.apikey not in run.stderr
    assert demo.request_counts() == {}


def test_a_pipe_the_user_gives_signs_in(demo: Emulator, cli: Invoke) -> None:
    """`--apikey-file <(pass show ibm/audit)`: the shell hands over /dev/fd/N, a pipe."""
    read_end, write_end = os.pipe()
    os.write(write_end, (demo.apikey + "\n").encode())
    os.close(write_end)
    try:
        run = cli(*CHECK, "--apikey-file", f"/dev/fd/{read_end}",
                  env={"IAMCHECK_ENDPOINT": demo.url})
    finally:
        os.close(read_end)
    assert run.exit_code == 0, run.stderr


def test_a_fifo_nobody_writes_to_ends_with_exit_2(demo: Emulator, cli: Invoke,
                                                  tmp_path: Path) -> None:
    fifo = tmp_path / "apikey.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    run = cli(*CHECK, "--apikey-file", str(fifo), env={"IAMCHECK_ENDPOINT": demo.url})
    assert run.exit_code == 2 and "sent nothing within 10 s" in run.stderr, run.stderr
    assert time.monotonic() - started < 15
    assert demo.request_counts() == {}
