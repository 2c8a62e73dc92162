"""Grant and revoke documents as text for a terminal, or as JSON.

The table shows the plan (per subject: what it has, what is created or deleted, the exact body,
the equivalent `ibmcloud` command) and then what happened. When the plan was already shown to ask
for confirmation, `plan_shown` leaves it out of the result.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from iamcheck.formats._safe import terminal_doc
from iamcheck.formats.json_format import compact

WORD = {"allow": "ALLOWED", "deny": "DENIED", "unknown": "UNKNOWN"}
LABEL = 10  # width of the label column
WIDTH = 100


def _line(label: str, text: str, wrap: bool = True) -> list[str]:
    """`  label     text`, continuation lines indented; commands and JSON are never wrapped
    (they are meant to be copied)."""
    head = f"  {label:<{LABEL}}"
    lines = text.splitlines() or [""]
    out = []
    for i, line in enumerate(lines):
        wrapped = (textwrap.wrap(line, WIDTH - len(head), break_long_words=False,
                                 break_on_hyphens=False) if wrap else [line]) or [""]
        out += [(head if i == 0 and j == 0 else " " * len(head)) + part
                for j, part in enumerate(wrapped)]
    return out


def _who(subject: dict[str, Any]) -> str:
    kind = subject["kind"].replace("_", " ")
    state = f", {subject['state']}" if subject.get("state") else ""
    return f"{subject['label']}  ({kind}{state})"


def _verdict(v: dict[str, Any]) -> str:
    word, n = WORD.get(v["verdict"], v["verdict"]), v["instances"]
    text = f"{word} on {n} instance{'s' if n != 1 else ''}"
    if 0 < v["allowed_on"] < n:
        text = f"{word}: allowed on {v['allowed_on']} of {n} instances"
    if v["verdict"] != "allow":
        text += f"; lacks {', '.join(v['missing'])}" if v["missing"] else ""
        why = v.get("reason")
        if why and why["rule"] != "V3":  # V3 only repeats what is lacking
            text += f"\nwhy: {why['text']} ({why['rule']})"
    return text


def _has(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "nothing that supplies a required action"
    return "\n".join(f"{e['action']}: {e['role']}, policy {e['policy_id']}, {e['via']} "
                     f"({e['instances']} instance{'s' if e['instances'] != 1 else ''})"
                     for e in entries)


def _header(doc: dict[str, Any]) -> list[str]:
    scope = doc.get("scope")
    where = (f" on {scope['label']}" + (f" ({scope['id']})" if scope["id"] else "")
             if scope else " of the policies named")
    out = [f"iamcheck {doc['command']}{where}",
           f"account {doc['account_id']}  requirement {doc['requirement']}"]
    window = doc.get("window")
    if window:
        out.append(f"window {window['start']} to {window['end']} (IBM's time conditions use "
                   "fixed UTC offsets and ignore daylight saving time)")
    return out


def _grant_plan(subject: dict[str, Any]) -> list[str]:
    out = [_who(subject["subject"])]
    out += _line("now", _verdict(subject["before"]))
    out += _line("has", _has(subject["before"]["has"]))
    policy = subject["policy"]
    if policy is None:
        verb = "nothing to create" if subject["status"] == "allowed" else "cannot grant"
        return out + _line("plan", f"{verb}: {subject['reason']}")
    roles = ", ".join(r["name"] for r in policy["roles"])
    out += _line("plan", f"create {roles} ({subject['reason']})")
    out += _line("tag", policy["marker"])
    out += _line("body", compact(policy["body"]), wrap=False)
    out += _line("ibmcloud", policy["cli"], wrap=False)
    if policy["cli_reads_body_from_file"]:
        out += _line("", "(policy.json: the body above)")
    if subject["predicted"]:
        out += _line("then", _verdict(subject["predicted"]) + " (predicted)")
    return out


def _grant_result(subject: dict[str, Any]) -> list[str]:
    result, after = subject["result"], subject["after"]
    if result is None:
        text = f"nothing created ({subject['reason']})"
    else:
        text = {"created": "created policy", "already_present": "already present: policy",
                "failed": "failed"}[result["outcome"]]
        text += f" {result['policy_id']}" if result["policy_id"] else ""
        text += ("; read back" if result["visible"] else "; not yet readable") \
            if result["policy_id"] else ""
        text += f" ({result['detail']})" if result["detail"] else ""
    if after is not None:
        text += f"\nverified {_verdict(after)}"
    return _result(subject["subject"]["label"], text)


def _result(who: str, text: str) -> list[str]:
    """`  who` then its lines, indented under it."""
    lines = [f"  {who}"]
    for line in text.splitlines():
        lines += textwrap.wrap(line, WIDTH, initial_indent="    ", subsequent_indent="      ",
                               break_long_words=False, break_on_hyphens=False)
    return lines


def _plan(doc: dict[str, Any], subject_plan: Callable[[dict[str, Any]], list[str]]) -> str:
    out = [*_header(doc), ""]
    for subject in doc["subjects"]:
        out += [*subject_plan(subject), ""]
    return "\n".join(out)


def _logged(doc: dict[str, Any]) -> str:
    return f"; logged to {doc['log']}" if doc.get("log") else ""


def render_grant_plan(doc: dict[str, Any]) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    return _plan(doc, _grant_plan)


def render_grant(doc: dict[str, Any], plan_shown: bool = False) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    summary = doc["summary"]
    allowed = f"{summary['allowed']} of {summary['subjects']} subjects"
    return _command(doc, plan_shown, _grant_plan, _grant_result,
                    f"{summary['created']} created, {summary['already_present']} already "
                    f"present, {summary['failed']} failed; {allowed} allowed",
                    f"{_would_be(summary['to_create'], 'created')}; {allowed} would then be "
                    "allowed")


def _command(doc: dict[str, Any], plan_shown: bool,
             plan: Callable[[dict[str, Any]], list[str]],
             result: Callable[[dict[str, Any]], list[str]], totals: str, dry_run: str) -> str:
    """grant's and revoke's text: the plan (unless it was shown before asking), then what a dry
    run would do, or that the change was declined, or each subject's result and the totals."""
    out = [] if plan_shown else [_plan(doc, plan)]
    if doc["dry_run"]:
        out.append(dry_run)
    elif doc["declined"]:
        out.append("declined: nothing was changed")
    else:
        out += ["Result", *(line for subject in doc["subjects"] for line in result(subject)),
                totals + _logged(doc)]
    return "\n".join(out) + "\n"


def _would_be(n: int, done: str) -> str:
    return f"dry run: nothing was changed; {n} polic{'y' if n == 1 else 'ies'} would be {done}"


def _revoke_plan(subject: dict[str, Any]) -> list[str]:
    out = [_who(subject["subject"])]
    for item in subject["remove"]:
        described = "" if item["why"].startswith("created by iamcheck") else \
            f"\n{item['description']}"
        out += _line("delete", f"policy {item['policy_id']} ({', '.join(item['roles'])}): "
                               f"{item['why']}{described}")
        out += _line("ibmcloud", item["cli"], wrap=False)
    for item in subject["kept"]:
        out += _line("keep", f"policy {item['policy_id']}: {item['why']}")
    if not subject["remove"] and not subject["kept"]:
        out += _line("plan", "nothing to delete: no policy iamcheck created on this scope")
    return out


def render_revoke_plan(doc: dict[str, Any]) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    return _plan(doc, _revoke_plan)


def _revoke_result(subject: dict[str, Any]) -> list[str]:
    lines = [f"{'deleted' if r['outcome'] == 'deleted' else r['outcome'].replace('_', ' ')}"
             f" policy {r['policy_id']}"
             + ("; read back as deleted" if r["visible"] else "")
             + (f" ({r['detail']})" if r["detail"] else "")
             for r in subject["results"] or ()] or ["nothing deleted"]
    if subject["after"] is not None:
        lines.append(f"now {_verdict(subject['after'])}")
    lines += [f"still allowed through policy {r['policy_id']}"
              + ("" if r["via"] == "direct" else f" of access group {r['via']}")
              + f": {r['how']}" for r in subject.get("remaining", ())]
    return _result(subject["subject"]["label"], "\n".join(lines))


def render_revoke(doc: dict[str, Any], plan_shown: bool = False) -> str:
    doc = terminal_doc(doc)  # account text, escaped (issue 12)
    summary = doc["summary"]
    return _command(doc, plan_shown, _revoke_plan, _revoke_result,
                    f"{summary['deleted']} deleted, {summary['already_gone']} already gone, "
                    f"{summary['failed']} failed, {summary['kept']} kept",
                    _would_be(summary["to_remove"], "deleted"))
