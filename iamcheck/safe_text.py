"""One sanitiser for text that comes from the account (names, emails, descriptions).

Account text is hostile: anyone who may rename an access group chooses what iamcheck prints.
Each human format calls one function here on every account field:

- `for_terminal` (table, plain text, check/grant/console lines): every character that can
  drive a terminal, forge a line or disguise text is shown as a visible escape (`\\x1b`,
  `\\u202e`, `\\n`); a backslash is doubled, so the escaped text maps back to exactly one
  original (`unescape`).
- `for_markdown`: the terminal escaping, then the whole value as a code span, inside which
  CommonMark and GitHub render nothing: no image, link, autolink, raw HTML, emphasis,
  @-mention or #-reference; table pipes are escaped as GFM requires inside cells.
- `for_csv`: the terminal escaping, then OWASP's rule against formula injection.
- `for_xml`: the terminal escaping, which also replaces every character XML 1.0 forbids;
  `xml_chars` replaces only those, for text that must keep its line breaks.

JSON and SARIF carry account text exactly: they are data, and their readers escape.
"""

from __future__ import annotations

import re

# Printable by Python's definition yet invisible ("default ignorable") or a filler that looks
# like nothing: a name holding one can pass for another name.
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800,
     *range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def needs_escape(char: str) -> bool:
    """True for a character a human format must not print as it is: controls (C0, C1, DEL),
    format characters (bidi overrides and isolates, zero-width ones, soft hyphen, BOM), line
    and paragraph separators, spaces other than U+0020, surrogates, private-use and unassigned
    code points, and invisible fillers."""
    if char == " ":
        return False
    return not char.isprintable() or ord(char) in _INVISIBLE


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def for_terminal(text: str) -> str:
    """`text` safe to print in a terminal or a plain-text file: one line, no escape sequence,
    no bidi reordering, no invisible character; everything else exactly as it is."""
    return "".join(_escape(c) if c == "\\" or needs_escape(c) else c for c in text)


_ESCAPE = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[tnr\\])")


def unescape(shown: str) -> str:
    """The original of a `for_terminal` result (for tests and for readers of a report)."""

    def original(match: re.Match[str]) -> str:
        token = match.group()
        if token[1] in "xuU":
            return chr(int(token[2:], 16))
        return {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[token[1]]

    return _ESCAPE.sub(original, shown)


def for_markdown(text: str, *, in_table: bool = True) -> str:
    """A code span showing `text` as it is (escaped as `for_terminal` does). Nothing inside a
    code span is markup, so the admin sees what the name really is, not what it renders to.
    Empty text gives an empty string (a code span cannot be empty)."""
    shown = for_terminal(text)
    if not shown:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space on each side when both are there; add them when the text
    # starts or ends with a backtick or a space, so the content survives unchanged.
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    span = f"{fence}{pad}{shown}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


# OWASP "CSV Injection": a cell starting with one of these is a formula to a spreadsheet.
# The full-width forms are included because some spreadsheets fold them to ASCII.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

CSV_STATEMENT = (
    "CSV cells that begin with =, +, -, @, a tab or a carriage return (or their full-width "
    "forms) are prefixed with a single quote, as OWASP recommends against formula injection, "
    "so a spreadsheet shows them as text; control and bidi characters are shown escaped "
    "(\\x1b, \\u202e) and a backslash is doubled."
)


def neutralise_formula(cell: str) -> str:
    """OWASP's rule only: a quote before a cell a spreadsheet would evaluate."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def for_csv(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text and a terminal (`cat report.csv`) cannot be
    driven by. A cell whose original starts with a tab or CR gets the quote too, as OWASP
    asks, though its escape (`\\t`) no longer would. Quoting is the csv module's job."""
    shown = for_terminal(cell)
    return "'" + shown if cell.startswith(FORMULA_PREFIXES) else neutralise_formula(shown)


def _xml_valid(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def xml_chars(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by its visible escape (and
    backslashes doubled), so any input gives a well-formed document; the XML writer escapes
    markup characters."""
    return "".join(
        _escape(c) if c == "\\" or not _xml_valid(ord(c)) else c for c in text
    )


def for_xml(text: str) -> str:
    """Account text for JUnit: read by people in CI pages and logs, so escaped as for the
    terminal; every character XML 1.0 forbids is among those escaped."""
    return for_terminal(text)


def is_clean(text: str) -> bool:
    """True when `text` holds no character a human format must escape (for tests and asserts)."""
    return not any(needs_escape(c) for c in text)

