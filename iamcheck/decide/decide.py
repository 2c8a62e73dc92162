"""The decision for one (subject, instance) pair at one instant (V1-V5). Pure: no I/O, no clock.

In order: the subject's policies (R, P, S rules) give allow, unknown or deny; for a user, the
trusted profiles it may apply can raise that (P5); then V5 (gaps), V4 (the user's state) and G1
(strict_context) can only lower it. decide_account computes the same per scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from iamcheck.decide.context import Context
from iamcheck.decide.explain import context_reasons, reasons_for
from iamcheck.decide.federation import describe as describe_rule
from iamcheck.decide.layers import describe as describe_layer
from iamcheck.decide.nearmiss import near_misses
from iamcheck.decide.subjects import ProfileRoute, gap_touches_instance
from iamcheck.decide.survey import Seen, grants_of, survey, uncertain_of
from iamcheck.decide.tri import Tri
from iamcheck.decide.verdict import (
    Decision,
    Grant,
    Reason,
    UncertainKind,
    UncertainPath,
    Verdict,
)
from iamcheck.model import AccountData, Claims, Instance
from iamcheck.requirement import Requirement


def decide(account: AccountData, requirement: Requirement, subject: str, instance: Instance,
           at: datetime, *, claims: Claims | None = None,
           strict_context: bool = False) -> Decision:
    """Can `subject` (an iam_id) do every action of `requirement` on `instance` at `at`?

    `claims`: the parsed --claims file (iamcheck.claims.parse_claims), which settles dynamic
    rules and profile claim rules for the users it covers. `strict_context`: an allow that an
    enforcing CBR rule covers (or may cover) is unknown instead (G1).
    """
    return decide_in(Context(account, requirement, at, claims, strict_context), subject, instance)


@dataclass(frozen=True)
class _ByPolicies:
    """What the subject's own policies (direct, groups, rule paths) give on the instance."""

    seen: tuple[Seen, ...]
    grants: tuple[Grant, ...]
    missing: tuple[str, ...]
    paths: tuple[UncertainPath, ...]

    @property
    def verdict(self) -> Verdict:
        if not self.missing:
            return Verdict.ALLOW
        possible = {a for p in self.paths for a in p.actions}
        return Verdict.UNKNOWN if all(a in possible for a in self.missing) else Verdict.DENY


def by_policies(ctx: Context, subject: str, instance: Instance) -> _ByPolicies:
    key = (subject, instance.id)
    found = ctx.memo.get(key)
    if isinstance(found, _ByPolicies):
        return found
    actions = ctx.requirement.actions
    seen = tuple(survey(ctx, subject, instance))
    grants = sorted_grants([g for item in seen for g in grants_of(item, actions)])
    held = {g.action for g in grants}
    missing = tuple(a for a in actions if a not in held)
    paths = sorted((p for item in seen if (p := uncertain_of(ctx, item, missing)) is not None),
                   key=_path_order)
    found = _ByPolicies(seen, tuple(grants), missing, tuple(paths))
    ctx.memo[key] = found
    return found


def _profile_verdict(ctx: Context, iam_id: str, instance: Instance) -> Verdict:
    """A trusted profile's own verdict on the instance (its policies and gaps)."""
    own = by_policies(ctx, iam_id, instance)
    gaps = [g for g in ctx.directory.subject_gaps(iam_id) if gap_touches_instance(g, instance.id)]
    return Verdict.UNKNOWN if gaps else own.verdict


def decide_in(ctx: Context, subject: str, instance: Instance) -> Decision:
    """decide() with the account's indexes already built (decide_account shares them)."""
    actions = ctx.requirement.actions
    identity = ctx.directory.identity(subject)
    own = by_policies(ctx, subject, instance)
    verdict, grants, missing = own.verdict, list(own.grants), own.missing
    paths = list(own.paths)
    seen = list(own.seen)
    extra: list[Reason] = []

    if identity.kind == "user" and verdict is not Verdict.ALLOW:  # P5
        entered: ProfileRoute | None = None
        for route in ctx.directory.profile_routes(subject):
            theirs = _profile_verdict(ctx, route.profile.iam_id, instance)
            if theirs is Verdict.DENY:
                continue
            if route.admits is Tri.YES and theirs is Verdict.ALLOW and entered is None:
                entered = route
                continue
            paths.append(_profile_path(route, theirs, missing or actions))
        if entered is not None:
            theirs_seen = by_policies(ctx, entered.profile.iam_id, instance)
            via = entered.via
            grants = [replace(g, via=via) for g in theirs_seen.grants]
            seen = [replace(s, via=via) for s in theirs_seen.seen]
            verdict, missing = Verdict.ALLOW, ()
            extra.append(Reason("P5", f"{identity.label()} may apply trusted profile "
                                      f"{entered.profile.name or entered.profile.iam_id}: "
                                      f"{via.describe()}; the profile holds every required "
                                      "action"))
        elif verdict is Verdict.DENY and any(p.kind is UncertainKind.PROFILE for p in paths):
            possible = {a for p in paths for a in p.actions}
            if all(a in possible for a in missing):
                verdict = Verdict.UNKNOWN

    gaps = [g for g in ctx.directory.subject_gaps(subject) if gap_touches_instance(g, instance.id)]
    paths += [UncertainPath(UncertainKind.GAP, missing or actions, "V5", f"{g.what}: {g.reason}")
              for g in gaps]
    if gaps:
        verdict = Verdict.UNKNOWN
    # What follows lowers the verdict; the explanation leads with the rule that did it, then
    # explains the verdict the policies give.
    explained, lead = verdict, []
    if identity.kind == "user" and ctx.profiles_gap is not None and verdict is Verdict.DENY:
        verdict = Verdict.UNKNOWN
        layer = UncertainPath(UncertainKind.GAP, missing or actions, "V5",
                              describe_layer(ctx.profiles_gap) + ": a profile the user may "
                              "apply could give the access")
        paths.append(layer)
        lead.append(Reason(layer.rule, layer.detail))
    if identity.cannot_sign_in:
        verdict = explained = Verdict.DENY
    elif identity.state_unknown and verdict is Verdict.ALLOW:
        verdict = Verdict.UNKNOWN
        state = UncertainPath(UncertainKind.USER_STATE, actions, "V4",
                              f"iamcheck does not know the user state "
                              f"'{identity.user.state if identity.user else ''}': the policies "
                              "give every required action, but a state may keep the user out")
        paths.append(state)
        lead.append(Reason(state.rule, state.detail))
    context = ctx.context_rules(instance)
    strict_blocked = verdict is Verdict.ALLOW and ctx.context_blocks_allow(instance)
    if strict_blocked:
        verdict = Verdict.UNKNOWN
    after = context_reasons(ctx, context, strict_blocked)
    if strict_blocked:
        lead, after = [*lead, after[0]], after[1:]

    misses = near_misses(ctx, seen, missing, paths) if missing and explained is not \
        Verdict.ALLOW else ()
    reasons = lead + reasons_for(ctx, explained, identity, instance, grants, missing, misses,
                                 paths, gaps, seen) + extra + after
    return Decision(verdict, subject, instance.id, ctx.requirement.id, ctx.at, tuple(grants),
                    missing, misses, tuple(paths), tuple(reasons), context)


def _profile_path(route: ProfileRoute, theirs: Verdict, actions: tuple[str, ...]) -> UncertainPath:
    profile, via = route.profile, route.via
    why = ("the claims given cannot settle its rule" if route.admits is Tri.MAYBE and via.by_claims
           else "iamcheck is not given the user's claims (--claims)"
           if route.admits is Tri.MAYBE else "its own access is not certain")
    hours = f", for {via.expiration_hours} h" if via.expiration_hours else ""
    return UncertainPath(
        UncertainKind.PROFILE, actions, "P5",
        f"trusted profile {profile.name or profile.iam_id} ({profile.iam_id}) is {theirs.value} "
        f"on the instance, and its claim rule '{via.dynamic_rule}' lets anyone who "
        f"{describe_rule(via.realm, via.conditions)} apply it{hours}; {why}", "", via)


def _path_order(path: UncertainPath) -> tuple[str, str, str, str]:
    via = path.via
    return (path.policy_id, via.kind if via else "", via.group_id if via else "",
            via.rule_id if via else "")


def sorted_grants(grants: list[Grant]) -> list[Grant]:
    order = {"direct": 0, "group": 1, "public": 2, "profile": 3}
    return sorted(grants, key=lambda g: (order.get(g.via.kind, 4), g.policy_id, g.via.group_id,
                                         g.via.rule_id, g.role_crn, g.action))
