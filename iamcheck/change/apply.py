"""The account as it would be after a list of changes. Pure: a new AccountData, never a guess.

What cannot be modelled becomes a Gap (rule V5): the verdicts it touches are unknown, never
allow and never a silent deny. The same unmodelled changes are returned by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from iamcheck.change import changes as proposed
from iamcheck.model import EVERY, AccessGroup, AccountData, Gap, Membership, Policy, Reach


def _touched(account: AccountData, subjects: frozenset[str]) -> Reach:
    """Subjects named by an unmodelled change, with the members of the groups it names;
    everyone when it names none."""
    if not subjects:
        return EVERY
    members = {m.iam_id for m in account.memberships if m.group_id in subjects}
    return subjects | members


def apply(account: AccountData, changes: Iterable[proposed.Change]
          ) -> tuple[AccountData, tuple[proposed.Unmodelled, ...]]:
    policies: dict[str, Policy] = {p.id: p for p in account.policies}
    groups: dict[str, AccessGroup] = {g.id: g for g in account.groups}
    members: dict[tuple[str, str], Membership] = {
        (m.group_id, m.iam_id): m for m in account.memberships}
    unmodelled: list[proposed.Unmodelled] = []
    for change in changes:
        if isinstance(change, proposed.PutPolicy):
            policies[change.policy.id] = change.policy
        elif isinstance(change, proposed.RemovePolicy):
            policies.pop(change.policy_id, None)
        elif isinstance(change, proposed.PutGroup):
            old = groups.get(change.group.id)
            groups[change.group.id] = replace(change.group, rules=old.rules) if old \
                else change.group
        elif isinstance(change, proposed.RemoveGroup):
            groups.pop(change.group_id, None)
            members = {k: m for k, m in members.items() if k[0] != change.group_id}
            policies = {i: p for i, p in policies.items()
                        if p.subject_value("access_group_id") != change.group_id}
        elif isinstance(change, proposed.AddMembers):
            for iam_id in change.iam_ids:
                members.setdefault((change.group_id, iam_id), Membership(change.group_id, iam_id))
        elif isinstance(change, proposed.RemoveMembers):
            for iam_id in change.iam_ids:
                members.pop((change.group_id, iam_id), None)
        elif isinstance(change, proposed.PutRule | proposed.RemoveRule):
            group = groups.get(change.group_id)
            if group is None:
                unmodelled.append(proposed.Unmodelled(change.source or change.group_id,
                                             f"dynamic rule on unknown access group "
                                             f"'{change.group_id}'", frozenset()))
                continue
            rule_id = change.rule.id if isinstance(change, proposed.PutRule) else change.rule_id
            rules = [r for r in group.rules if r.id != rule_id]
            if isinstance(change, proposed.PutRule):
                rules.append(change.rule)
            groups[group.id] = replace(group, rules=tuple(rules))
        else:
            unmodelled.append(change)
    gaps = tuple(Gap(f"proposed change {u.name}", u.reason, _touched(account, u.subjects))
                 for u in unmodelled)
    after = replace(account, policies=tuple(policies.values()), groups=tuple(groups.values()),
                    memberships=tuple(members.values()), gaps=account.gaps + gaps)
    return after, tuple(unmodelled)
