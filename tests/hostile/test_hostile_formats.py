"""Issue 12, done-when: the hostile seed renders safely in every format, end to end.

The seed is read once from the served emulator (`snapshot -o`), then audited offline in every
format; `check`, `grant --dry-run` and `console --preflight-only` run against the emulator.
Human formats hold no raw control, bidi or invisible character (a line break only where the
format makes one: no line starts with account text); JUnit parses as XML and is escaped for the
people who read it; JSON and SARIF parse and carry the account's text exactly.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iamcheck.cli import app
from iamcheck.safe_text import FORMULA_PREFIXES, is_clean, needs_escape
from tests.conftest import Emulator
from tests.hostile.builder import PAYLOADS

AT = "2026-06-01T12:00:00+00:00"


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"dir": tmp_path_factory.mktemp("hostile")}


@pytest.fixture
def snapshot(hostile_emulator: Emulator, saved: dict[str, Path]) -> Path:
    path = saved["dir"] / "hostile.json"
    if not path.exists():
        env = {"IBMCLOUD_API_KEY": hostile_emulator.apikey,
               "IAMCHECK_ENDPOINT": hostile_emulator.url}
        code, _, err = _run("snapshot", "-o", str(path), env=env)
        assert code == 0, err
    return path


def _audit(snapshot: Path, fmt: str, *extra: str) -> tuple[int, str]:
    code, out, err = _run("audit", "--from-snapshot", str(snapshot), "--at", AT, "-f", fmt,
                          *extra, env={"COLUMNS": "100"})
    assert code in (0, 1, 3), err
    assert err == "" or is_clean(err.replace("\n", "")), err
    return code, out


def _assert_human(text: str) -> None:
    """No raw hostile character on any line; no line begins with a payload's forged text."""
    assert text
    for line in text.split("\n"):
        bad = sorted({f"U+{ord(c):04X}" for c in line if needs_escape(c)})
        assert not bad, (bad, line[:120])
        assert not line.lstrip().startswith(("FAKE LINE", "next line", "OVERWRITTEN")), line


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _group_names(hostile: dict[str, Any]) -> set[str]:
    return {g["name"] for g in hostile["access_groups"]}


def test_audit_table_is_safe_and_shows_the_escape(snapshot: Path) -> None:
    _, out = _audit(snapshot, "table")
    _assert_human(out)
    assert "\\x1b[31m" in out or "\\u202e" in out  # shown, visibly escaped
    _, wide = _audit(snapshot, "table", "--wide")
    _assert_human(wide)


def test_audit_table_fits_the_terminal(snapshot: Path) -> None:
    code, out, _ = _run("audit", "--from-snapshot", str(snapshot), "--at", AT,
                        env={"COLUMNS": "80"})
    assert code in (0, 3)
    table_lines = [line for line in out.split("\n") if line]
    too_wide = [line for line in table_lines if len(line) > 80]
    # a single unbreakable token (a CRN) may not fit; nothing else may pass the width
    assert all(" " not in line.strip() for line in too_wide), too_wide[:3]


def test_audit_json_round_trips_the_account_text_exactly(
        snapshot: Path, hostile: dict[str, Any]) -> None:
    _, out = _audit(snapshot, "json")
    doc = json.loads(out)
    shown = set(_strings(doc))
    emails = {u["email"] for u in hostile["users"]}
    assert emails & shown == {s["email"] for s in doc["subjects"] if s.get("email")} & emails
    assert any("\u202e" in e for e in emails & shown)
    rgs = {g["name"] for g in hostile["resource_groups"]}
    assert {i["resource_group"]["name"] for i in doc["instances"]} <= rgs
    assert any(not is_clean(name) for name in {i["resource_group"]["name"]
                                               for i in doc["instances"]})


def test_audit_junit_is_well_formed_and_escaped(snapshot: Path) -> None:
    code, out = _audit(snapshot, "junit")
    root = ET.fromstring(out)
    for element in root.iter():
        for text in [*(element.attrib.values()), element.text or ""]:
            for line in text.split("\n"):
                assert is_clean(line), line[:120]
    failures = int(root.get("failures", "0"))
    assert (failures > 0) == (code != 0)


def test_audit_sarif_is_valid_json_and_exact(snapshot: Path, hostile: dict[str, Any]) -> None:
    code, out = _audit(snapshot, "sarif")
    log = json.loads(out)
    run = log["runs"][0]
    assert run["invocations"][0]["exitCode"] == code
    messages = " ".join(r["message"]["text"] for r in run["results"])
    # the dynamic group's finding quotes its (hostile) name exactly
    dynamic = [g["name"] for g in hostile["access_groups"] if g.get("rules")]
    assert dynamic and any(name in messages for name in dynamic)


def test_check_text_is_safe(hostile_emulator: Emulator, hostile: dict[str, Any]) -> None:
    env = {"IBMCLOUD_API_KEY": hostile_emulator.apikey, "IAMCHECK_ENDPOINT": hostile_emulator.url}
    for user in hostile["users"][:6]:
        code, out, err = _run("check", "-u", user["iam_id"], "-i", "pay-api-01", "--at", AT,
                              env=env)
        assert code in (0, 1, 3), err
        _assert_human(out)
        if code == 1 and "Fix (" in out:
            assert "iamcheck grant" in out


def test_grant_plan_text_is_safe(hostile_emulator: Emulator, hostile: dict[str, Any]) -> None:
    env = {"IBMCLOUD_API_KEY": hostile_emulator.apikey, "IAMCHECK_ENDPOINT": hostile_emulator.url}
    hostile_user = next(u for u in hostile["users"] if "\u202e" in u["email"])
    code, out, err = _run("grant", hostile_user["iam_id"], "--instance", "pay-api-01",
                          "--dry-run", env=env)
    assert code in (0, 1), err
    _assert_human(out)
    _assert_human(err or "-")


def test_console_preflight_text_is_safe(hostile_emulator: Emulator) -> None:
    env = {"IBMCLOUD_API_KEY": hostile_emulator.apikey, "IAMCHECK_ENDPOINT": hostile_emulator.url}
    code, out, err = _run("console", "pay-api-01", "--preflight-only", env=env)
    assert code in (0, 1, 3), err
    _assert_human(out)


def test_audit_markdown_is_safe(snapshot: Path) -> None:
    _, out = _audit(snapshot, "markdown")
    _assert_human(out)
    # Rendered as Markdown (GitHub's tables included), the payloads stay text: no image or
    # link at all; the only HTML is the report's own <br>; emphasis only the report's own
    # (the payloads' `**b**` and `_e_` never become bold or italic).
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    assert not [t for t in tokens if t.type == "html_block"]
    for block in (t for t in tokens if t.children):
        kids = block.children or []
        for i, kid in enumerate(kids):
            assert kid.type not in ("image", "link_open"), block.content[:120]
            assert kid.type != "html_inline" or kid.content == "<br>", kid.content
            if kid.type in ("em_open", "strong_open"):
                assert kids[i + 1].content not in ("b", "e"), block.content[:120]
    text = "".join(c.content for t in tokens for c in (t.children or [])
                   if c.type in ("text", "code_inline"))
    for payload in ("![x](", "[ok](https", "<img", "@octocat"):
        assert payload in text or payload not in out  # shown as text wherever it appears


def test_audit_csv_neutralises_formulas_and_controls(snapshot: Path) -> None:
    _, out = _audit(snapshot, "csv")
    rows = list(csv.reader(io.StringIO(out)))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell[:60]
            assert is_clean(cell), cell[:60]


def test_every_payload_class_reached_a_format(snapshot: Path) -> None:
    """The JSON document carries the payloads, so the human formats above were tested on them."""
    _, out = _audit(snapshot, "json")
    text = "\n".join(_strings(json.loads(out)))
    reached = [name for name, payload in PAYLOADS.items() if payload in text]
    assert len(reached) >= len(PAYLOADS) // 2, reached
