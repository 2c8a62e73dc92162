"""(stub: to be written)"""

from __future__ import annotations

from typing import Any


class UserStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
