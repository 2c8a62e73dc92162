"""The audit's gate (issue 12), pure: --fail-on, the exit code's order, people who cannot be
listed, near misses nearest for this person, the check's fix, tables that fit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from iamcheck.audit.gate import fail_on, fails
from iamcheck.audit.run import Expectations, Selection, run_audit
from iamcheck.decide import Finding, decide
from iamcheck.decide.verdict import NearMissKind
from iamcheck.errors import BadInput, ExitCode
from iamcheck.formats.table_format import column_widths, fit
from iamcheck.formats.width import terminal_width
from iamcheck.inputs import user_ref
from iamcheck.model import Gap, Membership
from tests.unit.decide_builders import (
    ALICE,
    AT,
    CONSOLE,
    OPERATOR,
    OPS,
    REQ,
    account,
    full,
    group,
    instance,
    one_user,
    policy,
    public_group,
    user,
)

HIGH = Finding("public_access", "high", "P3", "p1", "x", "d")
INFO = Finding("expired_but_active", "info", "P4", "p2", "x", "d")


def test_fail_on_takes_severities_and_kinds_and_refuses_the_rest() -> None:
    assert fail_on(["High", "expired-but-active"]) == ("high", "expired_but_active")
    with pytest.raises(BadInput, match="--fail-on 'often'"):
        fail_on(["often"])


def test_a_severity_fails_that_severity_or_worse() -> None:
    assert fails(HIGH, ("warning",)) and not fails(INFO, ("warning",))
    assert fails(INFO, ("info",)) and fails(INFO, ("expired_but_active",))
    assert not fails(HIGH, ()) and not fails(HIGH, ("dynamic_group",))


def test_a_gap_makes_the_audit_unknown_and_a_failure_still_wins() -> None:
    acct = one_user(full("p1", ALICE))
    clean = run_audit(acct, REQ, Selection(), AT)
    assert clean.exit_code is ExitCode.OK
    partial = run_audit(replace(acct, gaps=(Gap("the account's policies", "403"),)), REQ,
                        Selection(), AT)
    assert partial.exit_code is ExitCode.UNKNOWN
    public = account(users=[user()], groups=[public_group()], instances=[instance()],
                     policies=[full("pub", "AccessGroupId-PublicAccess")],
                     gaps=[Gap("the account's policies", "403")])
    gated = run_audit(public, REQ, Selection(), AT, fail_on=("high",))
    assert gated.findings and gated.exit_code is ExitCode.FINDING


def test_an_expected_person_who_cannot_be_listed_is_unknown_not_bad_input() -> None:
    acct = one_user(full("p1", ALICE))
    expect = Expectations((user_ref("someone@example.com"),), ())
    with pytest.raises(BadInput):
        run_audit(acct, REQ, Selection(), AT, expect)
    unlisted = replace(acct, gaps=(Gap("the account's users", "lacks Viewer on User Management"),))
    report = run_audit(unlisted, REQ, Selection(), AT, expect)
    assert report.expectations is not None
    (violation,) = report.expectations.violations
    assert violation.kind == "unknown" and violation.subject == "someone@example.com"
    assert "could not be read in full" in violation.detail
    assert report.exit_code is ExitCode.UNKNOWN


def test_a_missing_expectation_names_the_reason() -> None:
    acct = account(users=[user(state="PENDING")], policies=[full("p1", ALICE)],
                   instances=[instance()])
    report = run_audit(acct, REQ, Selection(), AT, Expectations((user_ref(ALICE),), ()))
    assert report.expectations is not None
    (violation,) = report.expectations.violations
    assert violation.kind == "missing" and "[V4]" in violation.detail
    assert "PENDING" in violation.detail


def test_own_near_miss_comes_before_a_public_policy_on_another_scope() -> None:
    acct = account(
        users=[user()], groups=[public_group(), group()], instances=[instance()],
        memberships=[Membership(OPS, ALICE)],
        policies=[
            policy("public", "AccessGroupId-PublicAccess", OPERATOR, CONSOLE,
                   resource=[("serviceName", "is"), ("resourceGroupId", "rg-z")]),
            policy("mine", ALICE, CONSOLE, state="deleted"),
            policy("group", OPS, OPERATOR, CONSOLE,
                   resource=[("serviceName", "is"), ("region", "eu-de")]),
        ])
    d = decide(acct, REQ, ALICE, instance(), AT)
    order = [m.policy_id for m in d.near_misses]
    assert order.index("mine") < order.index("group") < order.index("public"), order
    assert d.near_misses[0].kind is NearMissKind.DELETED


def _cells(rows: list[list[str]], width: int) -> list[str]:
    from tabulate import tabulate

    return tabulate(fit(rows, ["WHO", "DETAIL"], width), headers=["WHO", "DETAIL"],
                    tablefmt="plain").splitlines()


def test_a_table_is_fitted_to_the_width_by_wrapping_inside_cells() -> None:
    rows = [["alice@example.com", "a long detail " * 12], ["bob@example.com", "short"]]
    for width in (40, 60, 80, 120):
        lines = _cells(rows, width)
        assert max(map(len, lines)) <= width, (width, lines)
        assert "short" in "".join(lines) and "alice@example.com" in "".join(lines)
    assert column_widths(rows, ["WHO", "DETAIL"], 500)[1] == len("a long detail " * 12)


def test_width_honours_columns_and_is_none_for_a_pipe() -> None:
    import io

    assert terminal_width(io.StringIO(), {"COLUMNS": "90"}) == 90
    assert terminal_width(io.StringIO(), {}) is None
    assert terminal_width(io.StringIO(), {"COLUMNS": "x"}) is None


def test_check_deny_document_carries_the_grant_command() -> None:
    from iamcheck.check.document import check_document
    from iamcheck.check.run import CheckResult
    from iamcheck.formats import render

    acct = one_user(policy("p1", ALICE, OPERATOR))
    inst = acct.instances[0]
    d = decide(acct, REQ, ALICE, inst, AT)
    doc: dict[str, Any] = check_document(CheckResult(d, acct.account_id, acct.users[0], inst,
                                                     acct.roles))
    assert doc["fix"].startswith("iamcheck grant ") and inst.crn in doc["fix"]
    text = render("check", "table", doc)
    assert text.rstrip().endswith(doc["fix"])
    allowed = one_user(full("p1", ALICE))
    ok = decide(allowed, REQ, ALICE, allowed.instances[0], AT)
    assert check_document(CheckResult(ok, acct.account_id, acct.users[0], inst))["fix"] == ""
