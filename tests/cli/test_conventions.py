"""The command-line conventions an ibmcloud user brings (docs/conventions.md): --output FORMAT,
the output file under a name that cannot be mistaken for it, -q, -h, --version, completion, and
no progress bar or colour without a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from iamcheck import __version__
from tests.cli.conftest import NOTHING, VM, Invoke

COMMANDS = ("audit", "check", "console", "grant", "revoke", "snapshot", "version", "schema")


def test_output_names_a_format_everywhere_a_format_is_taken(against: Invoke) -> None:
    assert against("audit", "--output", "json").json()["kind"] == "iamcheck-audit"
    assert against("audit", "--output", "csv").stdout.startswith("subject_iam_id,")
    assert against("check", "-u", NOTHING, "-i", VM, "--output", "json").json()["verdict"]
    assert against("console", VM, "--preflight-only", "--output", "json").json()["result"]
    assert against("grant", NOTHING, "-i", VM, "--dry-run", "--output", "json").json()["dry_run"]
    assert against("revoke", NOTHING, "-i", VM, "--dry-run", "--output", "json").json()
    assert against("check", "-u", NOTHING, "-i", VM, "--format", "json").json()  # still works


def test_audit_output_json_pipes_into_jq(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBMCLOUD", "IAMCHECK"))}
    done = subprocess.run(f"{sys.executable} -m iamcheck audit --demo --output json "
                          "| jq .schema_version", shell=True, capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path, check=False)
    assert done.stdout == "2\n", done.stderr
    assert not list(tmp_path.iterdir())  # no file named json


def test_output_file_is_its_own_option(against: Invoke, tmp_path: Path) -> None:
    for option in ("--output-file", "-o"):
        path = tmp_path / f"report{option}.json"
        run = against("audit", "--output", "json", option, str(path))
        assert run.exit_code == 0 and run.stdout == ""
        assert json.loads(path.read_text())["kind"] == "iamcheck-audit"


@pytest.mark.parametrize("name", ["json", "csv", "table"])
def test_a_format_name_is_never_taken_for_a_file(against: Invoke, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 name: str) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("audit", "-o", name), ("snapshot", "-o", name)):
        run = against(*args)
        assert run.exit_code == 2 and f"--output {name}" in run.stderr
    assert not list(tmp_path.iterdir())
    done = subprocess.run([sys.executable, "-m", "iamcheck", "audit", "--demo", "-o", name],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_quiet_prints_no_result_and_keeps_the_exit_code(against: Invoke, tmp_path: Path) -> None:
    expect = tmp_path / "expect"
    expect.write_text(NOTHING + "\n")
    runs = {
        "audit": against("audit", "--expect", str(expect), "-q"),
        "check": against("check", "-u", NOTHING, "-i", VM, "-q"),
        "console": against("console", VM, "--preflight-only", "-q"),
        "grant": against("grant", NOTHING, "-i", VM, "--dry-run", "-q"),
        "revoke": against("revoke", NOTHING, "-i", VM, "--dry-run", "-q"),
        "snapshot": against("snapshot", "-o", str(tmp_path / "s.json"), "-q"),
    }
    assert {name: run.stdout for name, run in runs.items()} == dict.fromkeys(runs, "")
    assert runs["audit"].exit_code == 1 and runs["check"].exit_code == 1  # NOTHING is denied
    assert runs["snapshot"].stderr == "" and (tmp_path / "s.json").exists()


@pytest.mark.parametrize("command", ("", *COMMANDS))
def test_h_is_help(cli: Invoke, command: str) -> None:
    args = [command] if command else []
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout and "Usage:" in short.stdout


def test_top_level_help_is_not_cut(cli: Invoke) -> None:
    text = cli("--help").stdout
    commands = text.split("Commands:")[1]
    assert "..." not in commands and "…" not in commands
    assert "who is one role short, what is risky." in " ".join(commands.split())
    assert "--install-completion" in text and "--version" in text and "--no-color" in text


def test_version(cli: Invoke) -> None:
    assert cli("--version").stdout == f"iamcheck {__version__}\n"
    found = cli("version", "--output", "json").json()
    assert found["iamcheck"] == __version__
    for sdk in ("ibm-cloud-sdk-core", "ibm-platform-services", "ibm-vpc"):
        assert found[sdk] == version(sdk)
    assert f"ibm-vpc                {version('ibm-vpc')}" in cli("version").stdout


def test_completion_script_by_typers_mechanism() -> None:
    env = {**os.environ, "_IAMCHECK_COMPLETE": "complete_bash", "COMP_WORDS": "iamcheck au",
           "COMP_CWORD": "1"}
    script = Path(sys.executable).parent / "iamcheck"  # the console script, as shells run it
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert "audit" in done.stdout.split()
    shown = subprocess.run([sys.executable, "-m", "iamcheck", "--show-completion", "bash"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert "_IAMCHECK_COMPLETE" in shown.stdout


def test_no_bar_and_no_colour_without_a_terminal(against: Invoke) -> None:
    run = against("audit")
    assert run.exit_code == 0 and "\x1b" not in run.stdout + run.stderr
    assert "reads" not in run.stderr
    piped = subprocess.run([sys.executable, "-m", "iamcheck", "check", "--demo", "-u",
                            "ravi.lindqvist@example.com", "-i", VM], capture_output=True,
                           text=True, timeout=120, check=False)
    assert piped.stdout.startswith("ALLOWED") and "\x1b" not in piped.stdout + piped.stderr
