"""The console pre-flight as a terminal table, and the one-line summary of a saved snapshot."""

from __future__ import annotations

import textwrap
from typing import Any

from iamcheck.formats._safe import terminal_doc

WIDTH = 100


def _label(console_type: str) -> str:
    return "VNC console" if console_type == "vnc" else "serial console"


def render_console(doc: dict[str, Any]) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    instance, user = doc["instance"], doc["user"]
    lines = textwrap.wrap(
        f"Pre-flight for the {_label(doc['console_type'])} of {instance['name']} "
        f"({instance['id']}) in {instance['region']}, as {user['email'] or user['iam_id']}",
        WIDTH, break_long_words=False,
    )
    for item in doc["preflight"]:
        lines += textwrap.wrap(
            item["what"], WIDTH, initial_indent=f"  {item['status'].upper():<4}  ",
            subsequent_indent=" " * 8,
        )
        if item["status"] == "pass":
            continue
        if item["fix"]:
            lines += textwrap.wrap(
                item["fix"], WIDTH, initial_indent=" " * 8 + "fix: ",
                subsequent_indent=" " * 13, break_on_hyphens=False, break_long_words=False,
            )
        if item["command"]:  # never wrapped, so that it can be copied
            lines.append(" " * 13 + item["command"])
    return "\n".join(lines) + "\n"


def render_snapshot(doc: dict[str, Any]) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    return (f"iamcheck: saved {doc['users']} users, {doc['policies']} policies, "
            f"{doc['instances']} instances to {doc['path']}\n")
