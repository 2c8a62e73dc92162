"""Account-level findings about the policies behind a requirement (not about one pair).

Deleted policies that IBM can still restore are not findings: they grant nothing (P2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from iamcheck.decide.conditions import EXPIRED
from iamcheck.decide.context import Context
from iamcheck.decide.federation import describe as describe_rule
from iamcheck.decide.matching import OTHER, SERVICE
from iamcheck.decide.survey import names, scope_text
from iamcheck.decide.tri import Tri
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Policy
from iamcheck.requirement import Requirement

HIGH, WARNING, INFO = "high", "warning", "info"


@dataclass(frozen=True)
class Finding:
    kind: str  # public_access | dynamic_group | trusted_profile | expired_but_active |
    #            template_managed
    severity: str  # high | warning | info
    rule: str  # the rule id behind it, "" when none applies
    policy_id: str
    subject: str  # the iam_id or access group id the policy is on
    detail: str


def risks(account: AccountData, requirement: Requirement, at: datetime) -> tuple[Finding, ...]:
    """P3 (Public Access, dynamic rules), P4 and template findings, most severe first."""
    ctx = Context(account, requirement, at)
    groups = {g.id: g for g in account.groups}
    out: list[Finding] = []
    for policy in account.policies:
        if policy.type != "access" or policy.state != "active":
            continue
        scope = ctx.scope(policy)
        if scope.scope == OTHER:
            continue  # another service's policy
        uses = ctx.uses(policy)
        carried = [a for a in requirement.actions
                   if any(a in u.actions and (scope.scope == SERVICE or u.platform) for u in uses)]
        group_id = policy.subject_value("access_group_id") or ""
        subject = policy.subject_value("iam_id") or group_id
        gives = f"policy {policy.id} gives {names(uses)} on {scope_text(policy)}"
        if group_id == PUBLIC_ACCESS_GROUP_ID:  # P3 (rev 2): always high, honoured or not
            honoured = ("" if ctx.directory.public_certain else
                        f"; IBM documents public access only for Cloud Object Storage, so "
                        f"whether IAM honours it for '{requirement.service}' is not known")
            out.append(Finding("public_access", HIGH, "P3", policy.id, subject,
                               f"{gives} to the Public Access group: everyone, signed in or "
                               f"not, if IAM honours it{honoured}"))
        group = groups.get(group_id)
        if group is not None and group.rules and carried and ctx.rule(policy) is not Tri.NO:
            rules = ", ".join(f"'{r.name}' ({r.id}: anyone who "
                              f"{describe_rule(r.realm_name, r.conditions)})" for r in group.rules)
            out.append(Finding(
                "dynamic_group", WARNING, "P3", policy.id, subject,
                f"{gives} ({', '.join(carried)}) to group {group.name}, which users join "
                f"through dynamic rule {rules}: who gets it depends on identity-provider claims"))
        profile = ctx.directory.profiles.get(subject)
        if profile is not None and carried and ctx.rule(policy) is not Tri.NO:
            claim_rules = [r for r in profile.rules if r.type in ("Profile-SAML", "")]
            if claim_rules or profile.links:
                who = [f"'{r.name}' ({r.id}: anyone who "
                       f"{describe_rule(r.realm_name, r.conditions)})" for r in claim_rules]
                who += [f"{link.cr_type} {link.crn}" for link in profile.links]
                out.append(Finding(
                    "trusted_profile", WARNING, "P5", policy.id, subject,
                    f"{gives} ({', '.join(carried)}) to trusted profile "
                    f"{profile.name or profile.iam_id}, which these may apply: "
                    + "; ".join(who)))
        out += _expired(ctx, policy, subject, gives)
        if policy.template_managed and carried:
            out.append(Finding(
                "template_managed", INFO, "", policy.id, subject,
                f"{gives} ({', '.join(carried)}); it is managed by an enterprise template, so "
                "change it in the template, not in this account"))
    rank = {HIGH: 0, WARNING: 1, INFO: 2}
    return tuple(sorted(out, key=lambda f: (rank[f.severity], f.kind, f.policy_id)))


def _expired(ctx: Context, policy: Policy, subject: str, gives: str) -> list[Finding]:
    if policy.rule is None or ctx.rule(policy) is not Tri.NO:
        return []
    state = ctx.rule_state(policy)
    if state is None or state.kind != EXPIRED:
        return []
    return [Finding("expired_but_active", INFO, "P4", policy.id, subject,
                    f"{gives}, but {state.detail}; IBM does not remove expired policies, so it "
                    "still counts against the account's policy limit: delete it")]
