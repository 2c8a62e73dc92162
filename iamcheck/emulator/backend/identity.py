"""API keys and service IDs: who a key belongs to."""

from __future__ import annotations

from typing import Any

from iamcheck.emulator.backend.profiles import account_page
from iamcheck.emulator.errors import IdentityError, not_found

SEEDED_AT = "2026-01-05T09:00:00.000Z"


class IdentityStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        self._keys: dict[str, str] = {k["apikey"]: k["iam_id"] for k in seed.get("api_keys", [])}
        self.service_ids: dict[str, dict[str, Any]] = {
            s["iam_id"]: s for s in seed.get("service_ids", [])
        }

    def owner_of(self, apikey: str) -> str:
        """The iam_id that owns `apikey`; IAM's own 400 answer when there is none."""
        try:
            return self._keys[apikey]
        except KeyError:
            raise IdentityError(400, "BXNIM0415E", "Provided API key could not be found.") from None

    def sub_type(self, iam_id: str) -> str:
        return "ServiceId" if iam_id in self.service_ids else "User"

    def service_id_page(self, account_id: str | None, name: str | None, pagesize: int,
                        pagetoken: str | None) -> tuple[list[dict[str, Any]], int, int | None]:
        """GET /v1/serviceids: (service IDs, offset, next offset or None), sorted by name."""
        return account_page(self.account_id, account_id, lambda: sorted(
            (self._service_id(s) for s in self.service_ids.values()
             if name is None or s.get("name") == name), key=lambda b: (b["name"], b["id"])),
            pagesize, pagetoken)

    def _service_id(self, seed: dict[str, Any]) -> dict[str, Any]:
        """IBM's ServiceId, with what its SDK model requires."""
        ident = seed.get("id") or seed["iam_id"].removeprefix("iam-")
        return {
            "id": ident, "iam_id": seed["iam_id"], "entity_tag": "1-0",
            "crn": f"crn:v1:bluemix:public:iam-identity::a/{self.account_id}::serviceid:{ident}",
            "locked": False, "created_at": SEEDED_AT, "modified_at": SEEDED_AT,
            "account_id": self.account_id, "name": seed.get("name") or ident,
            "description": seed.get("description") or "",
        }

    def key_details(self, apikey: str) -> dict[str, Any]:
        """GET /v1/apikeys/details: the key's metadata. The SDK's ApiKey model requires
        `apikey`, which IBM fills with the key's value only when it creates a key: empty here."""
        if apikey not in self._keys:
            raise not_found("API key", "(given in the IAM-ApiKey header)")
        iam_id = self._keys[apikey]
        key_id = "ApiKey-" + iam_id.rsplit("-", 1)[-1]
        return {
            "id": key_id,
            "entity_tag": "1-0",
            "crn": f"crn:v1:bluemix:public:iam-identity::a/{self.account_id}::apikey:{key_id}",
            "locked": False,
            "created_at": SEEDED_AT,
            "created_by": iam_id,
            "modified_at": SEEDED_AT,
            "name": "iamcheck-emulator-key",
            "description": "API key served by the iamcheck emulator",
            "iam_id": iam_id,
            "account_id": self.account_id,
            "apikey": "",
        }
