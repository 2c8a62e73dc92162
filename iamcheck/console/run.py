"""`console`, step by step: check the options (before any IBM call); read the caller's access (as
`check` decides it, with an ordinary user's rights), the instance and its image; run the pure
pre-flight; stop there when it fails or when asked to; else create the token, use it at once
(the serial console in this terminal, or a URL), and say why the session ended.

Everything the terminal does (print, ask, open a browser) goes through a `Terminal` that the
CLI gives; this module decides what happens, and in which order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from iamcheck.check.run import run_check
from iamcheck.claims import load_claims
from iamcheck.connection import Connection, open_session
from iamcheck.console.breakglass import BreakGlass, run_break_glass
from iamcheck.console.preflight import FAIL, PASS, ConsoleUser, PreflightItem, outcome, preflight
from iamcheck.console.propagation import DEFAULT_WAIT, wait_for_vpc
from iamcheck.console.session import create_token, websocket_url
from iamcheck.decide import Decision
from iamcheck.errors import ApiFailure, BadInput, ExitCode
from iamcheck.ibm import vpc
from iamcheck.ibm.errors import Refused
from iamcheck.ibm.session import IbmSession
from iamcheck.ibm.vpc_values import ConsoleToken, ConsoleType, ImageInfo, Region
from iamcheck.inputs import InstanceRef, instance_ref
from iamcheck.model import Claims, Instance, User
from iamcheck.parts import roles_by_action
from iamcheck.read.lookup import Lookup
from iamcheck.requirement import load_requirement
from iamcheck.safe_text import for_terminal

# The demo's on-call engineer: an ordinary user who may open every console (seed api_keys[1]).
DEMO_CONSOLE_KEY = 1


@dataclass(frozen=True)
class Preflight:
    caller: ConsoleUser
    instance: Instance
    region: Region
    image: ImageInfo | None
    console_type: ConsoleType
    items: tuple[PreflightItem, ...]

    @property
    def exit_code(self) -> ExitCode:
        return outcome(self.items)

    @property
    def failed(self) -> bool:
        return any(item.status == FAIL for item in self.items)

    @property
    def walled(self) -> bool:
        """An enforcing CBR rule covers the instance: a 403 is its wall, not a delay (G1)."""
        return any(item.walled for item in self.items)


@dataclass(frozen=True)
class Opened:
    """A console access token and where to use it, within its 3 minutes."""

    token: ConsoleToken
    websocket_url: str


def run_preflight(session: IbmSession, ref: InstanceRef, console_type: ConsoleType,
                  claims: Claims | None = None,
                  strict_context: bool = False) -> Preflight:
    requirement = load_requirement(None)
    who = session.caller()
    account_id = session.settings.account_id or who.account_id
    decision: Decision | None = None
    unreadable = ""
    roles: dict[str, list[str]] = {}
    cbr_unread = ""
    try:
        # the console token is asked for with the caller's own key: no profile helps (P5)
        result = run_check(session, requirement, None, ref, claims=claims,
                           strict_context=strict_context, profiles=False)
    except Refused as err:  # a user may be refused some reads (403): VPC still decides
        instance = Lookup(session, account_id).instance(ref)
        caller = ConsoleUser(who.iam_id)
        unreadable = str(err)
    else:
        instance, decision = result.instance, result.decision
        subject = result.subject
        caller = ConsoleUser(subject.iam_id, subject.email if isinstance(subject, User) else "")
        roles = roles_by_action(result.roles, decision.missing)
        cbr_unread = next((g.reason for g in result.layer_gaps if g.layer == "cbr"), "")
    region = {r.name: r for r in vpc.list_regions(session)}.get(instance.region)
    if region is None:
        raise ApiFailure(f"VPC lists no region {instance.region} for instance {instance.name}")
    try:
        image = vpc.get_boot_image(session, region, instance)
    except Refused:
        image = None
    items = preflight(caller, instance, image, console_type, decision, roles, unreadable,
                      cbr_unread)
    return Preflight(caller, instance, region, image, console_type, tuple(items))


def open_console(session: IbmSession, pre: Preflight, force: bool) -> Opened:
    allowed = all(i.status == PASS for i in pre.items if i.check == "access")
    token = create_token(session, pre.region, pre.instance, pre.console_type, force, allowed)
    return Opened(token, websocket_url(token))


@dataclass(frozen=True)
class ConsoleOptions:
    """What the command line gave, unchecked."""

    instance: str
    vnc: bool = False
    force: bool = False
    yes: bool = False
    open_browser: bool = False
    url_only: bool = False
    preflight_only: bool = False
    json_out: bool = False
    novnc_url: str | None = None
    claims: Path | None = None
    strict_context: bool = False
    wait_propagation: float = DEFAULT_WAIT  # seconds a 403 after an allow is retried (E1)
    break_glass: BreakGlass | None = None  # grant for the session, revoke after (issue 16)


@dataclass(frozen=True)
class Terminal:
    """What the CLI does for the console: print a document (rendered by its format) or a line,
    ask, open a browser, wait for Enter; and what stdin is."""

    document: Callable[[dict[str, Any], bool], None]  # (console document, to stderr)
    out: Callable[[str], None]  # a line on stdout (a URL)
    note: Callable[[str], None]  # a line on stderr
    confirm: Callable[[str], None]  # returns when confirmed, aborts the run otherwise
    open_url: Callable[[str], bool]
    wait: Callable[[], None]  # until Enter (or the end of stdin)
    stdin_fd: int | None
    stdin_is_terminal: bool


def check_options(opts: ConsoleOptions, term: Terminal) -> None:
    """Refuse what cannot work before any IBM call (exit 2)."""
    if opts.open_browser and not opts.vnc:
        raise BadInput("--open opens noVNC in the browser: it needs --vnc")
    if opts.open_browser and opts.url_only:
        raise BadInput("--open and --url-only exclude each other: choose one")
    session = not (opts.vnc or opts.url_only or opts.preflight_only)
    if session and opts.json_out:
        raise BadInput("a serial session is a terminal: --format json needs --preflight-only, "
                       "--url-only or --vnc")
    if session and term.stdin_fd is None:
        raise BadInput("the serial console needs a terminal (or a pipe) on stdin")
    if (opts.force and not opts.vnc and not opts.preflight_only and not opts.yes
            and not term.stdin_is_terminal):
        raise BadInput("--force disconnects whoever holds the serial console; without a "
                       "terminal to confirm on, add --yes")


def console(conn: Connection, opts: ConsoleOptions, term: Terminal) -> ExitCode:
    from iamcheck.console import document as docs
    from iamcheck.console.novnc import novnc_base, novnc_url

    ref = instance_ref(opts.instance, "INSTANCE")
    claims = load_claims(opts.claims)
    check_options(opts, term)
    if opts.wait_propagation < 0:
        raise BadInput("--wait-propagation: give a number of seconds, 0 or more")
    if opts.break_glass is not None:
        if opts.preflight_only or opts.url_only:
            raise BadInput("--break-glass opens the console: it excludes --preflight-only and "
                           "--url-only")
        return run_break_glass(conn, opts, opts.break_glass, term)
    console_type: ConsoleType = "vnc" if opts.vnc else "serial"
    base = novnc_base(opts.novnc_url) if opts.vnc and not opts.url_only else None
    with open_session(replace(conn, demo_key=DEMO_CONSOLE_KEY)) as session:
        pre = run_preflight(session, ref, console_type, claims, opts.strict_context)
        if opts.json_out and (opts.preflight_only or pre.failed):
            term.document(docs.document(pre), False)
        elif not opts.json_out:
            term.document(docs.document(pre), not opts.preflight_only)
        if opts.preflight_only:
            return pre.exit_code
        if pre.failed:
            term.note("iamcheck: the pre-flight failed: fix what it names, then run this again")
            if any(i.check == "access" and i.status == FAIL for i in pre.items):
                _who_can(session, pre, term)
            return ExitCode.FINDING
        if opts.vnc and opts.force:
            term.note("iamcheck: note: --force has no effect on VNC consoles")
        serial_force = opts.force and not opts.vnc
        if serial_force and not opts.yes:
            term.confirm(f"--force disconnects whoever holds the serial console of "
                         f"{pre.instance.name}. Continue?")
        wait = opts.wait_propagation
        if pre.walled and wait > 0:  # waiting ten minutes on a network wall helps nobody
            term.note("iamcheck: a context-based restriction rule covers this instance: a "
                      "refusal from VPC is not retried (--wait-propagation does not apply)")
            wait = 0
        opened = wait_for_vpc(lambda: open_console(session, pre, serial_force),
                              wait, term.note,
                              for_terminal(f"{pre.instance.name} for {pre.caller.shown}"))
        novnc = novnc_url(opened.websocket_url, base) if base else None
        if opts.json_out:
            term.document(docs.document(pre, opened, novnc), False)
        elif opts.url_only or novnc is not None:
            term.out(novnc or opened.websocket_url)
            hint = (" For websocat, add --binary."
                    if opts.url_only and pre.console_type == "serial" else "")
            term.note(f"iamcheck: {docs.token_note(opened)}{hint}")
        if opts.open_browser and novnc is not None and not term.open_url(novnc):
            term.note("iamcheck: could not start a web browser: open the URL above yourself")
        if opts.vnc or opts.url_only:
            if conn.demo:
                term.note("iamcheck: the demo emulator serves this console until you press "
                          "Enter (or Ctrl-C)")
                term.wait()
            return ExitCode.OK
        _serial_session(pre, opened, serial_force, term)
    return ExitCode.OK


def _who_can(session: IbmSession, pre: Preflight, term: Terminal) -> None:
    """Who can grant the missing access, nearest first (issue 16); or why it cannot tell."""
    from iamcheck.console.breakglass import who_can_grant

    account_id = session.settings.account_id or session.caller().account_id
    names, partial = who_can_grant(session, account_id, pre)
    if names:
        term.note(for_terminal("iamcheck: who can grant it, nearest first: " + "; ".join(names)
                               + (f" ({partial})" if partial else "")))
    else:
        term.note(for_terminal(f"iamcheck: {partial or 'nobody found who can grant it'}"))
    term.note("iamcheck: if you may grant it yourself: iamcheck console "
              f"{for_terminal(pre.instance.name)} --break-glass --ttl 1h --reason TEXT")


def _serial_session(pre: Preflight, opened: Opened, force: bool, term: Terminal) -> None:
    import sys

    from iamcheck.console import document as docs
    from iamcheck.console.serial import HandshakeRefused, run_serial
    from iamcheck.console.session import ConsoleBusy, busy_message, handshake_error, is_busy

    assert term.stdin_fd is not None  # check_options made sure
    term.note(docs.serial_banner(pre))
    sys.stdout.flush()
    try:
        end = run_serial(opened.websocket_url, term.stdin_fd, sys.stdout.fileno())
    except HandshakeRefused as err:
        raise handshake_error(pre.instance, "serial", err.refused.status, err.refused.body,
                              force) from None
    if not end.by_user and end.code is not None and is_busy(None, end.reason):
        detail = f"the console closed the WebSocket with {end.code}: {end.reason}"
        raise ConsoleBusy(busy_message(pre.instance, "serial", detail))
    term.note("\r\n" + docs.session_end_message(pre, end))
