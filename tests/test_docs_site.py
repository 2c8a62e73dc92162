"""The docs site (mkdocs.yml, docs/) and the README as its front door: generated pages are
current, the site builds with no broken link or anchor, every command the README shows runs,
and the CI recipe it shows is the one the tests lint."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iamcheck.cli import app
from scripts.gen_docs import INDEX, REFERENCE, commands, index, reference

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_the_cli_reference_is_current() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == reference(), \
        "docs/cli.md is stale: run python scripts/gen_docs.py"


def test_the_home_page_is_the_readme() -> None:
    assert INDEX.read_text(encoding="utf-8") == index(TEXT), \
        "docs/index.md is stale: run python scripts/gen_docs.py"


def test_the_reference_has_every_command() -> None:
    found = commands()
    assert {"", "audit", "check", "grant", "emulator serve"} <= set(found)
    text = REFERENCE.read_text(encoding="utf-8")
    for command in found:
        assert f"\n## {f'iamcheck {command}'.strip()}\n" in text


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config), "--site-dir", str(site)],
                          capture_output=True, text=True, timeout=300)


def test_the_site_builds_with_no_broken_link(tmp_path: Path) -> None:
    run = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "site" / "cli" / "index.html").exists()


@pytest.mark.parametrize("broken", ["[x](missing.md)", "[x](cli.md#no-such-anchor)"])
def test_a_broken_link_fails_the_build(broken: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "check.md"
    page.write_text(page.read_text() + f"\n{broken}\n")
    run = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert run.returncode != 0 and "check.md" in run.stderr, run.stderr


def test_the_readme_is_a_front_door() -> None:
    assert len(TEXT.encode()) < 18_000  # a quarter of the 57 KB it was, or about
    assert re.findall(r"^## (.+)$", TEXT, re.M)[0] == "Quick start"
    assert "<!-- help:" not in TEXT  # the help texts live in docs/cli.md
    assert "(CONTRIBUTING.md)" in TEXT and "(CHANGELOG.md)" in TEXT


def _readme_commands() -> list[str]:
    """Every `iamcheck ...` line of the README's sh blocks except the quick start's."""
    blocks = re.findall(r"```sh\n(.*?)```", TEXT.split("## What it answers", 1)[1], re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()
            if line.startswith("iamcheck ")]


def test_the_readme_shows_one_example_per_command() -> None:
    shown = {" ".join(c.split()[1:3]) if c.split()[1] == "emulator" else c.split()[1]
             for c in _readme_commands()}
    assert shown == {c for c in commands() if c and c != "emulator"}


@pytest.mark.parametrize("command", [c for c in _readme_commands()
                                     if c != "iamcheck emulator serve"])
def test_every_readme_command_runs(command: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("IBMCLOUD_API_KEY", "IAMCHECK_ENDPOINT", "IAMCHECK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    if "demo-snapshot.json" in command:  # the README makes the snapshot first
        made = CliRunner().invoke(app, ["snapshot", "--demo", "-o", "demo-snapshot.json"])
        assert made.exit_code == 0, made.output
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, (command, result.output)
    assert result.stdout.strip() or "-o" in command


def test_emulator_serve_as_the_readme_shows_it_is_tested_elsewhere() -> None:
    assert '"emulator", "serve"' in (ROOT / "tests" / "cli" / "test_emulator_cli.py").read_text()


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def test_the_ci_recipes_shown_are_the_ones_linted() -> None:
    workflow = (ROOT / "docs" / "ci" / "github-actions.yml").read_text()
    gitlab = (ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text()
    assert _yaml_blocks(TEXT) == [workflow]
    assert _yaml_blocks((ROOT / "docs" / "ci.md").read_text()) == [workflow, gitlab]
