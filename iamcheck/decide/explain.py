"""The reasons of a decision: short sentences, each citing the rule (R1..G1) it rests on.

The verdict's own rule comes first (V4 or V5 when they decide, else V1, V2 or V3), then the
facts behind it: where each action comes from, or the nearest misses and uncertain paths.
"""

from __future__ import annotations

from iamcheck.decide.context import Context
from iamcheck.decide.layers import describe as describe_layer
from iamcheck.decide.matching import ALL_SERVICES
from iamcheck.decide.subjects import GROUP, PUBLIC, Identity
from iamcheck.decide.survey import Seen
from iamcheck.decide.verdict import (
    ContextRule,
    Grant,
    NearMiss,
    Reason,
    UncertainPath,
    Verdict,
)
from iamcheck.model import Gap, Instance


def reasons_for(ctx: Context, verdict: Verdict, identity: Identity, instance: Instance,
                grants: list[Grant], missing: tuple[str, ...], misses: tuple[NearMiss, ...],
                paths: list[UncertainPath], gaps: list[Gap], seen: list[Seen]) -> list[Reason]:
    out: list[Reason] = []
    target = f"instance {instance.name or instance.id}"
    chosen = first_per_action(ctx.requirement.actions, grants)
    if identity.cannot_sign_in and identity.user is not None:
        held = (f"would lack {', '.join(missing)}" if missing
                else "would otherwise hold every required action")
        return [Reason("V4", f"{identity.label()} is {identity.user.state}: a user in this "
                             f"state cannot open a console, whatever the policies say (the "
                             f"policies {held} on {target})")]
    out += [Reason("V5", f"{g.what} could not be read in full ({g.reason}); iamcheck never "
                         "allows on partial data") for g in gaps]
    if verdict is Verdict.ALLOW:
        held = "; ".join(f"{g.action} from policy {g.policy_id} ({g.role_name}, "
                         f"{g.via.describe()})" for g in chosen)
        out.append(Reason("V1", f"{identity.label()} holds every required action on "
                                f"{target}: {held}"))
    elif verdict is Verdict.UNKNOWN and not gaps:
        out.append(Reason("V2", f"not certain on {target}: {', '.join(missing)} could come "
                                "only through an uncertain path"))
    elif verdict is Verdict.DENY and missing:
        out.append(Reason("V3", f"{identity.label()} lacks {', '.join(missing)} on {target}"))
        if chosen:
            got = ", ".join(g.action for g in chosen)
            out.append(Reason("R1", f"holding {got} is not enough: every required action is "
                                    "needed on the instance"))
    if identity.kind == "unknown":
        out.append(Reason("P3", f"{identity.iam_id} is neither a user nor a service ID of the "
                                "account: only its own policies and the Public Access group "
                                "count"))
    _add(out, grant_notes(ctx, chosen, seen, identity))
    if identity.user is not None and identity.user.state == "DISABLED_CLASSIC_INFRASTRUCTURE":
        out.append(Reason("V4", f"{identity.label()} is DISABLED_CLASSIC_INFRASTRUCTURE: that "
                                "state loses classic infrastructure only; VPC access is "
                                "decided by the policies"))
    if verdict is Verdict.UNKNOWN:
        for action in missing:
            path = next((p for p in paths if action in p.actions and p.rule != "V5"), None)
            if path is not None:
                _add(out, [Reason(path.rule, path.detail)])

    if verdict is Verdict.DENY:
        for action in missing:
            miss = next((m for m in misses if action in m.actions), None)
            if miss is not None:
                _add(out, [Reason(miss.rule, miss.detail)])
    return out


def first_per_action(actions: tuple[str, ...], grants: list[Grant]) -> list[Grant]:
    return [next(g for g in grants if g.action == a) for a in actions
            if any(g.action == a for g in grants)]


def _add(out: list[Reason], more: list[Reason]) -> None:
    for reason in more:
        if reason not in out:
            out.append(reason)


def grant_notes(ctx: Context, chosen: list[Grant], seen: list[Seen],
                identity: Identity) -> list[Reason]:
    """R2, R3, R4, P3, P4 and S facts behind the grants a verdict rests on."""
    out: list[Reason] = []
    policies = list(dict.fromkeys(g.policy_id for g in chosen))
    if len(policies) > 1:
        out.append(Reason("R3", f"the actions come from different policies ({', '.join(policies)})"
                                "; together they are enough"))
    for grant in chosen:
        item = next((s for s in seen if s.policy.id == grant.policy_id and s.via == grant.via),
                    None)
        role, by_suffix = ctx.roles.resolve(grant.role_crn)
        if by_suffix and role is not None:
            _add(out, [Reason("R4", f"role {grant.role_crn} is recognised as "
                                    f"{role.display_name} by the end of its CRN")])
        if role is not None and role.kind == "custom":
            _add(out, [Reason("R2", f"custom role {role.display_name} lists {grant.action}")])
        if role is None and grant.role_crn:
            _add(out, [Reason("R2", f"role {grant.role_crn} is expanded from policy "
                                    f"{grant.policy_id}'s own display roles")])
        if grant.via.kind == PUBLIC:
            _add(out, [Reason("P3", f"policy {grant.policy_id} is on the Public Access group: "
                                    f"it gives {grant.action} to everyone")])
        elif grant.via.kind == GROUP and grant.via.dynamic_rule:
            _add(out, [Reason("P3", f"{identity.label()} is admitted to access group "
                                    f"{grant.via.group_name or grant.via.group_id} by its "
                                    f"dynamic rule '{grant.via.dynamic_rule}', by the claims "
                                    "given")])
        elif grant.via.kind == GROUP:
            _add(out, [Reason("P3", f"{identity.label()} is a member of access group "
                                    f"{grant.via.group_name or grant.via.group_id}")])
        if item is not None:
            _add(out, _scope_notes(ctx, item))
    return out


def _scope_notes(ctx: Context, item: Seen) -> list[Reason]:
    policy = item.policy
    out: list[Reason] = []
    scope = ctx.scope(policy)
    if scope.scope == ALL_SERVICES:
        out.append(Reason("S2", f"policy {policy.id} is on all IAM-enabled services: its "
                                "platform roles count, never a service role"))
    out += [Reason(atom.rule, f"policy {policy.id} covers the instance by {atom.describe()}")
            for atom in scope.atoms]
    if policy.rule is not None:
        state = ctx.rule_state(policy)
        out.append(Reason("P4", f"policy {policy.id}: {state.detail if state else ''}"))
    return out


def context_reasons(ctx: Context, rules: tuple[ContextRule, ...],
                    decided: bool) -> list[Reason]:
    """G1: the CBR rules on the instance; first, when strict_context turned an allow unknown."""
    out: list[Reason] = []
    if decided:
        out.append(Reason("G1", "allowed by IAM, but --strict-context: "
                                + ("the CBR rules could not be read" if ctx.cbr_gap is not None
                                   and not any(r.enforced for r in rules)
                                   else "an enforcing CBR rule covers the instance")
                                + ", and iamcheck cannot see the request's context"))
    out += [Reason("G1", rule.describe()) for rule in rules]
    if ctx.cbr_gap is not None:
        out.append(Reason("V5", describe_layer(ctx.cbr_gap) + ": a CBR rule iamcheck cannot "
                                "see may refuse the request"))
    return out
