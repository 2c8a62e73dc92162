"""The demo seed with hostile text in every free-text field IBM lets an account member set.

Ids, memberships, policies' meaning and emails' domains stay as they are, so every verdict on
the hostile seed is the demo's verdict: only what iamcheck prints can differ, and it must be
safe. Which fields carry hostile text, and why the others do not:

- access-group names (100) and descriptions (250), resource-group names (40), service-ID names
  (256) and descriptions, policy descriptions (300), custom-role display names (50) and
  descriptions, access-group rule names, users' first and last names (128, asserted by the IdP):
  free text, any character. Lengths are the seed schema's limits, which the values respect.
- users' emails: only the local part, and only with what RFC 5322/6531 allow there: atext
  formula prefixes (`=`, `+`, `-`), a quoted local part, and non-ASCII (a bidi override);
  never a control character or whitespace, which no mail system accepts.
- not the Public Access group (its name and description are IBM's), not instance, VPC or image
  names (VPC's pattern `^([a-z]|[a-z][-a-z0-9]*[a-z0-9])$` allows no hostile text), not tags
  (letters, digits, spaces, `_-.:` only), not ids, states, roles or operating systems.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from iamcheck.emulator import demo_seed, validate_seed

# name -> text; each is one class of attack the issue names
PAYLOADS: dict[str, str] = {
    "forged_line": "\x1b[31mon-call\nFAKE LINE: all good\r\x1b[K",
    "clear_screen": "\x1b[2J\x1b[H",
    "window_title": "\x1b]0;owned\x07",
    "hyperlink": "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\",
    "dcs": "\x1bP+q544e\x1b\\",
    "c1_csi": "\x9b2J",
    "rlo": "\u202etxt.exe",
    "isolate": "\u2067ltr\u2069",
    "zero_width": "x\u200b\u200dy\ufeff",
    "newline": "\nnext line",
    "bare_cr": "\rOVERWRITTEN",
    "nul_bel_del": "\x00\x07\x7f",
    "separators": "\u2028\u2029",
    "xml_invalid": "\x01\x0b\x0c\ufffe\uffff",
    "md_image": "![x](https://evil.example/p.png)",
    "md_link": "[ok](https://evil.example)",
    "autolink": "<https://evil.example> www.evil.example",
    "mention": "@octocat #1",
    "emphasis": "**b** _e_ `c`",
    "pipe": "a|b",
    "html": "<img src=x onerror=alert(1)>",
}
# a cell starting with one of these is a formula to a spreadsheet (OWASP)
FORMULAS = ['=HYPERLINK("https://evil.example")', "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]
# local parts RFC 5322 (atext, quoted string) or RFC 6531 (UTF-8) allow
EMAIL_LOCAL_PARTS = ["=1+1+", "-2+3.", "+cmd|x.", '"=HYPERLINK(\\"x\\")".', "\u202e"]

PUBLIC_ACCESS = "AccessGroupId-PublicAccess"


def _hostile(original: str, index: int, limit: int) -> str:
    """`original` kept whole (so values stay unique and recognisable), a formula prefix on
    every other value where it fits, then as many payloads as fit, from a rotating offset."""
    names = list(PAYLOADS)
    head = FORMULAS[(index // 2) % len(FORMULAS)] if index % 2 == 0 else ""
    if len(head) + len(original) > limit // 2:  # leave room for payloads in short fields
        head = next((f for f in sorted(FORMULAS, key=len) if len(f) + len(original) <= limit), "")
    value = head + original
    for step in range(len(names)):
        payload = PAYLOADS[names[(index + step) % len(names)]]
        if len(value) + len(payload) <= limit:
            value += payload
    return value


def _fields(seed: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str, int]]:
    """(kind, object, key, limit) for every free-text field the seed holds."""
    for group in seed.get("access_groups", []):
        if group["id"] == PUBLIC_ACCESS:
            continue
        yield "access_group.name", group, "name", 100
        yield "access_group.description", group, "description", 250
        for rule in group.get("rules") or []:
            yield "access_group.rule.name", rule, "name", 100
    for group in seed.get("resource_groups", []):
        yield "resource_group.name", group, "name", 40
    for service in seed.get("service_ids", []):
        yield "service_id.name", service, "name", 256
        yield "service_id.description", service, "description", 250
    for policy in seed.get("policies", []):
        yield "policy.description", policy, "description", 300
    for role in seed.get("custom_roles", []):
        yield "custom_role.display_name", role, "display_name", 50
        yield "custom_role.description", role, "description", 250
    for user in seed.get("users", []):
        yield "user.firstname", user, "firstname", 128
        yield "user.lastname", user, "lastname", 128


def _hostile_email(email: str, index: int) -> str:
    local, domain = email.split("@", 1)
    return f"{EMAIL_LOCAL_PARTS[index % len(EMAIL_LOCAL_PARTS)]}{local}@{domain}"


def hostile_seed(base: dict[str, Any] | None = None,
                 email_every: int = 3) -> dict[str, Any]:
    """A copy of `base` (the demo seed by default) with hostile text in every free-text field,
    and in the email local part of every `email_every`-th user; validated as the emulator
    validates any seed (SeedError if it is not one)."""
    seed = copy.deepcopy(base if base is not None else demo_seed())
    seed["description"] = "The demo account with attacker-chosen text in its free-text fields."
    counters: dict[str, int] = {}
    for kind, obj, key, limit in _fields(seed):
        index = counters[kind] = counters.get(kind, -1) + 1
        obj[key] = _hostile(obj.get(key) or kind.split(".")[-1], index, limit)
    for i, user in enumerate(seed.get("users", [])):
        if i % email_every == 0:
            old = user["email"]
            user["email"] = _hostile_email(old, i // email_every)
            if user.get("user_id") == old:
                user["user_id"] = user["email"]
    validate_seed(seed, source="hostile seed")
    return seed


def free_text_values(seed: dict[str, Any]) -> dict[str, list[str]]:
    """Every hostile-capable value of `seed` by field kind (emails included), for tests that
    look for each of them in a rendering."""
    out: dict[str, list[str]] = {}
    for kind, obj, key, _ in _fields(seed):
        out.setdefault(kind, []).append(obj[key])
    out["user.email"] = [u["email"] for u in seed.get("users", [])]
    return out

