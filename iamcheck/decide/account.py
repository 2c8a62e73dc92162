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
from iamcheck.model import EVERY, PUBLIC_ACCESS_GROUP_ID, AccountData, Gap, Instance, Policy
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
        uses = ctx.roles.uses(policy.role_ids)
        out = []
        for action in ctx.requirement.actions:
            carried = any(action in u.actions and (scope.scope == SERVICE or u.platform)
                          for u in uses)
            out.append((yes, possible) if carried else (0, 0))
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
        uncertain = tuple(sorted(directory.uncertain_groups(subject)))
        gaps = directory.subject_gaps(subject)
        key = (identity.cannot_sign_in, tuple(id(p) for p in own), certain, uncertain,
               tuple(id(g) for g in gaps))
        found = self._profiles.get(key)
        if found is None:
            found = self._profile(identity.cannot_sign_in, own, certain, uncertain, gaps)
            self._profiles[key] = found
        return found

    def _profile(self, signed_out: bool, own: list[Policy], certain: tuple[str, ...],
                 uncertain: tuple[str, ...], gaps: Iterable[Gap]) -> Profile:
        sure_parts = [self.policy(p) for p in own]
        sure_parts += [self.group(g) for g in (*certain, PUBLIC_ACCESS_GROUP_ID)]
        supply = self.combine([self.combine(sure_parts),
                               self.combine((self.group(g) for g in uncertain), certain=False)])
        held = tuple(yes for yes, _ in supply)
        allow = reduce(lambda a, b: a & b, held, self.index.all)
        possible = reduce(lambda a, b: a & b, (p for _, p in supply), self.index.all)
        gap_bits = 0
        for gap in gaps:
            reach = gap.instances
            gap_bits |= self.index.all if reach is EVERY else self.index.bits_of(reach)
        if signed_out:  # V4: deny everywhere, whatever the policies say
            return Profile(0, 0, held, True)
        allow &= ~gap_bits  # V5: never allow on partial data
        return Profile(allow, (possible | gap_bits) & ~allow & self.index.all, held, False)


def decide_account(account: AccountData, requirement: Requirement, at: datetime,
                   subjects: Iterable[str] | None = None,
                   instances: Iterable[str | Instance] | None = None) -> AccountResult:
    """Verdicts for every (subject, instance) pair; subjects and instances default to all."""
    ctx = Context(account, requirement, at)
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
