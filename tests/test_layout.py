"""CONTRIBUTING.md's layout table matches the tree: every path it names exists, and every
package of iamcheck and every test folder is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def _named() -> set[str]:
    table = TEXT.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = set()
    for row in re.findall(r"^\| (.+?) \|", table, re.M):
        paths |= {p.rstrip("/") for p in re.findall(r"`([^`]+)`", row)}
    return paths


def test_every_path_the_layout_names_exists() -> None:
    named = _named()
    assert len(named) >= 10
    for path in named:
        assert (ROOT / path).exists(), path


def test_every_package_and_test_folder_is_named() -> None:
    named = _named()
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "iamcheck").rglob("__init__.py")
                if p.parent != ROOT / "iamcheck"}
    folders = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "tests").glob("*/__init__.py")}
    assert packages, "no package found"
    assert (packages | folders) - named == set()


def test_every_top_level_module_is_named() -> None:
    modules = {p.name for p in (ROOT / "iamcheck").glob("*.py")} - {"__init__.py", "__main__.py"}
    layout = TEXT.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for module in modules:
        assert f"`{module}`" in layout, module
