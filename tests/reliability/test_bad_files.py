"""Bad input files at every entry point: --expect, --requirement, snapshots, key files and
seeds (invalid JSON, wrong types, huge values, nesting past the recursion limit). Each ends
with exit 2 and one line naming the file and what is wrong with it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests

from iamcheck.errors import ExitCode
from tests.reliability.conftest import AT, Served, assert_bad_input, invoke

DEEP = "[" * 50_000 + "]" * 50_000  # nested past Python's recursion limit


def _file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


EXPECT_FILES = [
    ("empty.txt", "", "names nobody"),
    ("comments.txt", "# nobody yet\n\n   \n", "names nobody"),
    ("binary.txt", bytes(range(256)), "not UTF-8"),
    ("long.txt", "x" * 1_000_000 + "@example.com\n", "entry 1"),
    ("bad-entry.txt", "ana@example.com\nnot an email\n", "entry 2"),
    ("group.txt", "group:\n", "names no group"),
    ("object.json", '{"users": ["ana@example.com"]}', "JSON list of strings"),
    ("numbers.json", "[1, 2, 3]", "JSON list of strings"),
    ("broken.json", '["ana@example.com"', "not JSON"),
    pytest.param("deep.json", DEEP, "not JSON"),
]


@pytest.mark.parametrize("name, content, culprit", EXPECT_FILES)
def test_bad_expect_files(emu: Served, tmp_path: Path, name: str, content: str | bytes,
                          culprit: str) -> None:
    path = _file(tmp_path, name, content)
    run = emu.run("audit", "--expect", str(path), "--at", AT)
    assert_bad_input(run, culprit)
    assert "--expect" in run.stderr and emu.counts() == {}


def test_missing_and_directory_files_are_named(emu: Served, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.txt")
    assert_bad_input(emu.run("audit", "--expect", missing), "missing.txt")
    assert_bad_input(emu.run("audit", "--expect", str(tmp_path)), "--expect")
    assert_bad_input(emu.run("audit", "--requirement", missing), "--requirement")
    assert_bad_input(emu.run("audit", "--from-snapshot", missing), "--from-snapshot")
    assert_bad_input(emu.run("audit", "--apikey-file", missing), "--apikey-file")
    assert_bad_input(emu.run("audit", "--apikey-file", str(tmp_path)), "--apikey-file")
    assert emu.counts() == {}


REQUIREMENT_FILES = [
    ("binary.toml", b"\xff\xfe\x00", "not UTF-8"),
    ("broken.toml", "id = \n", "not valid TOML"),
    ("missing.toml", 'title = "x"\n', "missing"),
    ("types.toml", 'id = 7\ntitle = "x"\nservice = "is"\ninstance_attribute = "instanceId"\n',
     "'id'"),
    ("unknown.toml", 'colour = "blue"\n', "unknown key"),
    pytest.param("deep.toml", "a = " + DEEP, "TOML"),
]


@pytest.mark.parametrize("name, content, culprit", REQUIREMENT_FILES)
def test_bad_requirement_files(emu: Served, tmp_path: Path, name: str, content: str | bytes,
                               culprit: str) -> None:
    path = _file(tmp_path, name, content)
    for command in (("audit",), ("check", "--user", "ana@example.com", "--instance", "web-01")):
        run = emu.run(*command, "--requirement", str(path))
        assert_bad_input(run, culprit)
        assert "--requirement" in run.stderr
    assert emu.counts() == {}


SNAPSHOT_FILES = [
    ("text.json", "hello", "not a JSON snapshot"),
    ("list.json", "[]", "not an iamcheck snapshot"),
    ("version.json", '{"kind": "iamcheck-snapshot", "schema_version": 99}', "schema_version"),
    ("damaged.json", '{"kind": "iamcheck-snapshot", "schema_version": 2, "account": {}}',
     "damaged"),
    ("types.json", '{"kind": "iamcheck-snapshot", "schema_version": 2, "account": '
     '{"account_id": "a", "read_at": 5}}', "damaged"),
    pytest.param("deep.json", DEEP, "not a JSON snapshot"),
]


@pytest.mark.parametrize("name, content, culprit", SNAPSHOT_FILES)
def test_bad_snapshot_files(tmp_path: Path, name: str, content: str, culprit: str) -> None:
    path = _file(tmp_path, name, content)
    assert_bad_input(invoke("audit", "--from-snapshot", str(path)), culprit)
    run = invoke("check", "--from-snapshot", str(path), "--user", "ana@example.com",
                 "--instance", "web-01")
    assert_bad_input(run, culprit)


@pytest.mark.parametrize("content", ["", "\n\n", b"\xff\xfe"])
def test_bad_key_files(emu: Served, tmp_path: Path, content: str | bytes) -> None:
    path = _file(tmp_path, "apikey", content)
    path.chmod(0o600)
    assert_bad_input(emu.run("audit", "--apikey-file", str(path)), "--apikey-file")
    assert emu.counts() == {}


def _seed(emu: Served, **change: object) -> str:
    seed = json.loads(json.dumps(emu.seed))
    seed.update(change)
    return json.dumps(seed)


SEED_FILES = [
    ("text.json", lambda emu: "not json", "not JSON"),
    ("truncated.json", lambda emu: _seed(emu)[:1000], "not JSON"),
    ("binary.json", lambda emu: b"\x00\xff" * 10, "not UTF-8"),
    ("list.json", lambda emu: "[]", "$"),
    ("account.json", lambda emu: _seed(emu, account_id=7), "$.account_id"),
    ("huge.json", lambda emu: _seed(emu, account_id=1e400), "$.account_id"),
    ("users.json", lambda emu: _seed(emu, users="everyone"), "$.users"),
    ("limit.json", lambda emu: _seed(emu, users=[emu.seed["users"][0]] * 3), "users"),
    pytest.param("deep.json", lambda emu: DEEP, "not JSON"),
]


@pytest.mark.parametrize("name, make, culprit", SEED_FILES)
def test_bad_seed_files(served: Served, tmp_path: Path, name: str, make: object,
                        culprit: str) -> None:
    path = _file(tmp_path, name, make(served))  # type: ignore[operator]
    # the served emulator's port is taken: a seed that were valid would fail on --port, not hang
    run = invoke("emulator", "serve", "--seed", str(path), "--port", str(served.server.port))
    assert_bad_input(run, culprit)
    assert "--seed" in run.stderr and "--port" not in run.stderr


def test_a_seed_over_the_size_cap_is_refused_unread(served: Served, tmp_path: Path) -> None:
    from iamcheck.emulator.seed import MAX_SEED_BYTES

    path = tmp_path / "huge.json"
    with path.open("wb") as out:  # sparse: no time spent writing it
        out.truncate(MAX_SEED_BYTES + 1)
    run = invoke("emulator", "serve", "--seed", str(path), "--port", str(served.server.port))
    assert_bad_input(run, "larger than")


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"account_id": 7}', DEEP, json.dumps({"account_id": "a" * 10**6})],
)
def test_the_control_api_refuses_bad_seeds(emu: Served, body: str) -> None:
    answer = requests.post(f"{emu.url}/_emulator/seed", data=body,
                           headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["code"] in ("invalid_seed", "invalid_request") and len(error["message"]) < 600
    assert emu.backend.account_id == emu.seed["account_id"]  # the account did not change


def test_generate_refuses_impossible_sizes() -> None:
    run = invoke("emulator", "generate", "--users", "1", "--groups", "100000")
    assert run.exit_code == ExitCode.BAD_INPUT and "Traceback" not in run.stderr
    assert run.stdout == "" and len(run.lines) == 1


def test_nothing_is_left_behind_by_a_refused_report(emu: Served, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = emu.run("audit", "--at", "noon", "-f", "json", "-o", str(out))
    assert_bad_input(run, "--at")
    assert os.listdir(tmp_path) == []
