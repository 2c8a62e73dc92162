"""Who can grant: the second requirement file, the format extension, the nearest-first order."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamcheck.decide import Verdict, decide_account
from iamcheck.model import Membership
from iamcheck.requirement import RequirementError, bundled_path, load_requirement
from iamcheck.review.granters import CannotTell, granters_for, rank_granters
from tests.unit.decide_builders import (
    ADMIN,
    ALICE,
    AT,
    BOB,
    EDITOR,
    OPERATOR,
    OPS,
    account,
    full,
    group,
    instance,
    policy,
    user,
)

GRANT = load_requirement(bundled_path("vpc-console-grant"))
CAROL, DAVE, ERIN = "IBMid-1000000003", "IBMid-1000000004", "IBMid-1000000005"


def test_the_grant_requirement_names_iam_policy_create_on_is() -> None:
    assert GRANT.service == "is"
    assert GRANT.actions == ("iam.policy.create",)
    assert [g.crn_suffix for g in GRANT.grant_roles] == ["role:Administrator"]


def test_actions_of_other_services_are_refused_unless_listed(tmp_path: Path) -> None:
    text = bundled_path("vpc-console-grant").read_text(encoding="utf-8")
    without = tmp_path / "no-actions-of.toml"
    without.write_text(text.replace('actions_of = ["iam"]', ""), encoding="utf-8")
    with pytest.raises(RequirementError, match=r"actions\[0\]"):
        load_requirement(without)
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('actions_of = ["iam"]', 'actions_of = ["IAM!"]'),
                   encoding="utf-8")
    with pytest.raises(RequirementError, match=r"actions_of\[0\]"):
        load_requirement(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text(text.replace('actions_of = ["iam"]', "actions_of = []"), encoding="utf-8")
    with pytest.raises(RequirementError, match="actions_of"):
        load_requirement(empty)


def test_only_administrator_on_is_can_grant() -> None:
    data = account(
        users=[user(ALICE), user(BOB), user(CAROL)],
        policies=[policy("p-admin", ALICE, ADMIN), policy("p-edit", BOB, EDITOR),
                  full("p-console", CAROL)],
        instances=[instance()],
    )
    result = decide_account(data, GRANT, AT)
    assert result.verdict(ALICE, "0717_i-1") is Verdict.ALLOW
    assert result.verdict(BOB, "0717_i-1") is Verdict.DENY
    assert result.verdict(CAROL, "0717_i-1") is Verdict.DENY
    # Administrator on another service gives nothing on `is`.
    other = account(users=[user(ALICE)], instances=[instance()],
                    policies=[policy("p", ALICE, ADMIN, resource=[("serviceName", "cos")])])
    assert decide_account(other, GRANT, AT).verdict(ALICE, "0717_i-1") is Verdict.DENY


def test_granters_nearest_first() -> None:
    data = account(
        users=[user(ALICE), user(BOB), user(CAROL), user(DAVE), user(ERIN)],
        groups=[group(OPS, "ops"), group("AccessGroupId-dba", "dba")],
        memberships=[Membership(OPS, ALICE), Membership(OPS, CAROL),
                     Membership("AccessGroupId-dba", DAVE)],
        policies=[policy("p1", BOB, ADMIN), policy("p2", CAROL, ADMIN), policy("p3", DAVE, ADMIN),
                  policy("p4", ALICE, OPERATOR)],
        instances=[instance()],
    )
    ranked = granters_for(data, GRANT, "0717_i-1", ALICE, AT)
    assert [g.iam_id for g in ranked] == [CAROL, BOB, DAVE]
    assert ranked[0].shared_groups == ("ops",)
    assert ranked[1].shared_groups == ()
    assert all(g.certain for g in ranked)


def test_the_person_is_not_listed_and_possible_granters_come_last() -> None:
    data = account(users=[user(ALICE), user(BOB), user(CAROL)])
    ranked = rank_granters(data, ALICE, [ALICE, BOB], maybe=[CAROL, BOB])
    assert [(g.iam_id, g.certain) for g in ranked] == [(BOB, True), (CAROL, False)]


def test_unknown_instance_is_refused() -> None:
    with pytest.raises(ValueError, match="no instance"):
        granters_for(account(), GRANT, "nope", ALICE, AT)


def test_roles_without_the_action_cannot_tell() -> None:
    from tests.unit.decide_builders import ROLES

    roles = [r for r in ROLES if "iam.policy.create" not in r.actions]
    data = account(users=[user(ALICE), user(BOB)], instances=[instance()], roles=roles,
                   policies=[policy("p-admin", BOB, ADMIN)])
    with pytest.raises(CannotTell, match=r"iam\.policy\.create"):
        granters_for(data, GRANT, "0717_i-1", ALICE, AT)
