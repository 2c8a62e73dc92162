"""The console document (the pre-flight, and the console once opened), which every console format
renders, and the notes on stderr that go with a console."""

from __future__ import annotations

from typing import Any

from iamcheck.console.run import Opened, Preflight
from iamcheck.console.serial import SessionEnd
from iamcheck.console.session import TOKEN_LIFETIME
from iamcheck.errors import ExitCode
from iamcheck.parts import instance_part
from iamcheck.safe_text import for_terminal

SCHEMA_VERSION = 1
RESULT = {ExitCode.OK: "pass", ExitCode.FINDING: "fail", ExitCode.UNKNOWN: "unknown"}


def document(pre: Preflight, opened: Opened | None = None, novnc: str | None = None
             ) -> dict[str, Any]:
    instance, image = pre.instance, pre.image
    doc: dict[str, Any] = {
        "kind": "iamcheck-console",
        "schema_version": SCHEMA_VERSION,
        "console_type": pre.console_type,
        "user": {"iam_id": pre.caller.iam_id, "email": pre.caller.email},
        "instance": instance_part(instance, "confidential_compute_mode"),
        "image": None if image is None else {
            "name": image.name,
            "visibility": image.visibility,
            "operating_system": {
                "name": image.os_name,
                "family": image.os_family,
                "display_name": image.os_display_name,
                "architecture": image.architecture,
            },
        },
        "preflight": [
            {"check": i.check, "status": i.status, "what": i.what, "fix": i.fix,
             "command": i.command}
            for i in pre.items
        ],
        "result": RESULT[pre.exit_code],
        "console": None,
    }
    if opened is not None:
        doc["console"] = {
            "websocket_url": opened.websocket_url,
            "novnc_url": novnc,
            "created_at": opened.token.created_at,
            "expires_at": opened.token.expires_at,
            "single_use": True,
        }
    return doc


def token_note(opened: Opened) -> str:
    return (
        f"This URL holds a single-use token, valid {TOKEN_LIFETIME} (until "
        f"{opened.token.expires_at}): open it now, and do not share it."
    )


def serial_banner(pre: Preflight) -> str:
    return (
        f"Connected to the serial console of {for_terminal(pre.instance.name)}: ~. at the start "
        "of a line disconnects, ~? lists the escapes,\nevery other key (Ctrl-C, Ctrl-]) goes to "
        "the instance. Press Enter if no prompt shows."
    )


# What a close reason means; IBM documents the limits but not the close frames (§7.2).
_CLOSE_HINTS = (
    (("idle",), "IBM closes a console after 10 minutes without activity"),
    (("session limit", "60 minutes", "maximum", "duration"),
     "IBM closes every console session after 60 minutes, whatever the activity"),
    (("stopp", "powered off", "power off", "shut"),
     "the console disconnects when the instance stops; start it and run this again"),
    (("force", "took over", "taken over", "another user"),
     "someone opened the serial console with --force (force: true), which disconnects the "
     "session that held it"),
)


def session_end_message(pre: Preflight, end: SessionEnd) -> str:
    """How a session ended; the instance name and IBM's close reason are shown escaped."""
    name, reason = for_terminal(pre.instance.name), for_terminal(end.reason)
    if end.by_user:
        why = f" ({reason})" if end.reason and end.code is None else ""
        return f"Disconnected from the serial console of {name}{why}."
    if end.code is None:
        return (f"The connection to the serial console of {name} was lost without a close frame "
                "(network, or the console service); run the command again to reconnect.")
    text = f"The serial console of {name} closed the session (code {end.code}"
    text += f": {reason})." if end.reason else ")."
    lowered = end.reason.lower()
    for words, hint in _CLOSE_HINTS:
        if any(word in lowered for word in words):
            return f"{text} {hint[0].upper()}{hint[1:]}."
    return text + " Run the command again to reconnect."
