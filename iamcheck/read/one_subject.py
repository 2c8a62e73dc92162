"""The account as far as one subject is concerned, as decide() takes it: the subject, the groups
it is in (the Public Access group always among them, P3) and those it could join, their policies
and its own, the roles, the instances, and the gaps. Pure: check and grant build it from what
they read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Gap,
    Instance,
    Membership,
    Policy,
    Role,
    ServiceId,
    User,
)

PUBLIC_ACCESS = AccessGroup(id=PUBLIC_ACCESS_GROUP_ID, name="Public Access")


def with_public(groups: Sequence[AccessGroup]) -> list[AccessGroup]:
    return [*groups] if any(g.is_public for g in groups) else [*groups, PUBLIC_ACCESS]


def one_subject_account(account_id: str, at: datetime, subject: User | ServiceId,
                        member_of: Sequence[AccessGroup], policies: Sequence[Policy],
                        roles: Sequence[Role], instances: Sequence[Instance], *,
                        could_join: Sequence[AccessGroup] = (),
                        gaps: Sequence[Gap] = ()) -> AccountData:
    groups = with_public(member_of)
    return AccountData(
        account_id=account_id,
        read_at=at,
        users=(subject,) if isinstance(subject, User) else (),
        service_ids=(subject,) if isinstance(subject, ServiceId) else (),
        groups=(*groups, *could_join),
        memberships=tuple(Membership(g.id, subject.iam_id) for g in groups if not g.is_public),
        policies=tuple(policies),
        roles=tuple(roles),
        instances=tuple(instances),
        gaps=tuple(gaps),
    )
