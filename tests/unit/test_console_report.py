"""How the pre-flight and the end of a session read in a terminal."""

from __future__ import annotations

import pytest

from iamcheck.console.breakglass import next_step
from iamcheck.console.document import document, session_end_message
from iamcheck.console.preflight import ConsoleUser, PreflightItem
from iamcheck.console.run import Preflight
from iamcheck.console.serial import SessionEnd
from iamcheck.formats import render
from iamcheck.ibm.vpc import Region
from tests.unit.decide_builders import instance

LONG = "iamcheck grant someone.with.a.long.name@example.com --instance " + "crn:v1:" + "x" * 120


def _pre(*items: PreflightItem) -> Preflight:
    return Preflight(ConsoleUser("IBMid-1", "ana@example.com"), instance(),
                     Region("us-south", "https://us-south.iaas.cloud.ibm.com"), None, "serial",
                     items)


def test_the_table_wraps_prose_but_never_a_command() -> None:
    text = render("console", "table", document(_pre(
        PreflightItem("access", "fail", "ana@example.com may not open the console " * 4,
                      "ask an account administrator; the command is:", LONG),
        PreflightItem("running", "pass", "instance vm-1 is running", "not shown", "nor this"),
    )))
    lines = text.splitlines()
    assert lines[0].startswith("Pre-flight for the serial console of vm-1")
    assert all(len(line) <= 100 for line in lines if LONG not in line)
    assert f"             {LONG}" in lines  # whole, on a line of its own
    assert "  PASS  instance vm-1 is running" in lines and "not shown" not in text


@pytest.mark.parametrize(("end", "says"), [
    (SessionEnd(True, 1000, "client disconnected"), "Disconnected from the serial console"),
    (SessionEnd(True, None, "SIGHUP received"), "(SIGHUP received)"),
    (SessionEnd(False, 4002, "session closed: idle for 600 seconds (idle limit)"),
     "10 minutes without activity"),
    (SessionEnd(False, 4003, "session closed: open for 3600 seconds (session limit)"),
     "after 60 minutes, whatever the activity"),
    (SessionEnd(False, 4004, "disconnected: the instance was stopped"),
     "disconnects when the instance stops"),
    (SessionEnd(False, 4001, "disconnected: another user took over the serial console (force)"),
     "--force"),
    (SessionEnd(False, 1011, "internal error"), "(code 1011: internal error). Run the command"),
    (SessionEnd(False), "lost without a close frame"),
])
def test_the_end_of_a_session_says_why(end: SessionEnd, says: str) -> None:
    assert says in session_end_message(_pre(), end)


def test_a_close_reason_from_the_server_reaches_the_terminal_escaped() -> None:
    """The close frame's reason is the server's text: no escape sequence of it is printed."""
    end = SessionEnd(False, 1011, "\x1b]0;pwned\x07\x1b[2Jgone\u202e")
    shown = session_end_message(_pre(), end)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b]0;pwned\\x07\\x1b[2Jgone\\u202e" in shown


@pytest.mark.parametrize(("items", "step"), [
    ((PreflightItem("access", "pass", "allowed"), PreflightItem("running", "pass", "up")), "open"),
    ((PreflightItem("access", "fail", "denied"),), "grant"),
    # the pre-flight cannot tell (P3, V5): not access, so break-glass grants
    ((PreflightItem("access", "warn", "cannot tell", undecided=True),), "grant"),
    ((PreflightItem("access", "fail", "denied"), PreflightItem("running", "fail", "stopped")),
     "fix first"),
    ((), "grant"),
])
def test_break_glass_grants_unless_access_passes(items: tuple[PreflightItem, ...],
                                                step: str) -> None:
    assert next_step(items) == step
