"""Resource groups of the account (Resource Manager)."""

from __future__ import annotations

from typing import Any

from iamcheck.emulator.errors import IbmError, bad_request


class ResourceGroupStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        self._groups = [self._complete(g) for g in seed.get("resource_groups", [])]

    def _complete(self, group: dict[str, Any]) -> dict[str, Any]:
        gid = group["id"]
        return {
            "id": gid,
            "crn": f"crn:v1:bluemix:public:resource-controller::a/{self.account_id}"
            f"::resource-group:{gid}",
            "account_id": self.account_id,
            "name": group["name"],
            "state": "ACTIVE",
            "default": bool(group.get("default", False)),
            "quota_id": "a3d7b8d01e261c24677937c29ab33f3c",
            "quota_url": "/v2/quota_definitions/a3d7b8d01e261c24677937c29ab33f3c",
            "payment_methods_url": f"/v2/resource_groups/{gid}/payment_methods",
            "resource_linkages": [],
            "teams_url": f"/v2/resource_groups/{gid}/teams",
            "created_at": "2025-06-01T08:00:00.000Z",
            "updated_at": "2025-06-01T08:00:00.000Z",
        }

    def list(self, account_id: str | None, name: str | None = None) -> list[dict[str, Any]]:
        if account_id is not None and account_id != self.account_id:
            raise bad_request(f"account_id '{account_id}' is not this account.")
        return [g for g in self._groups if name is None or g["name"] == name]

    def ids(self) -> set[str]:
        return {g["id"] for g in self._groups}

    def get(self, group_id: str) -> dict[str, Any]:
        found = next((g for g in self._groups if g["id"] == group_id), None)
        if found is None:
            raise IbmError(404, "not_found", f"Resource group '{group_id}' was not found.")
        return found
