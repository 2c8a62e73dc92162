"""What every decision about one account at one instant shares, computed once and cached."""

from __future__ import annotations

from datetime import datetime

from iamcheck.decide.conditions import RuleState, aware, explain, holds
from iamcheck.decide.matching import PolicyScope, read_scope
from iamcheck.decide.roles import RoleBook
from iamcheck.decide.subjects import Directory
from iamcheck.decide.tri import Tri
from iamcheck.model import AccountData, Policy
from iamcheck.requirement import Requirement


class Context:
    """Indexes and per-policy readings for (account, requirement, instant). No I/O."""

    def __init__(self, account: AccountData, requirement: Requirement, at: datetime) -> None:
        self.account = account
        self.requirement = requirement
        self.at = aware(at)
        self.directory = Directory(account)
        self.roles = RoleBook(account.roles, requirement)
        # Keyed by object identity: the policies live as long as the account does.
        self._scopes: dict[int, PolicyScope] = {}
        self._rules: dict[int, Tri] = {}

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
