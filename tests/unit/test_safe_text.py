"""The sanitiser for account text: issue 12's hostile strings, then properties for any input."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from iamcheck.safe_text import (
    FORMULA_PREFIXES,
    for_csv,
    for_markdown,
    for_terminal,
    for_xml,
    is_clean,
    needs_escape,
    neutralise_formula,
    unescape,
    xml_chars,
)

# (hostile text, what for_terminal must show)
HOSTILE = [
    ("\x1b[31mon-call\nFAKE LINE: all good\r\x1b[K",
     "\\x1b[31mon-call\\nFAKE LINE: all good\\r\\x1b[K"),
    ("\x1b[2J", "\\x1b[2J"),  # clear screen
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # window title, BEL-terminated OSC
    ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
     "\\x1b]8;;https://evil.example\\x1b\\\\click\\x1b]8;;\\x1b\\\\"),
    ("\x1bP+q544e\x1b\\", "\\x1bP+q544e\\x1b\\\\"),  # DCS
    ("\x9b2J", "\\x9b2J"),  # C1 CSI
    ("admin\u202egnp.exe", "admin\\u202egnp.exe"),  # RLO
    ("a\u2066b\u2069c\u202ad\u202ce", "a\\u2066b\\u2069c\\u202ad\\u202ce"),  # isolates
    ("ad\u200bmin\u200d\ufeff", "ad\\u200bmin\\u200d\\ufeff"),  # zero-width, BOM
    ("line\u2028next\u2029para", "line\\u2028next\\u2029para"),
    ("nul\x00bel\x07del\x7f", "nul\\x00bel\\x07del\\x7f"),
    ("bare\rCR", "bare\\rCR"),
    ("tab\there", "tab\\there"),
    ("nbsp\u00a0x", "nbsp\\xa0x"),
    ("hangul\u3164filler", "hangul\\u3164filler"),
    ("soft\u00adhyphen", "soft\\xadhyphen"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("tag \U000e0041", "tag \\U000e0041"),
    ("C:\\temp\\x1b", "C:\\\\temp\\\\x1b"),  # a literal backslash cannot pass for an escape
    ("Ines Calloway", "Ines Calloway"),
    ("Zoë Ångström 李雷 🙂", "Zoë Ångström 李雷 🙂"),
]


@pytest.mark.parametrize(("text", "shown"), HOSTILE)
def test_terminal_shows_hostile_text_escaped(text: str, shown: str) -> None:
    assert for_terminal(text) == shown
    assert is_clean(for_terminal(text))
    assert unescape(for_terminal(text)) == text


@pytest.mark.parametrize("char", ["\x1b", "\x9b", "\u202e", "\u2067", "\u200b", "\u2028",
                                  "\x00", "\x7f", "\ufeff", "\u00a0"])
def test_dangerous_characters_need_escape(char: str) -> None:
    assert needs_escape(char)


@pytest.mark.parametrize("char", ["a", " ", "é", "李", "🙂", "-", "@", "|"])
def test_ordinary_characters_do_not(char: str) -> None:
    assert not needs_escape(char)


@given(st.text())
def test_terminal_output_is_clean_and_round_trips(text: str) -> None:
    shown = for_terminal(text)
    assert is_clean(shown)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown
    assert unescape(shown) == text
    shown.encode("utf-8")  # raises on a lone surrogate, which would break stdout


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn",
                                                             "Zl", "Zp", "Zs"))))
def test_ordinary_text_is_unchanged(text: str) -> None:
    text = text.replace("\\", "")
    if is_clean(text):
        assert for_terminal(text) == text


# Markdown -----------------------------------------------------------------------------------

MD = MarkdownIt("commonmark").enable("table")

MARKDOWN_HOSTILE = [
    "![x](https://evil.example/pixel.png)",
    "[click me](https://evil.example)",
    "<https://evil.example>",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "@octocat please approve",
    "fixes #1 and org/repo#2",
    "**bold** _em_ ~~del~~",
    "`code` and ``more``",
    "a | b | c",
    "```",
    " leading and trailing ",
    "`",
    "line\n# heading\n- item",
    "&amp; &#64;",
    "\\*not em\\*",
]


def _inline_html(markdown: str) -> str:
    return MD.renderInline(markdown)


@pytest.mark.parametrize("text", MARKDOWN_HOSTILE)
def test_markdown_is_one_code_span_showing_the_text(text: str) -> None:
    html = _inline_html(for_markdown(text, in_table=False))
    assert html.startswith("<code>") and html.endswith("</code>")
    assert html.count("<code>") == 1
    for tag in ("<a ", "<img", "<em>", "<strong>", "<script"):
        assert tag not in html
    shown = html[len("<code>"):-len("</code>")]
    assert _html_text(shown) == for_terminal(text)


def _html_text(html: str) -> str:
    return (html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&amp;", "&"))


@pytest.mark.parametrize("text", MARKDOWN_HOSTILE)
def test_markdown_in_a_table_cell_stays_in_its_cell(text: str) -> None:
    table = f"| name | n |\n|---|---|\n| {for_markdown(text)} | 1 |\n"
    html = MD.render(table)
    assert html.count("<td>") == 2
    assert "<td>1</td>" in html
    for tag in ("<a ", "<img", "<em>", "<strong>", "<script"):
        assert tag not in html


@given(st.text(min_size=1))
def test_markdown_any_text_renders_to_exactly_itself(text: str) -> None:
    html = _inline_html(for_markdown(text, in_table=False))
    assert html.startswith("<code>") and html.endswith("</code>")
    assert _html_text(html[len("<code>"):-len("</code>")]) == for_terminal(text)


def test_markdown_empty_is_empty() -> None:
    assert for_markdown("") == ""


# CSV ----------------------------------------------------------------------------------------

CSV_HOSTILE = [
    "=HYPERLINK(\"https://evil.example\",\"x\")@example.com",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("text", CSV_HOSTILE)
def test_csv_cells_never_start_with_a_formula_prefix(text: str) -> None:
    cell = for_csv(text)
    assert cell.startswith("'")
    assert not cell.startswith(FORMULA_PREFIXES)


def test_csv_leaves_ordinary_cells_alone() -> None:
    assert for_csv("ines.calloway@example.com") == "ines.calloway@example.com"
    assert neutralise_formula("a=b") == "a=b"
    assert neutralise_formula("=a") == "'=a"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_csv_any_row_reads_back_with_no_formula_and_no_control(row: list[str]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([for_csv(c) for c in row])
    assert out.getvalue().count("\n") == 1  # one record, one line
    (back,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(back) == len(row)
    for original, cell in zip(row, back, strict=True):
        assert not cell.startswith(FORMULA_PREFIXES)
        assert is_clean(cell)
        plain = cell[1:] if cell != for_terminal(original) else cell
        assert unescape(plain) == original


# XML ----------------------------------------------------------------------------------------


def _junit(name: str, message: str) -> bytes:
    suite = ET.Element("testsuite", name="iamcheck")
    case = ET.SubElement(suite, "testcase", name=name)
    ET.SubElement(case, "failure", message=message).text = message
    return ET.tostring(suite, encoding="utf-8")


@pytest.mark.parametrize("text", [t for t, _ in HOSTILE] + ["\x00\x01\ufffe\uffff\ud83d"])
def test_xml_of_hostile_text_parses_and_shows_it(text: str) -> None:
    parsed = ET.fromstring(_junit(for_xml(text), xml_chars(text)))
    case = parsed.find("testcase")
    assert case is not None
    assert unescape(case.get("name", "")) == text


@given(st.text())
def test_xml_any_text_gives_a_well_formed_document(text: str) -> None:
    parsed = ET.fromstring(_junit(for_xml(text), xml_chars(text)))
    case = parsed.find("testcase")
    assert case is not None
    assert unescape(case.get("name", "")) == text
    failure = case.find("failure")
    assert failure is not None
    # attribute values normalise CR/LF/tab; element text keeps LF and tab
    assert unescape(failure.text or "").replace("\r", "\n") == text.replace("\r\n", "\n").replace(
        "\r", "\n")


def test_xml_chars_keeps_line_breaks() -> None:
    assert xml_chars("a\nb\tc\x00d\\") == "a\nb\tc\\x00d\\\\"
