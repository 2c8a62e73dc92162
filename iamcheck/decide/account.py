"""The whole account at once: every (subject, instance) verdict, computed per scope.

Each active policy's scope becomes bitsets over the instances once; each access group sums its
policies once; each distinct subject profile (own policies, groups, state, gaps) is computed once.
The verdict of a pair is then one bit test, and it is exactly the verdict decide() gives (a test
checks this on generated accounts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from iamcheck.decide.bitsets import Bits, InstanceIndex
from iamcheck.decide.context import Context
from iamcheck.decide.matching import OTHER, SERVICE
from iamcheck.decide.result import AccountResult, Profile
from iamcheck.decide.subjects import all_subjects
from iamcheck.decide.tri import Tri
from iamcheck.model import (
    EVERY,
    PUBLIC_ACCESS_GROUP_ID,
    AccountData,
    Claims,
    Gap,
    Instance,
    Policy,
)
from iamcheck.requirement import Requirement

Supply = tuple[tuple[Bits, Bits], ...]  # per required action: (surely, possibly) supplied


@dataclass
class _Evaluator:
    ctx: Context
    index: InstanceIndex

    def __post_init__(self) -> None:
        self.width = len(self.ctx.requirement.actions)
        self.nothing: Supply = ((0, 0),) * self.width
        self._policies: dict[int, Supply] = {}
        self._groups: dict[str, Supply] = {}
        self._profiles: dict[tuple[object, ...], Profile] = {}
        self._context: Bits | None = None

    def policy(self, policy: Policy) -> Supply:
        found = self._policies.get(id(policy))
        if found is None:
            found = self._policy(policy)
            self._policies[id(policy)] = found
        return found

    def _policy(self, policy: Policy) -> Supply:
        ctx = self.ctx
        if policy.state != "active":
            return self.nothing  # P2
        scope = ctx.scope(policy)
        rule = ctx.rule(policy)
        if scope.scope == OTHER or rule is Tri.NO:
            return self.nothing
        yes, possible = self.index.scope_bits(scope)
        if rule is Tri.MAYBE:
            yes = 0
        uses = ctx.uses(policy)
        out = []
        for action in ctx.requirement.actions:
            carried = any(action in u.actions and (scope.scope == SERVICE or u.platform)
                          for u in uses)
            maybe = any(action in u.maybe and (scope.scope == SERVICE or u.platform)
                        for u in uses)
            out.append((yes, possible) if carried else (0, possible) if maybe else (0, 0))
        return tuple(out)

    def combine(self, supplies: Iterable[Supply], certain: bool = True) -> Supply:
        sure = [0] * self.width
        maybe = [0] * self.width
        for supply in supplies:
            for i, (yes, possible) in enumerate(supply):
                if certain:
                    sure[i] |= yes
                maybe[i] |= possible
        return tuple(zip(sure, maybe, strict=True))

    def group(self, group_id: str) -> Supply:
        found = self._groups.get(group_id)
        if found is None:
            policies = self.ctx.directory.group_policies(group_id)
            found = self.combine(self.policy(p) for p in policies)
            self._groups[group_id] = found
        return found

    def profile(self, subject: str) -> Profile:
        directory = self.ctx.directory
        identity = directory.identity(subject)
        own = directory.direct_policies(subject)
        certain = directory.certain_groups(subject)
        vias = directory.dynamic_vias(subject)
        admitted = tuple(sorted({v.group_id for v in vias if v.certain}))  # by claims (P3)
        uncertain = tuple(sorted({v.group_id for v in vias if not v.certain}))
        routes = tuple((r.profile.iam_id, r.admits) for r in directory.profile_routes(subject))
        gaps = directory.subject_gaps(subject)
        state = "deny" if identity.cannot_sign_in else (
            "unknown" if identity.state_unknown else "policies")
        layer = identity.kind == "user" and self.ctx.profiles_gap is not None
        key = (state, tuple(id(p) for p in own), certain, admitted, uncertain, routes,
               tuple(id(g) for g in gaps), layer)
        found = self._profiles.get(key)
        if found is None:
            found = self._profile(state, own, (*certain, *admitted), uncertain, routes, gaps,
                                  layer)
            self._profiles[key] = found
        return found

    def _profile(self, state: str, own: list[Policy], certain: tuple[str, ...],
                 uncertain: tuple[str, ...], routes: tuple[tuple[str, Tri], ...],
                 gaps: Iterable[Gap], profiles_unread: bool) -> Profile:
        everything = self.index.all
        public = self.group(PUBLIC_ACCESS_GROUP_ID)
        public_sure = self.ctx.directory.public_certain
        sure_parts = [self.policy(p) for p in own] + [self.group(g) for g in certain]
        if public_sure:
            sure_parts.append(public)
        maybe_parts = [self.group(g) for g in uncertain] + ([] if public_sure else [public])
        supply = self.combine([self.combine(sure_parts),
                               self.combine(maybe_parts, certain=False)])
        held = tuple(yes for yes, _ in supply)
        allow = reduce(lambda a, b: a & b, held, everything)
        possible = reduce(lambda a, b: a & b, (p for _, p in supply), everything)
        for iam_id, admits in routes:  # P5: profiles the user may apply
            theirs = self.profile(iam_id)
            if admits is Tri.YES:
                allow |= theirs.allow
            possible |= theirs.allow | theirs.unknown
        gap_bits = 0
        for gap in gaps:
            reach = gap.instances
            gap_bits |= self.index.all if reach is EVERY else self.index.bits_of(reach)
        if state == "deny":  # V4: deny everywhere, whatever the policies say
            return Profile(0, 0, held, True)
        allow &= ~gap_bits  # V5: never allow on partial data
        unknown = (possible | gap_bits) & ~allow & everything
        if profiles_unread:  # V5: a profile iamcheck cannot see may let the user in
            unknown = everything & ~allow
        if state == "unknown":  # V4: a state iamcheck does not know is never an allow
            unknown |= allow
            allow = 0
        blocked = allow & self.context_bits()
        return Profile(allow & ~blocked, unknown | blocked, held, False)

    def context_bits(self) -> Bits:
        """G1 under strict_context: instances where an allow cannot stand."""
        if self._context is None:
            ctx, bits = self.ctx, 0
            if ctx.strict_context:
                for position, instance in enumerate(self.index.instances):
                    if ctx.context_blocks_allow(instance):
                        bits |= 1 << position
            self._context = bits
        return self._context


def decide_account(account: AccountData, requirement: Requirement, at: datetime,
                   subjects: Iterable[str] | None = None,
                   instances: Iterable[str | Instance] | None = None, *,
                   claims: Claims | None = None,
                   strict_context: bool = False) -> AccountResult:
    """Verdicts for every (subject, instance) pair; subjects (users, service IDs, trusted
    profiles) and instances default to all. `claims` and `strict_context` as for decide()."""
    ctx = Context(account, requirement, at, claims, strict_context)
    chosen = _instances(account, instances)
    index = InstanceIndex(chosen)
    evaluator = _Evaluator(ctx, index)
    names = all_subjects(account) if subjects is None else tuple(dict.fromkeys(subjects))
    profiles = {subject: evaluator.profile(subject) for subject in names}
    return AccountResult(ctx, index, names, profiles, evaluator.policy)


def _instances(account: AccountData,
               wanted: Iterable[str | Instance] | None) -> tuple[Instance, ...]:
    if wanted is None:
        return account.instances
    by_id = {inst.id: inst for inst in reversed(account.instances)}
    out: list[Instance] = []
    for item in wanted:
        if isinstance(item, Instance):
            out.append(item)
        elif item in by_id:
            out.append(by_id[item])
        else:
            raise KeyError(f"instance '{item}' is not in the account")
    return tuple(out)
