"""`console --break-glass`: the on-call engineer's one command (issue 16). Pre-flight; when only
access is missing and the caller may grant it, the minimal time-bound plan (grant's own planner,
`--ttl`), confirmed (or `--yes`), created with the reason in the description and the audit log;
then the console as usual (which waits for VPC to honour the policy, E1); when the session ends,
the policy it created is revoked (unless `--keep`). The policy's one-time window ends the access
even if this process dies. When the caller may not grant, who can (nearest first) and the exact
`iamcheck grant` command for them."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from iamcheck.connection import Connection, open_session
from iamcheck.console.preflight import FAIL, PASS, PreflightItem
from iamcheck.errors import BadInput, ExitCode, IamcheckError
from iamcheck.grant.reason import reason_text
from iamcheck.inputs import duration, instance_ref
from iamcheck.read.write_rights import may_write_policies
from iamcheck.requirement import bundled_path, load_requirement
from iamcheck.safe_text import for_terminal

if TYPE_CHECKING:
    from iamcheck.console.run import ConsoleOptions, Preflight, Terminal
    from iamcheck.ibm.session import IbmSession

Step = Literal["fix first", "open", "grant"]
GRANT_REQUIREMENT = "vpc-console-grant"
NOT_COUNTED = ("besides the account owner and Administrators of IAM Access Management, whom "
               "this list does not count")


@dataclass(frozen=True)
class BreakGlass:
    """What --break-glass adds to the console options."""

    ttl: str
    reason: str
    keep: bool = False
    log: str | None = None


def next_step(items: Sequence[PreflightItem]) -> Step:
    """What the pre-flight leaves to do: a failure other than access is fixed first; access
    that passes opens the console; access that fails, or that the pre-flight cannot tell (a
    warning: unknown is not access), is granted, and grant's plan says when it was uncertain."""
    if any(i.status == FAIL and i.check != "access" for i in items):
        return "fix first"
    access = [i for i in items if i.check == "access"]
    return "open" if access and all(i.status == PASS for i in access) else "grant"


def check_break_glass(ttl: str | None, reason: str | None) -> None:
    """Exit 2 before any IBM call when the TTL or the reason is missing or bad."""
    if ttl is None:
        raise BadInput("--break-glass needs --ttl DURATION: the access must end by itself")
    duration(ttl)
    if reason is None:
        raise BadInput("--break-glass needs --reason TEXT: it is kept in the policy and the log")
    reason_text(reason)


def grant_line(pre: Preflight, glass: BreakGlass) -> str:
    """The exact command someone who may grant runs for the caller."""
    return shlex.join(["iamcheck", "grant", pre.caller.shown, "--instance", pre.instance.crn
                       or pre.instance.id, "--ttl", glass.ttl, "--reason", glass.reason])


def who_can_grant(session: IbmSession, account_id: str, pre: Preflight) -> tuple[list[str], str]:
    """Labels of who may grant, nearest first, and why the list may be incomplete (or '')."""
    from iamcheck.read.account import read_account
    from iamcheck.review.granters import CannotTell, granters_for

    requirement = load_requirement(bundled_path(GRANT_REQUIREMENT))
    try:
        account = read_account(session, account_id, requirement.service)
        found = granters_for(account, requirement, pre.instance.id, pre.caller.iam_id,
                             datetime.now(UTC))
    except (CannotTell, IamcheckError) as err:
        return [], f"cannot tell who can grant it: {err}"
    names = [g.label + ("" if g.certain else " (perhaps)")
             + (f", shares {', '.join(g.shared_groups)}" if g.shared_groups else "")
             for g in found]
    partial = ("the list may be incomplete: this identity may not read the whole account; "
               if account.gaps else "") + NOT_COUNTED
    return names, partial


def run_break_glass(conn: Connection, opts: ConsoleOptions, glass: BreakGlass,
                    term: Terminal) -> ExitCode:
    from iamcheck.console import document as docs
    from iamcheck.console.run import DEMO_CONSOLE_KEY, console, run_preflight

    ref = instance_ref(opts.instance, "INSTANCE")
    conn = replace(conn, demo_key=DEMO_CONSOLE_KEY)
    plain = replace(opts, break_glass=None)
    with open_session(conn) as session:
        pre = run_preflight(session, ref, "vnc" if opts.vnc else "serial")
        term.document(docs.document(pre), True)
        step = next_step(pre.items)
        if step == "fix first":
            term.note("iamcheck: break-glass: the pre-flight fails for more than access: fix "
                      "what it names first")
            return ExitCode.FINDING
        if step == "open":
            term.note("iamcheck: break-glass: you have console access already: nothing to grant")
            return console(conn, plain, term)
        account_id = session.settings.account_id or session.caller().account_id
        if not may_write_policies(session, account_id, "is"):
            names, partial = who_can_grant(session, account_id, pre)
            term.note(for_terminal(
                "iamcheck: break-glass: you may not grant console access yourself. "
                + ("Who can, nearest first: " + "; ".join(names) if names
                   else "Nobody found who can") + (f" ({partial})" if partial else "")))
            term.note(for_terminal("iamcheck: what they run: " + grant_line(pre, glass)))
            return ExitCode.FINDING
    created = _grant(conn, pre, glass, opts, term)
    if created is None:
        return ExitCode.FINDING
    try:
        return console(conn, plain, term)
    finally:
        if created and not glass.keep:
            _revoke(conn, created, glass, term)
        elif created:
            term.note(f"iamcheck: break-glass: kept polic{'y' if len(created) == 1 else 'ies'} "
                      f"{', '.join(created)} (--keep); it ends with its window ({glass.ttl})")


def _prompt(term: Terminal) -> Any:
    from iamcheck.formats import render
    from iamcheck.grant.run import Prompt

    def confirm(question: str) -> bool:
        term.confirm(question)  # aborts the run when declined
        return True

    return Prompt(term.stdin_is_terminal, lambda doc: term.note(render("grant-plan", "table",
                                                                       doc)),
                  confirm, lambda text: term.note(f"iamcheck: {text}"))


def _grant(conn: Connection, pre: Preflight, glass: BreakGlass, opts: ConsoleOptions,
           term: Terminal) -> list[str] | None:
    """Create the minimal time-bound plan for the caller; the ids created, None on failure."""
    from pathlib import Path

    from iamcheck.grant.apply import CREATED
    from iamcheck.grant.run import Options, grant

    result = grant(conn, Options(users=(pre.caller.iam_id,), instance=pre.instance.id,
                                 ttl=glass.ttl, reason=glass.reason, yes=opts.yes,
                                 log=Path(glass.log) if glass.log else None), _prompt(term))
    if result.exit_code is not ExitCode.OK:
        term.note("iamcheck: break-glass: the grant did not end allowed"
                  + (" (declined)" if result.declined else ""))
        return None
    created = [a.policy_id for a in result.applied.values() if a.outcome == CREATED]
    term.note(for_terminal(f"iamcheck: break-glass: created {', '.join(created) or 'nothing'} "
                           f"for {glass.ttl} ({glass.reason})"))
    return created


def _revoke(conn: Connection, created: list[str], glass: BreakGlass, term: Terminal) -> None:
    from pathlib import Path

    from iamcheck.grant.run import Options, revoke

    result = revoke(conn, Options(policies=tuple(created), yes=True, reason=glass.reason,
                                  log=Path(glass.log) if glass.log else None), _prompt(term))
    done = result.exit_code is ExitCode.OK
    term.note(f"iamcheck: break-glass: {'revoked' if done else 'could not revoke'} "
              f"{', '.join(created)}" + ("" if done else
                                         f"; its window ends it after {glass.ttl}"))
