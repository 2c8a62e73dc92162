"""What `grant` and `revoke` do between parsing (cli/grant.py) and the plan: check every input
before the first IBM call, read, plan, show the plan and ask (through the CLI's Prompt), apply,
verify, and build the document. Returns the document and the exit code."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from iamcheck import __version__
from iamcheck.claims import load_claims
from iamcheck.connection import Connection, open_session
from iamcheck.decide import Decision, Verdict
from iamcheck.errors import BadInput
from iamcheck.grant import current
from iamcheck.grant.apply import FAILED, Applied, Changes
from iamcheck.grant.current import Reader, ScopeRef
from iamcheck.grant.document import grant_document, revoke_document, scope_json
from iamcheck.grant.log import AuditLog, default_path, local_user
from iamcheck.grant.plan import (
    GrantPlan,
    GrantScope,
    PlanError,
    Subject,
    Window,
    evaluate,
    grant_roles,
    overall,
    plan_subject,
)
from iamcheck.grant.reason import reason_text
from iamcheck.grant.result import GrantResult, Remaining, RevokeResult
from iamcheck.grant.revoke import RevokePlan, SubjectRevoke, plan_revoke
from iamcheck.ibm import iam_policy, user_management
from iamcheck.ibm.errors import NotFound
from iamcheck.ibm.session import Caller, IbmSession
from iamcheck.inputs import UserRef, duration, instance_ref, instant, user_ref
from iamcheck.model import Claims, Policy, Role
from iamcheck.read.lookup import SERVICE_ID_PREFIX, Lookup
from iamcheck.read.write_rights import require_policy_writes
from iamcheck.requirement import Requirement, requirement_from
from iamcheck.safe_text import for_terminal

POLICY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
Doc = dict[str, Any]
PROPAGATION_NOTE = ("IAM shows the new access now, but VPC may take up to 10 minutes to honour it "
                    "(E1): `iamcheck console` waits for it (--wait-propagation)")


@dataclass(frozen=True)
class Options:
    """What the command line gave, unchecked."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    instance: str | None = None
    resource_group: str | None = None
    all_instances: bool = False
    ttl: str | None = None
    until: str | None = None
    policies: tuple[str, ...] = ()  # revoke: policies named by id
    dry_run: bool = False
    yes: bool = False
    log: Path | None = None
    requirement: Path | None = None
    claims: Path | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Prompt:
    """How the CLI shows a plan and asks before changing anything."""

    interactive: bool  # stdin and stdout are terminals
    show: Callable[[Doc], None] = lambda doc: None
    confirm: Callable[[str], bool] = lambda question: False
    warn: Callable[[str], None] = lambda text: None


@dataclass(frozen=True)
class Checked:
    users: tuple[UserRef, ...]
    groups: tuple[str, ...]
    scope: ScopeRef | None
    requirement: Requirement
    log: AuditLog | None  # None for a dry run: it writes nothing
    window: Window | None = None
    policies: tuple[str, ...] = ()
    claims: Claims | None = None
    reason: str = ""


def check_options(opts: Options, command: str, now: datetime) -> Checked:
    """Every input checked before the first IBM call (exit 2 with one line naming the problem)."""
    users = tuple(user_ref(u, "USER") for u in opts.users)
    for ref in users:
        if ref.value.startswith("iam-Profile-"):
            raise BadInput(f"USER: '{ref.value}' is a trusted profile; iamcheck grants to users, "
                           "service IDs and access groups")
    groups = tuple(g.strip() for g in opts.groups)
    if any(not g for g in groups):
        raise BadInput("--access-group: give a group name or id")
    named = [flag for flag, given in (("--instance", opts.instance is not None),
                                      ("--resource-group", opts.resource_group is not None),
                                      ("--all-instances", opts.all_instances)) if given]
    if len(named) > 1:
        raise BadInput(f"{' and '.join(named)} are mutually exclusive: name one scope")
    scope = _scope_ref(opts)
    policies = tuple(p.strip() for p in opts.policies)
    for policy_id in policies:
        if not POLICY_ID.match(policy_id):
            raise BadInput(f"--policy: '{policy_id[:80]}' is not a policy id")
    if command == "grant":
        if not users and not groups:
            raise BadInput("name at least one USER or --access-group")
        if scope is None:
            raise BadInput("name the scope: --instance ID, --resource-group NAME|ID or "
                           "--all-instances (iamcheck never grants on every instance unasked)")
    elif scope is None and not policies:
        raise BadInput("name the scope (--instance, --resource-group, --all-instances) or the "
                       "policies (--policy ID)")
    elif scope is not None and not users and not groups:
        raise BadInput("with a scope, name at least one USER or --access-group")
    window = _window(opts, now)
    reason = reason_text(opts.reason)
    requirement = requirement_from(opts.requirement)
    claims = load_claims(opts.claims)
    log = None
    if not opts.dry_run:
        log = AuditLog(opts.log or default_path())
        log.prepare()
    return Checked(users, groups, scope, requirement, log, window, policies, claims, reason)


def _scope_ref(opts: Options) -> ScopeRef | None:
    if opts.instance is not None:
        return ScopeRef("instance", instance=instance_ref(opts.instance))
    if opts.resource_group is not None:
        if not opts.resource_group.strip():
            raise BadInput("--resource-group: give a resource group name or id")
        return ScopeRef("resource_group", value=opts.resource_group.strip())
    return ScopeRef("account") if opts.all_instances else None


def _window(opts: Options, now: datetime) -> Window | None:
    if opts.ttl is not None and opts.until is not None:
        raise BadInput("--ttl and --until are mutually exclusive")
    # Whole minutes: grants made in the same minute write the same body, which IBM deduplicates.
    start = now.astimezone(UTC).replace(second=0, microsecond=0)
    if opts.ttl is not None:
        return Window(start, start + duration(opts.ttl))
    if opts.until is None:
        return None
    end = instant(opts.until, "--until")
    if end <= now + timedelta(minutes=1):
        raise BadInput(f"--until: {opts.until} is not in the future (a minute from now at least)")
    return Window(start, end.replace(microsecond=0))


def _subjects(lookup: Lookup, checked: Checked) -> list[Subject]:
    found = (current.resolve_users(lookup, checked.users)
             + current.resolve_groups(lookup, checked.groups))
    return list({s.id: s for s in found}.values())


def _context(command: str, caller_iam_id: str, account_id: str, req: Requirement,
             scope: GrantScope | None, reason: str = "") -> dict[str, Any]:
    return {"command": command, "tool": f"iamcheck {__version__}", "reason": reason,
            "by": {"iam_id": caller_iam_id, "local_user": local_user()},
            "account_id": account_id, "requirement": req.id,
            "scope": scope_json(scope) if scope else None}


def _ask(prompt: Prompt, plan_doc: Doc, question: str) -> bool:
    prompt.show(plan_doc)
    if not prompt.interactive:
        raise BadInput("refusing to change IAM policies without a confirmation: stdin or stdout "
                       "is not a terminal; pass --yes (or look first with --dry-run)")
    return prompt.confirm(question)


def _start(session: IbmSession, checked: Checked, command: Literal["grant", "revoke"]
           ) -> tuple[Caller, str, Lookup, list[Role]]:
    """Who calls, in which account; that they may write policies (unless a dry run); the roles."""
    caller = session.caller()
    account_id = session.settings.account_id or caller.account_id
    service = checked.requirement.service
    if checked.log is not None:
        require_policy_writes(session, account_id, service, command)
    return (caller, account_id, Lookup(session, account_id),
            iam_policy.list_roles(session, account_id, service))


def grant(conn: Connection, opts: Options, prompt: Prompt) -> GrantResult:
    now = datetime.now(UTC)
    checked = check_options(opts, "grant", now)
    req = checked.requirement
    if checked.window is not None:
        prompt.warn(f"the grant holds from {checked.window.start.isoformat()} to "
                    f"{checked.window.end.isoformat()}; IBM's time-based conditions use fixed "
                    "UTC offsets and ignore daylight saving time")
    with open_session(conn) as session:
        caller, account_id, lookup, roles = _start(session, checked, "grant")
        try:
            chosen = grant_roles(req, roles)
        except PlanError as err:
            raise BadInput(f"--requirement: {err}") from None
        subjects = _subjects(lookup, checked)
        assert checked.scope is not None
        scope = current.resolve_scope(lookup, checked.scope)
        reader = Reader(lookup, scope, roles)
        plans = tuple(plan_subject(reader.access(s, now), s, scope, req, chosen, now,
                                   checked.window, checked.claims, checked.reason)
                  for s in subjects)
        plan = GrantPlan(account_id, req, scope, now, plans, checked.window)
        if checked.log is None:
            return GrantResult(plan, dry_run=True)
        for sp in plans:
            if sp.policy is not None and overall(sp.before) is Verdict.UNKNOWN:
                prompt.warn(for_terminal(f"{sp.subject.label}: {sp.reason}"))
        count = len(plan.to_create)
        if count and not opts.yes and not _ask(
                prompt, grant_document(GrantResult(plan, dry_run=True)),
                f"Create {count} polic{'y' if count == 1 else 'ies'}?"):
            return GrantResult(plan, dry_run=False, declined=True)
        changes = Changes(session, reader, checked.log,
                          _context("grant", caller.iam_id, account_id, req, scope,
                                   checked.reason), now)
        applied = {p.subject.id: changes.create(p) for p in plan.to_create}
        after = {sp.subject.id: sp.before for sp in plans if sp.policy is None}
        for subject_id, done in applied.items():
            present = {done.policy_id} if done.policy_id and done.outcome != FAILED else set()
            after[subject_id] = changes.verify(done.subject, req, present, set())
        if any(a.outcome != FAILED for a in applied.values()):
            prompt.warn(PROPAGATION_NOTE)
        return GrantResult(plan, dry_run=False, applied=applied, after=after,
                           log=str(checked.log.path))


def _owner(session: IbmSession, lookup: Lookup, policy: Policy) -> Subject:
    """The subject a policy named by id belongs to."""
    iam_id = policy.subject_value("iam_id")
    group_id = policy.subject_value("access_group_id")
    if policy.type != "access" or len(policy.subject) != 1 or not (iam_id or group_id):
        raise BadInput(f"--policy: {policy.id} is not an access policy of a user, service ID "
                       "or access group")
    if group_id:
        names = {g.id: g.name for g in lookup.access_groups()}
        return Subject("access_group", group_id, names.get(group_id, group_id))
    assert iam_id is not None
    if iam_id.startswith(SERVICE_ID_PREFIX):
        return Subject("service_id", iam_id, iam_id)
    users = user_management.users_named(session, lookup.account_id, "iam_id", iam_id)
    user = users[0] if users else None
    return Subject("user", iam_id, user.email if user else iam_id, user.state if user else "")


def _named(session: IbmSession, lookup: Lookup,
           ids: Sequence[str]) -> tuple[list[Subject], dict[str, list[Policy]]]:
    owners: list[Subject] = []
    by_owner: dict[str, list[Policy]] = {}
    for policy_id in ids:
        try:
            policy = iam_policy.get_policy(session, policy_id)
        except NotFound:
            raise BadInput(f"--policy: no policy '{policy_id}' in {lookup.where}") from None
        if policy.state != "active":
            raise BadInput(f"--policy: policy {policy_id} is deleted already")
        owner = _owner(session, lookup, policy)
        owners.append(owner)
        by_owner.setdefault(owner.id, []).append(policy)
    return owners, by_owner


def revoke(conn: Connection, opts: Options, prompt: Prompt) -> RevokeResult:
    now = datetime.now(UTC)
    checked = check_options(opts, "revoke", now)
    req = checked.requirement
    with open_session(conn) as session:
        caller, account_id, lookup, roles = _start(session, checked, "revoke")
        named_subjects, named = _named(session, lookup, checked.policies)
        subjects = _subjects(lookup, checked)
        scope = current.resolve_scope(lookup, checked.scope) if checked.scope else None
        reader = Reader(lookup, scope or GrantScope("account", ""), roles)
        everyone = list({s.id: s for s in [*subjects, *named_subjects]}.values())
        listed = {s.id for s in subjects} if scope else set()
        plans = tuple(plan_revoke(s, [*(reader.policies_of(s) if s.id in listed else []),
                                      *named.get(s.id, [])], scope, req, checked.policies)
                      for s in everyone)
        plan = RevokePlan(account_id, req, scope, now, plans)
        names = _role_names(roles)
        if checked.log is None:
            predicted = {sr.subject.id: _without(reader, sr, req, now) for sr in plans
                         if scope is not None and sr.subject.id in listed}
            return RevokeResult(plan, dry_run=True, role_names=names, after=predicted,
                                remaining=_remaining(plans, predicted))
        count = len(plan.to_remove)
        if count and not opts.yes and not _ask(
                prompt, revoke_document(RevokeResult(plan, dry_run=True, role_names=names)),
                f"Delete {count} polic{'y' if count == 1 else 'ies'}?"):
            return RevokeResult(plan, dry_run=False, role_names=names, declined=True)
        changes = Changes(session, reader, checked.log,
                          _context("revoke", caller.iam_id, account_id, req, scope,
                                   checked.reason), now)
        results: dict[str, list[Applied]] = {}
        after = {}
        for sr in plans:
            results[sr.subject.id] = [changes.delete(sr.subject, r.policy) for r in sr.remove]
            if scope is not None and sr.subject.id in listed:
                gone = {r.policy.id for r in sr.remove}
                after[sr.subject.id] = changes.verify(sr.subject, req, set(), gone)
        return RevokeResult(plan, dry_run=False, role_names=names, results=results,
                            after=after, log=str(checked.log.path),
                            remaining=_remaining(plans, after))


def _without(reader: Reader, sr: SubjectRevoke, req: Requirement,
             now: datetime) -> tuple[Decision, ...]:
    """What a dry run predicts: the subject's access without the policies it would delete."""
    gone = {r.policy.id for r in sr.remove}
    data = reader.access(sr.subject, now)
    data = replace(data, policies=tuple(p for p in data.policies if p.id not in gone))
    return evaluate(data, req, sr.subject, data.instances or (reader.scope.new_instance(),), now)


def _remaining(plans: Sequence[SubjectRevoke],
               after: Mapping[str, Sequence[Decision]]) -> dict[str, tuple[Remaining, ...]]:
    """For each subject still allowed after the revoke, the policies that allow it."""
    out: dict[str, tuple[Remaining, ...]] = {}
    for sr in plans:
        decisions = after.get(sr.subject.id)
        if not decisions or overall(decisions) is not Verdict.ALLOW:
            continue
        found: dict[str, Remaining] = {}
        for d in decisions:
            for g in d.grants:
                if g.via.kind == "direct":
                    how = shlex.join(["iamcheck", "revoke", sr.subject.cli_name, "--policy",
                                      g.policy_id])
                    found.setdefault(g.policy_id, Remaining(g.policy_id, "direct", how))
                else:
                    group = g.via.group_name or g.via.group_id
                    found.setdefault(g.policy_id, Remaining(
                        g.policy_id, group, f"remove {sr.subject.label} from access group "
                        f"{group}, or delete the group's policy {g.policy_id} (it gives every "
                        "member access)"))
        out[sr.subject.id] = tuple(found.values())
    return out


def _role_names(roles: Sequence[Role]) -> dict[str, str]:
    return {r.crn: r.display_name for r in roles}
