"""IAM Access Groups: groups, their members (static and dynamic) and their dynamic rules."""

from __future__ import annotations

from typing import Any

from ibm_platform_services.iam_access_groups_v2 import (
    AccessGroupMembersPager,
    AccessGroupsPager,
    IamAccessGroupsV2,
)

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_all, convert_list
from iamcheck.ibm.session import IbmSession
from iamcheck.model import AccessGroup, GroupRule, Membership, MembershipHow, RuleClaim

PAGE = 100


def list_groups(
    session: IbmSession, account_id: str, *, iam_id: str | None = None
) -> list[AccessGroup]:
    """All groups of the account, or the groups `iam_id` belongs to now (static or dynamic)."""
    client = session.client(IamAccessGroupsV2)
    pager = AccessGroupsPager(
        client=client,
        account_id=account_id,
        iam_id=iam_id,
        membership_type="all" if iam_id else None,
        limit=PAGE,
    )
    what = f"list the access groups of {iam_id}" if iam_id else "list access groups"
    return convert_all(what, session.pages(what, pager), lambda g: _group(_valid_group(g, what)))


def list_groups_flagged(session: IbmSession, account_id: str) -> list[tuple[AccessGroup, bool]]:
    """All groups of the account, each with IBM's is_federated flag (true when the group has
    dynamic rules), so that rules are read only for the groups that have some."""
    client = session.client(IamAccessGroupsV2)
    pager = AccessGroupsPager(client=client, account_id=account_id, show_federated=True, limit=PAGE)
    what = "list access groups"
    return convert_all(
        what, session.pages(what, pager),
        lambda g: (_group(_valid_group(g, what)), bool(g.get("is_federated"))),
    )


def list_members(session: IbmSession, group: AccessGroup) -> list[tuple[Membership, str]]:
    """(membership, member name) for every static and current dynamic member."""
    client = session.client(IamAccessGroupsV2)
    pager = AccessGroupMembersPager(
        client=client, access_group_id=group.id, membership_type="all", limit=PAGE
    )
    what = f"list the members of access group '{group.name}'"
    return convert_all(
        what, session.pages(what, pager),
        lambda m: (_member(group.id, validate.item(m, validate.MEMBER, what, validate.MEMBERS,
                                                   "members")), m.get("name") or ""),
    )


def list_rules(session: IbmSession, account_id: str, group: AccessGroup) -> list[GroupRule]:
    client = session.client(IamAccessGroupsV2)
    what = f"list the dynamic rules of access group '{group.name}'"
    result = session.call(
        what, client.list_access_group_rules, access_group_id=group.id
    ).get_result()
    return convert_list(what, result, "rules", lambda r: _rule(
        validate.item(r, validate.GROUP_RULE, what, validate.RULES, "rules")))


def _valid_group(raw: Any, what: str) -> Any:
    return validate.item(raw, validate.GROUP, what, validate.GROUPS, "groups")


def _group(raw: dict[str, Any]) -> AccessGroup:
    return AccessGroup(id=raw["id"], name=raw["name"], description=raw.get("description") or "")


def _member(group_id: str, raw: dict[str, Any]) -> Membership:
    how: MembershipHow = "dynamic" if raw.get("membership_type") == "dynamic" else "static"
    return Membership(group_id=group_id, iam_id=raw["iam_id"], how=how)


def _rule(raw: dict[str, Any]) -> GroupRule:
    return GroupRule(
        id=raw["id"],
        name=raw.get("name", ""),
        realm_name=raw["realm_name"],
        expiration_hours=int(raw.get("expiration", 0)),
        conditions=tuple(
            RuleClaim(c["claim"], c["operator"], c["value"]) for c in raw.get("conditions") or ()
        ),
    )
