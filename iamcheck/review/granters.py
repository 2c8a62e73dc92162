"""Who can grant console access to a person, nearest first (issue 16).

The holders come from the same evaluator as every audit, run with the requirement
policies/vpc-console-grant.toml; this module only orders them for the person who asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from iamcheck.decide import decide_account
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData
from iamcheck.requirement import Requirement


@dataclass(frozen=True)
class Granter:
    iam_id: str
    label: str  # email or service id name, for people to read
    shared_groups: tuple[str, ...]  # names of access groups the granter shares with the person
    certain: bool  # False: may be able to grant (the verdict is unknown)


def _groups_of(account: AccountData) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in account.memberships:
        if m.group_id != PUBLIC_ACCESS_GROUP_ID:  # everyone shares it: it is not "near"
            out.setdefault(m.iam_id, set()).add(m.group_id)
    return out


def rank_granters(account: AccountData, person: str, holders: Iterable[str],
                  maybe: Iterable[str] = ()) -> tuple[Granter, ...]:
    """Holders (then possible holders) ordered: those sharing an access group with `person`
    first (most shared groups first), then the others; by label within each. The person is
    left out: whether they can grant themselves is their own verdict."""
    names = {g.id: g.name for g in account.groups}
    labels = {u.iam_id: u.email or u.iam_id for u in account.users}
    labels.update({s.iam_id: s.name or s.iam_id for s in account.service_ids})
    groups = _groups_of(account)
    mine = groups.get(person, set())
    out: list[Granter] = []
    seen = {person}
    for certain, ids in ((True, holders), (False, maybe)):
        for iam_id in ids:
            if iam_id in seen:
                continue
            seen.add(iam_id)
            shared = sorted(names.get(g, g) for g in groups.get(iam_id, set()) & mine)
            out.append(Granter(iam_id, labels.get(iam_id, iam_id), tuple(shared), certain))
    out.sort(key=lambda g: (not g.certain, not g.shared_groups, -len(g.shared_groups),
                            g.label.lower(), g.iam_id))
    return tuple(out)


class CannotTell(ValueError):
    """No role read from the account carries a required action: "nobody" would be a guess."""


def granters_for(account: AccountData, requirement: Requirement, instance_id: str,
                 person: str, at: datetime) -> tuple[Granter, ...]:
    """Who may create the policy giving `person` access on `instance_id`, nearest first.
    `requirement` is the who-can-grant requirement (vpc-console-grant.toml).

    Raises CannotTell when no role of the account carries one of its actions (a role list
    without IAM actions, as some readers and the emulator give): an empty list would then be a
    confident wrong answer."""
    chosen = tuple(i for i in account.instances if i.id == instance_id)
    if not chosen:
        raise ValueError(f"no instance '{instance_id}' in account {account.account_id}")
    carried = {a for r in account.roles for a in r.actions}
    lacking = [a for a in requirement.actions if a not in carried]
    if lacking:
        raise CannotTell(f"no role read from account {account.account_id} carries "
                         f"{', '.join(lacking)}: cannot tell who can grant")
    result = decide_account(account, requirement, at, instances=chosen)
    return rank_granters(account, person, result.holders(instance_id),
                         result.maybe_holders(instance_id))
