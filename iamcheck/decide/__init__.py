"""The access decision: pure functions from AccountData + Requirement + an instant to verdicts.

Entry points: decide() for one (subject, instance) pair, decide_account() for every pair at once
(they agree), risks() for account-level findings, covering_rules() for the CBR rules on an
instance (G1). The --claims file is parsed by iamcheck.claims.parse_claims and passed as
`claims=`; --strict-context is `strict_context=True`.
"""

from __future__ import annotations

from iamcheck.decide.account import decide_account
from iamcheck.decide.cbr import covering_rules
from iamcheck.decide.decide import decide
from iamcheck.decide.result import AccountResult, LinkHolder, RuleExposure, Scope
from iamcheck.decide.risks import Finding, risks
from iamcheck.decide.verdict import (
    ContextRule,
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
    "ContextRule",
    "Decision",
    "Finding",
    "Grant",
    "LinkHolder",
    "NearMiss",
    "NearMissKind",
    "Reason",
    "RuleExposure",
    "Scope",
    "UncertainKind",
    "UncertainPath",
    "Verdict",
    "Via",
    "covering_rules",
    "decide",
    "decide_account",
    "risks",
]
