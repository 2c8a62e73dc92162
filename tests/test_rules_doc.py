"""docs/rules.md and the code agree on the rule ids.

Every rule id the code cites (a quoted "R1".."E1" literal under iamcheck/) has an entry
(`### <id> ...`) in docs/rules.md, and every entry is either cited by the code or marked
"*Not cited by code:*".
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"
RULE_ID = r"(?:R[1-4]|P[1-5]|S[1-8]|V[1-5]|G[1-2]|E1)"
CITED = re.compile(rf"""["']({RULE_ID})["']""")
ENTRY = re.compile(rf"^### ({RULE_ID}) ", re.MULTILINE)
MARK = "*Not cited by code:*"
REVISION_2 = {*(f"R{i}" for i in range(1, 5)), *(f"P{i}" for i in range(1, 6)),
              *(f"S{i}" for i in range(1, 9)), *(f"V{i}" for i in range(1, 6)), "G1", "G2", "E1"}


def cited_by_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "iamcheck").rglob("*.py"):
        found.update(CITED.findall(path.read_text(encoding="utf-8")))
    return found


def entries() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    marks = list(ENTRY.finditer(text))
    out: dict[str, str] = {}
    for here, after in zip(marks, [*marks[1:], None], strict=True):
        body = text[here.end():after.start() if after else len(text)]
        assert here.group(1) not in out, f"two entries for {here.group(1)}"
        out[here.group(1)] = body.split("\n## ", 1)[0]
    return out


def test_every_rule_of_revision_2_has_one_entry() -> None:
    assert set(entries()) == REVISION_2


def test_every_rule_the_code_cites_has_an_entry() -> None:
    cited = cited_by_code()
    assert cited, "the code cites no rule id: the pattern is wrong"
    assert cited - set(entries()) == set()


def test_every_entry_is_cited_or_marked_as_not_cited() -> None:
    cited = cited_by_code()
    unmarked = {rid for rid, body in entries().items() if rid not in cited and MARK not in body}
    assert unmarked == set()


def test_the_check_can_fail() -> None:
    assert CITED.findall('Reason("P3", "x") and Reason(\'G1\', "y") and "Q9"') == ["P3", "G1"]
    assert ENTRY.findall("### V4 The state\n#### V9 no\n### X1 no\n") == ["V4"]
