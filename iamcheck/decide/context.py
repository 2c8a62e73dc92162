"""What every decision about one account at one instant shares, computed once and cached."""

from __future__ import annotations

from datetime import datetime

from iamcheck.decide.cbr import covering_rules
from iamcheck.decide.conditions import RuleState, aware, explain, holds
from iamcheck.decide.layers import CBR, PROFILES, layer_gap
from iamcheck.decide.matching import PolicyScope, read_scope
from iamcheck.decide.roles import RoleBook, RoleUse
from iamcheck.decide.subjects import Directory
from iamcheck.decide.tri import Tri
from iamcheck.decide.verdict import ContextRule
from iamcheck.model import AccountData, Claims, Instance, Policy
from iamcheck.requirement import Requirement


class Context:
    """Indexes and per-policy readings for (account, requirement, instant). No I/O.

    `claims`: the --claims file (P3, P5), None when not given. `strict_context`: G1's
    --strict-context, an allow that an enforcing CBR rule covers is unknown.
    """

    def __init__(self, account: AccountData, requirement: Requirement, at: datetime,
                 claims: Claims | None = None, strict_context: bool = False) -> None:
        self.account = account
        self.requirement = requirement
        self.at = aware(at)
        self.claims = claims
        self.strict_context = strict_context
        self.directory = Directory(account, requirement.service, claims)
        self.roles = RoleBook(account.roles, requirement)
        self.profiles_gap = layer_gap(account, PROFILES)
        self.cbr_gap = layer_gap(account, CBR)
        # Keyed by object identity: the policies live as long as the account does.
        self._scopes: dict[int, PolicyScope] = {}
        self._rules: dict[int, Tri] = {}
        self._context: dict[str, tuple[ContextRule, ...]] = {}
        self.memo: dict[tuple[str, str], object] = {}  # decide.py: per (profile, instance)

    def scope(self, policy: Policy) -> PolicyScope:
        found = self._scopes.get(id(policy))
        if found is None:
            req = self.requirement
            found = read_scope(policy, req.service, req.instance_attribute,
                               self.account.account_id)
            self._scopes[id(policy)] = found
        return found

    def rule(self, policy: Policy) -> Tri:
        """P4: whether the policy's rule holds now (YES when it has none)."""
        found = self._rules.get(id(policy))
        if found is None:
            found = Tri.YES if policy.rule is None else holds(policy.rule, self.at)
            self._rules[id(policy)] = found
        return found

    def rule_state(self, policy: Policy) -> RuleState | None:
        return None if policy.rule is None else explain(policy.rule, self.at)

    def uses(self, policy: Policy) -> tuple[RoleUse, ...]:
        return self.roles.of(policy)

    def context_rules(self, instance: Instance) -> tuple[ContextRule, ...]:
        """G1: the CBR rules covering the instance (computed once per instance id)."""
        found = self._context.get(instance.id)
        if found is None:
            found = covering_rules(self.account.cbr_rules, self.account.cbr_zones, instance,
                                   self.account.account_id, self.requirement.service)
            self._context[instance.id] = found
        return found

    def context_blocks_allow(self, instance: Instance) -> bool:
        """G1 under strict_context: an enforcing rule covers the instance, or CBR is unread."""
        if not self.strict_context:
            return False
        return self.cbr_gap is not None or any(r.enforced for r in self.context_rules(instance))
