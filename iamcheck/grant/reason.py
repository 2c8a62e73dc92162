"""`--reason TEXT`: why a grant or revoke is made, kept in the policy description and the audit
log. Written by the user but shown to others (in IBM's console, in every audit of the account),
so it follows the rules for account text: bounded, one line, no control or bidi characters."""

from __future__ import annotations

import unicodedata

from iamcheck.errors import BadInput

MAX_REASON = 120  # characters: leaves room in IBM's 300 for the tag and what is granted


def reason_text(raw: str | None, flag: str = "--reason") -> str:
    """The reason as given (surrounding blanks removed), or exit 2 naming what is wrong."""
    if raw is None:
        return ""
    text = raw.strip()
    if not text:
        raise BadInput(f"{flag}: give a short text (or leave the option out)")
    if len(text) > MAX_REASON:
        raise BadInput(f"{flag}: {len(text)} characters; at most {MAX_REASON}")
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise BadInput(f"{flag}: control or formatting character U+{ord(bad):04X} is not "
                       "allowed: one line of plain text")
    return text
