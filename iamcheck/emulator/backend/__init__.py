"""The one in-memory backend: every store, built from a seed, reset as a whole."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from iamcheck.emulator.backend.cbr import CbrStore
from iamcheck.emulator.backend.claims import join_at_login
from iamcheck.emulator.backend.compute import ComputeTokens, RuntimeSettings
from iamcheck.emulator.backend.console import ConsoleStore
from iamcheck.emulator.backend.groups import GroupStore
from iamcheck.emulator.backend.guesses import Guesses
from iamcheck.emulator.backend.identity import IdentityStore
from iamcheck.emulator.backend.policies import PolicyStore
from iamcheck.emulator.backend.profiles import ProfileStore
from iamcheck.emulator.backend.resource_groups import ResourceGroupStore
from iamcheck.emulator.backend.roles import RoleStore
from iamcheck.emulator.backend.users import UserStore
from iamcheck.emulator.backend.vpc import VpcStore
from iamcheck.emulator.faults import FaultPlan
from iamcheck.emulator.tokens import TokenSigner


class Backend:
    """State and rules of the emulated account. Handlers only parse, call this and serialise."""

    def __init__(
        self, seed: dict[str, Any], *, faults: FaultPlan | None = None, token_ttl: int = 3600,
        control_secret: str | None = None, control_from_loopback: bool = True,
    ) -> None:
        # Who may use the control API: a caller with the secret, or (if allowed) from loopback.
        self.control_secret = control_secret
        self.control_from_loopback = control_from_loopback
        self.lock = threading.RLock()  # the control API and handlers may run on other threads
        self.faults = faults or FaultPlan()
        self.signer = TokenSigner(token_ttl)
        self.requests: Counter[str] = Counter()
        self.settings = RuntimeSettings()
        self.compute = ComputeTokens()
        self.load(seed)

    def load(self, seed: dict[str, Any]) -> None:
        """Replace the whole account with `seed` (already validated)."""
        with self.lock:
            self.seed = seed
            self.account_id: str = seed["account_id"]
            self.identity = IdentityStore(seed)
            self.users = UserStore(seed)
            self.roles = RoleStore(seed)
            self.policies = PolicyStore(seed, self.roles)
            self.groups = GroupStore(seed)
            join_at_login(self.groups, seed)  # seed users with `login` have signed in
            self.profiles = ProfileStore(seed)
            self.cbr = CbrStore(seed)
            self.resource_groups = ResourceGroupStore(seed)
            self.vpc = VpcStore(seed)
            self.console = ConsoleStore(self.vpc)
            self.guesses = Guesses()
            self.guesses.update(seed.get("guesses", {}))
            self.console.refuse_at = self.guesses.console_refusal
            self.requests.clear()

    def reset(self) -> None:
        self.load(self.seed)
