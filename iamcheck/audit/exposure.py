"""P3 (rev 2) in the audit: a dynamic rule makes every user not in its group an uncertain path,
so the audit names each (group, rule) once, with who could enter it and what entering gives,
rather than thousands of uncertain pairs. Pure: from the account result."""

from __future__ import annotations

from typing import Any

from iamcheck.decide import AccountResult, Finding, RuleExposure

WARNING = "warning"


def exposures(result: AccountResult) -> tuple[RuleExposure, ...]:
    """The dynamic-group rules whose group gives (or may give) console access somewhere."""
    return tuple(e for e in result.rule_exposures() if e.kind == "dynamic_group")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def exposure_finding(exposure: RuleExposure) -> Finding:
    hours = f" for {exposure.expiration_hours} h" if exposure.expiration_hours else ""
    gives = _count(len(exposure.gives), "instance")
    if exposure.may_give:
        gives += f" (and possibly {_count(len(exposure.may_give), 'more instance')})"
    who = []
    if exposure.undecided:
        who.append(f"{_count(len(exposure.undecided), 'user')} not in it may enter")
    if exposure.admitted:
        who.append(f"{_count(len(exposure.admitted), 'user')} enter by the claims given")
    return Finding(
        "dynamic_group", WARNING, "P3", "", exposure.holder_id,
        f"{exposure.who()} enters group {exposure.holder_name or exposure.holder_id} through "
        f"dynamic rule '{exposure.rule_name}' ({exposure.rule_id}){hours}, which gives console "
        f"access on {gives}" + (f"; {', '.join(who)}" if who else ""))


def with_exposures(findings: tuple[Finding, ...], result: AccountResult) -> tuple[Finding, ...]:
    """The account's findings with one per (group, rule) instead of one per group policy."""
    rank = {"high": 0, "warning": 1, "info": 2}
    out = [f for f in findings if f.kind != "dynamic_group"]
    out += [exposure_finding(e) for e in exposures(result)]
    return tuple(sorted(out, key=lambda f: (rank.get(f.severity, 3), f.kind, f.policy_id)))


def exposure_part(exposure: RuleExposure, position: dict[str, int]) -> dict[str, Any]:
    """The JSON form: instances as positions in the document's `instances`."""
    return {
        "group_id": exposure.holder_id,
        "group_name": exposure.holder_name,
        "rule_id": exposure.rule_id,
        "rule_name": exposure.rule_name,
        "realm": exposure.realm,
        "conditions": [{"claim": c.claim, "operator": c.operator, "value": c.value}
                       for c in exposure.conditions],
        "expiration_hours": exposure.expiration_hours,
        "who": exposure.who(),
        "gives": [position[i] for i in exposure.gives if i in position],
        "may_give": [position[i] for i in exposure.may_give if i in position],
        "admitted": list(exposure.admitted),
        "undecided": list(exposure.undecided),
    }
