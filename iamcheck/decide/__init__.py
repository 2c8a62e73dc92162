"""The access decision: pure functions from AccountData + Requirement + an instant to verdicts."""

from __future__ import annotations

from iamcheck.decide.account import decide_account
from iamcheck.decide.decide import decide
from iamcheck.decide.result import AccountResult, Scope
from iamcheck.decide.risks import Finding, risks
from iamcheck.decide.verdict import (
    Decision,
    Grant,
    NearMiss,
    NearMissKind,
    Reason,
    UncertainKind,
    UncertainPath,
    Verdict,
    Via,
)

__all__ = [
    "AccountResult",
    "Decision",
    "Finding",
    "Grant",
    "NearMiss",
    "NearMissKind",
    "Reason",
    "Scope",
    "UncertainKind",
    "UncertainPath",
    "Verdict",
    "Via",
    "decide",
    "decide_account",
    "risks",
]
