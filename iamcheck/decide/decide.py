"""The decision for one (subject, instance) pair at one instant (V1-V5). Pure: no I/O, no clock."""

from __future__ import annotations

from datetime import datetime

from iamcheck.decide.context import Context
from iamcheck.decide.explain import reasons_for
from iamcheck.decide.nearmiss import near_misses
from iamcheck.decide.subjects import gap_touches_instance
from iamcheck.decide.survey import grants_of, survey, uncertain_of
from iamcheck.decide.verdict import Decision, Grant, UncertainKind, UncertainPath, Verdict
from iamcheck.model import AccountData, Instance
from iamcheck.requirement import Requirement


def decide(account: AccountData, requirement: Requirement, subject: str, instance: Instance,
           at: datetime) -> Decision:
    """Can `subject` (an iam_id) do every action of `requirement` on `instance` at `at`?"""
    return decide_in(Context(account, requirement, at), subject, instance)


def decide_in(ctx: Context, subject: str, instance: Instance) -> Decision:
    """decide() with the account's indexes already built (decide_account shares them)."""
    actions = ctx.requirement.actions
    identity = ctx.directory.identity(subject)
    seen = list(survey(ctx, subject, instance))
    grants = sorted_grants([g for item in seen for g in grants_of(item, actions)])
    held = {g.action for g in grants}
    missing = tuple(a for a in actions if a not in held)
    paths = sorted((p for item in seen if (p := uncertain_of(ctx, item, missing)) is not None),
                   key=_path_order)
    possible = held | {a for p in paths for a in p.actions}
    gaps = [g for g in ctx.directory.subject_gaps(subject) if gap_touches_instance(g, instance.id)]
    paths += [UncertainPath(UncertainKind.GAP, missing or actions, "V5", f"{g.what}: {g.reason}")
              for g in gaps]

    if identity.cannot_sign_in:
        verdict = Verdict.DENY
    elif gaps:
        verdict = Verdict.UNKNOWN
    elif not missing:
        verdict = Verdict.ALLOW
    elif all(a in possible for a in missing):
        verdict = Verdict.UNKNOWN
    else:
        verdict = Verdict.DENY
    if identity.cannot_sign_in:  # V4 alone decides: nothing is missing, nothing is near
        reasons = reasons_for(ctx, verdict, identity, instance, grants, missing, (), [], [], seen)
        return Decision(verdict, subject, instance.id, ctx.requirement.id, ctx.at, tuple(grants),
                        (), (), (), tuple(reasons))
    misses = near_misses(ctx, seen, missing, paths) if missing else ()
    reasons = reasons_for(ctx, verdict, identity, instance, grants, missing, misses, paths, gaps,
                          seen)
    return Decision(verdict, subject, instance.id, ctx.requirement.id, ctx.at, tuple(grants),
                    missing, misses, tuple(paths), tuple(reasons))


def _path_order(path: UncertainPath) -> tuple[str, str, str]:
    via = path.via
    return (path.policy_id, via.kind if via else "", via.group_id if via else "")


def sorted_grants(grants: list[Grant]) -> list[Grant]:
    order = {"direct": 0, "group": 1, "public": 2}
    return sorted(grants, key=lambda g: (order.get(g.via.kind, 3), g.policy_id, g.via.group_id,
                                         g.role_crn, g.action))
