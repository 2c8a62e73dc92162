"""What the whole-account evaluation answers: cheap questions over per-subject bitsets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from iamcheck.decide.bitsets import Bits, InstanceIndex, members
from iamcheck.decide.context import Context
from iamcheck.decide.decide import decide_in
from iamcheck.decide.verdict import Decision, Verdict


@dataclass(frozen=True)
class Profile:
    """One subject's access over the evaluated instances (shared by look-alike subjects)."""

    allow: Bits
    unknown: Bits
    held: tuple[Bits, ...]  # per required action: where the subject surely holds it
    signed_out: bool  # V4


@dataclass(frozen=True)
class Scope:
    """A readable piece of "the instances a subject can open"."""

    kind: str  # "all" | "resource_group" | "region" | "access_tag" | "instances"
    value: str  # resource group id, region, tag, or "" for all/instances
    label: str  # e.g. "all instances in resource group prod (rg-...)"
    instance_ids: tuple[str, ...]


class AccountResult:
    def __init__(self, ctx: Context, index: InstanceIndex, subjects: tuple[str, ...],
                 profiles: dict[str, Profile]) -> None:
        self._ctx = ctx
        self._index = index
        self.subjects = subjects
        self.instances = index.instances
        self.requirement = ctx.requirement
        self.at = ctx.at
        self._profiles = profiles

    def _bit(self, instance_id: str) -> int:
        position = self._index.position.get(instance_id)
        if position is None:
            raise KeyError(f"instance '{instance_id}' was not evaluated")
        return 1 << position

    def _profile(self, subject: str) -> Profile:
        try:
            return self._profiles[subject]
        except KeyError:
            raise KeyError(f"subject '{subject}' was not evaluated") from None

    def verdict(self, subject: str, instance_id: str) -> Verdict:
        profile, bit = self._profile(subject), self._bit(instance_id)
        if profile.allow & bit:
            return Verdict.ALLOW
        return Verdict.UNKNOWN if profile.unknown & bit else Verdict.DENY

    def decision(self, subject: str, instance_id: str) -> Decision:
        """The full decision with its explanation, as decide() gives it."""
        position = self._bit(instance_id).bit_length() - 1
        return decide_in(self._ctx, subject, self.instances[position])

    def allowed(self, subject: str) -> tuple[str, ...]:
        """Ids of the instances the subject can open."""
        return self._index.ids(self._profile(subject).allow)

    def unknown(self, subject: str) -> tuple[str, ...]:
        return self._index.ids(self._profile(subject).unknown)

    def holders(self, instance_id: str) -> tuple[str, ...]:
        """Subjects that can open the instance."""
        bit = self._bit(instance_id)
        return tuple(s for s in self.subjects if self._profiles[s].allow & bit)

    def maybe_holders(self, instance_id: str) -> tuple[str, ...]:
        """Subjects whose access to the instance is unknown (V2, V5)."""
        bit = self._bit(instance_id)
        return tuple(s for s in self.subjects if self._profiles[s].unknown & bit)

    def one_action_short(self, instance_id: str) -> tuple[tuple[str, str], ...]:
        """(subject, the one action it lacks) for subjects that hold all but one action."""
        bit = self._bit(instance_id)
        actions = self.requirement.actions
        out = []
        for subject in self.subjects:
            profile = self._profiles[subject]
            if profile.signed_out or profile.allow & bit:
                continue
            lacking = [a for a, held in zip(actions, profile.held, strict=True) if not held & bit]
            if len(lacking) == 1:
                out.append((subject, lacking[0]))
        return tuple(out)

    def short_of(self, subject: str) -> dict[str, tuple[str, ...]]:
        """For each action: instances where the subject holds every other action but this one."""
        profile = self._profile(subject)
        if profile.signed_out:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for i, action in enumerate(self.requirement.actions):
            others = self._index.all
            for j, held in enumerate(profile.held):
                if j != i:
                    others &= held
            bits = others & ~profile.held[i]
            if bits:
                out[action] = self._index.ids(bits)
        return out

    def counts(self) -> Counter[Verdict]:
        """How many pairs get each verdict."""
        total = len(self.instances)
        out: Counter[Verdict] = Counter()
        for subject in self.subjects:
            profile = self._profiles[subject]
            allow, unknown = profile.allow.bit_count(), profile.unknown.bit_count()
            out[Verdict.ALLOW] += allow
            out[Verdict.UNKNOWN] += unknown
            out[Verdict.DENY] += total - allow - unknown
        return out

    def pairs(self, verdict: Verdict = Verdict.ALLOW) -> Iterator[tuple[str, str]]:
        """Every (subject, instance id) pair with `verdict`."""
        for subject in self.subjects:
            profile = self._profiles[subject]
            if verdict is Verdict.ALLOW:
                bits = profile.allow
            elif verdict is Verdict.UNKNOWN:
                bits = profile.unknown
            else:
                bits = self._index.all & ~profile.allow & ~profile.unknown
            for position in members(bits):
                yield subject, self.instances[position].id

    def scopes(self, subject: str) -> tuple[Scope, ...]:
        """The instances the subject can open, summarised: all, whole resource groups,
        whole regions, whole access tags, then single instances."""
        return summarise(self._index, self._ctx, self._profile(subject).allow)


def summarise(index: InstanceIndex, ctx: Context, bits: Bits) -> tuple[Scope, ...]:
    if not bits:
        return ()
    if bits == index.all:
        return (Scope("all", "", "all instances", index.ids(bits)),)
    names = {rg.id: rg.name for rg in ctx.account.resource_groups}
    out: list[Scope] = []
    left = bits
    families = (("resource_group", index.by_value["resource_group_id"], "resource group"),
                ("region", index.by_value["region"], "region"),
                ("access_tag", index.by_tag, "access tag"))
    for kind, table, word in families:
        for value in sorted(table):
            part = table[value]
            if part and part & bits == part and part & left:
                shown = f"{names[value]} ({value})" if value in names else value
                out.append(Scope(kind, value, f"all instances with {word} {shown}"
                                 if kind == "access_tag" else f"all instances in {word} {shown}",
                                 index.ids(part)))
                left &= ~part
    if left:
        out.append(Scope("instances", "", "these instances", index.ids(left)))
    return tuple(out)
