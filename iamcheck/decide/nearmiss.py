"""Near misses (V3): policies one fix away from supplying a missing action, most useful first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from iamcheck.decide.conditions import EXPIRED, NOT_YET_ACTIVE, OUTSIDE_WINDOW
from iamcheck.decide.context import Context
from iamcheck.decide.matching import ALL_SERVICES
from iamcheck.decide.survey import Seen, names, scope_text
from iamcheck.decide.tri import Tri
from iamcheck.decide.verdict import NEAR_MISS_RANK, NearMiss, NearMissKind, UncertainPath

_RULE_KINDS = {EXPIRED: NearMissKind.EXPIRED, NOT_YET_ACTIVE: NearMissKind.NOT_YET_ACTIVE,
               OUTSIDE_WINDOW: NearMissKind.OUTSIDE_WINDOW}


def near_misses(ctx: Context, seen: Iterable[Seen], missing: tuple[str, ...],
                uncertain: Iterable[UncertainPath]) -> tuple[NearMiss, ...]:
    """Near misses for the missing actions, merged per (policy, path, kind), ranked."""
    found: dict[tuple[str, object, NearMissKind], NearMiss] = {}
    for item in seen:
        for action in missing:
            miss = _one(ctx, item, action)
            if miss is None:
                continue
            key = (miss.policy_id, miss.via, miss.kind)
            known = found.get(key)
            if known is None:
                found[key] = miss
            elif action not in known.actions:
                found[key] = replace(known, actions=(*known.actions, action),
                                     roles=tuple(dict.fromkeys(known.roles + miss.roles)))
    for path in uncertain:
        if path.via is None or not (actions := tuple(a for a in path.actions if a in missing)):
            continue
        found[(path.policy_id, path.via, NearMissKind.UNCERTAIN_PATH)] = NearMiss(
            NearMissKind.UNCERTAIN_PATH, actions, path.policy_id, path.via, path.rule, path.detail)
    return tuple(sorted(found.values(), key=_rank))


# How close a path is to this person: their own policies, then their groups', then a trusted
# profile's, then the Public Access group's (everyone's).
_VIA_RANK = {"direct": 0, "group": 1, "profile": 2, "public": 3}
# After a policy on this instance with the right role: one on another scope, then a role that
# lacks the action.
_PLACE = {NearMissKind.WRONG_SCOPE: 1, NearMissKind.VPC_SCOPE: 1,
          NearMissKind.ROLE_LACKS_ACTION: 2}


def _rank(miss: NearMiss) -> tuple[int, int, int, int, int, bool, str, str, str]:
    """Nearest first, for this person on this instance (issue 12): own policies first, then
    fewer defects, the same instance before other scopes, and the more useful kind."""
    return (_VIA_RANK.get(miss.via.kind, 4), miss.defects, _PLACE.get(miss.kind, 0),
            NEAR_MISS_RANK[miss.kind], -len(miss.actions), not miss.via.certain,
            miss.policy_id, miss.via.kind, miss.via.group_id)


def _one(ctx: Context, item: Seen, action: str) -> NearMiss | None:
    usable = item.usable(action)
    if usable:
        return _one_defect(ctx, item, action)
    policy, via = item.policy, item.via
    settled = item.active and item.match.status is Tri.YES and item.rule is Tri.YES
    if not settled or item.maybe_usable(action):
        return None  # an unexpanded role is an uncertain path (R2), not a miss
    blocked = item.blocked(action)
    if blocked:
        return NearMiss(
            NearMissKind.SERVICE_ROLE_ALL_SERVICES, (action,), policy.id, via, "S2",
            f"policy {policy.id} puts {names(blocked)} on all IAM-enabled services "
            f"({scope_text(policy)}); such a policy carries only platform roles, so it cannot "
            f"give {action}: scope it to service '{ctx.requirement.service}'",
            tuple(u.name for u in blocked), defects=1 + (not via.certain))
    if not item.uses:
        return None
    rule = "S2" if item.match.scope == ALL_SERVICES else "R2"
    where = "on all IAM-enabled services" if rule == "S2" else "on this instance"
    return NearMiss(
        NearMissKind.ROLE_LACKS_ACTION, (action,), policy.id, via, rule,
        f"policy {policy.id} gives {names(item.uses)} {via.describe()} {where}; "
        f"none of these roles carries {action}", tuple(u.name for u in item.uses),
        defects=1 + (not via.certain))


def _one_defect(ctx: Context, item: Seen, action: str) -> NearMiss | None:
    """A policy with a role carrying `action` that fails: each defect named, the first one
    (in V3's order) giving the kind. A lone doubt is an uncertain path, not a miss."""
    policy, via, match = item.policy, item.via, item.match
    found: list[tuple[NearMissKind, str, str, datetime | None]] = []
    if match.status is Tri.NO:
        if all(f.rule == "S6" for f in match.fails) and match.vpc_holds_instance:
            found.append((NearMissKind.VPC_SCOPE, "S6", "that is the VPC of this instance, and "
                          "access to a VPC does not reach the instances in it", None))
        else:
            found.append((NearMissKind.WRONG_SCOPE, match.fails[0].rule,
                          "; ".join(f.detail for f in match.fails), None))
    if item.rule is Tri.NO:
        state = ctx.rule_state(policy)
        if state is not None and state.kind in _RULE_KINDS:
            found.append((_RULE_KINDS[state.kind], "P4", state.detail, state.when))
    if not item.active:
        found.append((NearMissKind.DELETED, "P2",
                      "it is deleted (IBM can restore it for 10 days after deletion)", None))
    if not found:
        return None
    doubts = [d.detail for d in match.doubts]
    if not via.certain:
        doubts.append("IBM documents public access for Cloud Object Storage only (P3)"
                      if via.kind == "public" else
                      f"membership of {via.group_name or via.group_id} depends on a dynamic rule")
    found.sort(key=lambda f: NEAR_MISS_RANK[f[0]])
    kind, rule, _, when = found[0]
    usable = item.usable(action)
    detail = (f"policy {policy.id} gives {names(usable)} {via.describe()} on "
              f"{scope_text(policy)}, but " + "; ".join(f[2] for f in found))
    if doubts:
        detail += "; and " + "; ".join(doubts)
    return NearMiss(kind, (action,), policy.id, via, rule, detail,
                    tuple(u.name for u in usable), when, defects=len(found) + bool(doubts))
