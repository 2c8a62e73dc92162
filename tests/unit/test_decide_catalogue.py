"""R2 (rev 2): role expansion from the `is` catalogue, then `is.instance`, then the policy's own
display roles; a role nothing expands is an uncertain path, never a silent deny."""

from __future__ import annotations

from dataclasses import replace

from iamcheck.decide import UncertainKind, Verdict, decide, decide_account
from iamcheck.model import Role
from tests.unit.decide_builders import (
    ALICE,
    AT,
    CONSOLE,
    CONSOLE_ACTION,
    OPERATE,
    OPERATOR,
    REQ,
    VIEWER,
    instance,
    one_user,
    policy,
)

EMPTY_IS = (Role(VIEWER, "Viewer", "system", frozenset()),
            Role(OPERATOR, "Operator", "system", frozenset()),
            Role(CONSOLE, "Console Administrator", "service", frozenset()))
CHILD = tuple(replace(r, catalogue="is.instance", actions=frozenset(a))
              for r, a in zip(EMPTY_IS, [(), (OPERATE,), (CONSOLE_ACTION,)], strict=True))


def verdict(roles: tuple[Role, ...], *role_ids: str, display: tuple[Role, ...] = ()) -> Verdict:
    acct = one_user(replace(policy("p1", ALICE, *role_ids), display_roles=display), roles=roles)
    found = decide(acct, REQ, ALICE, instance(), AT).verdict
    assert decide_account(acct, REQ, AT).verdict(ALICE, instance().id) is found
    return found


def test_roles_listed_only_under_is_instance() -> None:
    assert verdict(CHILD, OPERATOR, CONSOLE) is Verdict.ALLOW
    assert verdict(CHILD, VIEWER, CONSOLE) is Verdict.DENY


def test_is_lists_the_roles_without_actions_and_is_instance_has_them() -> None:
    assert verdict(EMPTY_IS + CHILD, OPERATOR, CONSOLE) is Verdict.ALLOW
    assert verdict(EMPTY_IS + CHILD, VIEWER, CONSOLE) is Verdict.DENY


def test_no_catalogue_expands_an_action_the_policy_is_uncertain() -> None:
    acct = one_user(policy("p1", ALICE, OPERATOR, CONSOLE), roles=EMPTY_IS)
    d = decide(acct, REQ, ALICE, instance(), AT)
    assert d.verdict is Verdict.UNKNOWN
    assert [(p.kind, p.rule) for p in d.uncertain] == [(UncertainKind.ROLE, "R2")]
    assert any(r.rule == "R2" for r in d.reasons)


def test_display_roles_expand_what_no_catalogue_lists() -> None:
    shown = (Role(OPERATOR, "Operator", "system", frozenset({OPERATE})),
             Role(CONSOLE, "Console Administrator", "service", frozenset({CONSOLE_ACTION})))
    assert verdict(EMPTY_IS, OPERATOR, CONSOLE, display=shown) is Verdict.ALLOW
    assert verdict((), OPERATOR, CONSOLE, display=shown) is Verdict.ALLOW
    lacking = (Role(OPERATOR, "Operator", "system", frozenset()), *shown[1:])
    assert verdict((), OPERATOR, CONSOLE, display=lacking) is Verdict.DENY


def test_an_unknown_role_is_uncertain_not_a_deny() -> None:
    assert verdict(CHILD, OPERATOR, "crn:v1:bluemix:public:is::::serviceRole:NewConsole") \
        is Verdict.UNKNOWN


def test_what_the_reader_asks_the_role_book() -> None:
    from iamcheck.decide.roles import RoleBook
    from tests.unit.decide_builders import ROLES

    assert RoleBook(EMPTY_IS, REQ).unexpanded_actions() == tuple(sorted(REQ.actions))
    assert RoleBook(EMPTY_IS + CHILD, REQ).unexpanded_actions() == ()
    book = RoleBook(ROLES, REQ)
    assert not book.needs_display(policy("p1", ALICE, OPERATOR, CONSOLE))
    assert book.needs_display(policy("p2", ALICE, "crn:v1:bluemix:public:iam::::serviceRole:X"))
