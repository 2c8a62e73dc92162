"""R2 (rev 2): which catalogue expands an action when an account's custom roles carry it but
IBM's own roles are listed without actions; the child catalogue a requirement names."""

from __future__ import annotations

from dataclasses import replace

from iamcheck.decide.roles import RoleBook
from iamcheck.model import Role
from iamcheck.read.roles import child_catalogues
from iamcheck.requirement import load_requirement

REQ = load_requirement()
OPERATE, CONSOLE = REQ.actions
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
CONSOLE_ADMIN = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
CUSTOM = "crn:v1:ibmcloud:public:iam-access-management::a/1::customRole:Both"

BARE = [Role(OPERATOR, "Operator", "system", frozenset()),
        Role(CONSOLE_ADMIN, "Console Administrator", "service", frozenset()),
        Role(CUSTOM, "Both", "custom", frozenset({OPERATE, CONSOLE}), service_name="is")]
CHILD = [replace(Role(OPERATOR, "Operator", "system", frozenset({OPERATE})),
                 catalogue="is.instance"),
         replace(Role(CONSOLE_ADMIN, "Console Administrator", "service", frozenset({CONSOLE})),
                 catalogue="is.instance")]


def test_a_custom_role_does_not_make_ibms_bare_roles_an_answer() -> None:
    book = RoleBook(BARE, REQ)
    assert book.unexpanded_actions() == tuple(sorted(REQ.actions))  # so is.instance is read
    operator = book.uses((OPERATOR,))[0]
    assert not operator.actions and operator.maybe == {OPERATE, CONSOLE}  # never a silent deny


def test_the_child_catalogue_expands_ibms_roles_and_custom_roles_keep_theirs() -> None:
    book = RoleBook(BARE + CHILD, REQ)
    assert book.unexpanded_actions() == ()
    assert book.uses((OPERATOR,))[0].actions == {OPERATE}
    assert book.uses((CONSOLE_ADMIN,))[0].actions == {CONSOLE}
    custom = book.uses((CUSTOM,))[0]
    assert custom.actions == {OPERATE, CONSOLE} and not custom.maybe


def test_the_child_catalogue_is_named_by_the_actions() -> None:
    assert child_catalogues(REQ, REQ.actions) == ("is.instance",)
    assert child_catalogues(REQ, ()) == ()
