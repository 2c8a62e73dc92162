"""(stub: to be written)"""

from __future__ import annotations

from typing import Any

from iamcheck.emulator.backend.roles import RoleStore


class PolicyStore:
    def __init__(self, seed: dict[str, Any], roles: RoleStore) -> None:
        self.account_id: str = seed["account_id"]
        self.roles = roles
