"""The HTML report in headless Chromium: the demo audit renders with every holder present, and
hostile account text runs no script (issue 16)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from iamcheck.formats.html_format import render_audit, render_diff
from tests.browser.test_console_novnc import _count, _pixels

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_audit.json"
ALLOW_GREEN = (0x2E, 0x9D, 0x4B)
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.body.' \
          'setAttribute(\'data-pwned\',1)">"\'\u202egnp.exe'

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium)")


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", *args,
         page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


class _Dom(HTMLParser):
    """The rendered DOM: attributes of every element, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data


def _dom(tmp_path: Path, doc: dict[str, Any]) -> _Dom:
    page = tmp_path / "report.html"
    page.write_text(render_audit(doc), encoding="utf-8")
    done = _chromium(tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = _Dom()
    parsed.feed(done.stdout)
    return parsed


@pytest.fixture()
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return loaded


def test_the_demo_report_renders(tmp_path: Path, doc: dict[str, Any]) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_audit(doc), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, page, "--window-size=1400,1800", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (1400, 1800)
    # The matrix is drawn: one green cell per allowed pair on screen, each about 18x18 pixels.
    assert _count(rows, ALLOW_GREEN) > doc["summary"]["pairs"]["allow"] * 150


def test_every_holder_of_an_instance_appears(tmp_path: Path, doc: dict[str, Any]) -> None:
    dom = _dom(tmp_path, doc)
    assert any(tag == "body" and a.get("data-ready") == "1" for tag, a in dom.elements)
    seen = 0
    for position, inst in enumerate(doc["instances"]):
        expected = {h for s in doc["scopes"] if position in s["instances"] for h in s["holders"]}
        found = set()
        inside = False
        for tag, attrs in dom.elements:
            if tag == "tr":
                inside = attrs.get("data-instance-id") == inst["id"]
            elif inside and "allow-holder" in attrs.get("class", ""):
                found.add(attrs["data-iam-id"])
        assert found == expected, inst["name"]
        seen += len(found)
    assert seen >= doc["summary"]["subjects_with_access"]


def test_hostile_account_text_runs_no_script(tmp_path: Path, doc: dict[str, Any]) -> None:
    bad = copy.deepcopy(doc)
    for subject in bad["subjects"]:
        subject["email"] = HOSTILE
        subject["name"] = HOSTILE
    for inst in bad["instances"]:
        inst["name"] = HOSTILE
    for finding in bad["findings"]:
        finding["detail"] = HOSTILE
    bad["scopes"][0]["label"] = HOSTILE
    dom = _dom(tmp_path, bad)
    body = next(a for tag, a in dom.elements if tag == "body")
    assert body.get("data-ready") == "1"  # the page's own script ran
    assert "data-pwned" not in body
    assert "pwned" not in dom.title
    assert not any(tag == "img" for tag, _ in dom.elements)
    assert sum(1 for tag, _ in dom.elements if tag == "script") == 1
    text = "".join(dom.text)
    assert '<script>document.title="pwned"</script>' in text  # shown as text, not run
    assert "\u202e" not in text and "\\u202e" in text  # bidi override shown, not applied


def test_the_diff_report_lists_gains_and_losses(tmp_path: Path) -> None:
    diff = {"kind": "iamcheck-diff", "schema_version": 1, "requirement": "vpc-console",
            "old_read_at": "a", "new_read_at": "b",
            "summary": {"gained": 1, "lost": 1, "maybe_gained": 0, "maybe_lost": 0,
                        "cleared": 0}, "unmodelled": [HOSTILE],
            "transitions": [
                {"instance_id": "i-1", "instance_name": "pay-api-01", "subject": "IBMid-1",
                 "subject_label": HOSTILE, "before": "deny", "after": "allow",
                 "kind": "gained", "paths": [{"action": "is.instance.instance.console",
                                              "policy_id": "p-1", "role": "Console "
                                              "Administrator", "via": "through group on-call"}],
                 "causes": [{"kind": "membership_added", "id": "g",
                             "detail": "member of on-call"}]},
                {"instance_id": "i-1", "instance_name": "pay-api-01", "subject": "IBMid-2",
                 "subject_label": "ines@example.com", "before": "allow", "after": "deny",
                 "kind": "lost", "paths": [], "causes": []}]}
    page = tmp_path / "diff.html"
    page.write_text(render_diff(diff), encoding="utf-8")
    done = _chromium(tmp_path, page, "--dump-dom")
    dom = _Dom()
    dom.feed(done.stdout)
    rows = [a for tag, a in dom.elements if tag == "tr" and a.get("data-status")]
    assert [r["data-status"] for r in rows] == ["gained", "lost"]
    assert "member of on-call" in "".join(dom.text)
    assert not any(tag == "img" for tag, _ in dom.elements)


def test_the_cli_writes_the_demo_report_with_every_holder(tmp_path: Path) -> None:
    """`audit --demo --format html` through the registry, opened in Chromium: every holder of
    every instance of the demo is in that instance's row."""
    from typer.testing import CliRunner

    from iamcheck.cli import app

    page = tmp_path / "demo.html"
    at = "2026-11-27T12:00:00+00:00"
    made = CliRunner().invoke(app, ["audit", "--demo", "--at", at, "-f", "html", "-o", str(page)])
    assert made.exit_code == 0, made.output
    as_json = CliRunner().invoke(app, ["audit", "--demo", "--at", at, "-f", "json"])
    doc = json.loads(as_json.stdout)
    done = _chromium(tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    assert any(tag == "body" and a.get("data-ready") == "1" for tag, a in dom.elements)
    for position, inst in enumerate(doc["instances"]):
        expected = {h for s in doc["scopes"] if position in s["instances"] for h in s["holders"]}
        found, inside = set(), False
        for tag, attrs in dom.elements:
            if tag == "tr":
                inside = attrs.get("data-instance-id") == inst["id"]
            elif inside and "allow-holder" in attrs.get("class", ""):
                found.add(attrs["data-iam-id"])
        assert found == expected and expected, inst["name"]
