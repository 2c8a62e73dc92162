"""Roles: IBM's system and service roles (from the catalog) and the account's custom roles."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from iamcheck.emulator.backend.role_catalog import (
    GENERIC_SERVICE,
    GENERIC_SERVICE_ROLES,
    PLATFORM,
    PLATFORM_ACTIONS,
    PLATFORM_ROLES,
    SERVICE_GROUPS,
    SERVICE_ROLES,
    CatalogRole,
    catalog_service,
)
from iamcheck.emulator.errors import IbmError, bad_request

MAX_CUSTOM_ROLES = 40  # per account (IBM's documented limit)
SEED_TIME = "2025-06-01T08:00:00.000Z"
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,29}$")
# The VPC docs write VPC service roles with either segment (semantics decision R4).
VPC_LAYOUTS = ("is", "is.instance")
_SEGMENTS = (":public:iam::::serviceRole:", ":public:is::::serviceRole:")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def entity_tag(revision: int, body: dict[str, Any]) -> str:
    """IBM's ETags look like CouchDB revisions: `<revision>-<md5 of the content>`."""
    digest = hashlib.md5(json.dumps(body, sort_keys=True).encode(), usedforsecurity=False)
    return f"{revision}-{digest.hexdigest()}"


def check_if_match(if_match: str | None, current: str) -> None:
    """Optimistic locking: the If-Match header must carry the current ETag."""
    if not if_match:
        raise bad_request("The If-Match header is required.", code="invalid_request")
    if if_match.strip().strip('"') != current:
        raise IbmError(412, "precondition_failed",
                       "The If-Match value does not match the current ETag of the resource.")


def role_not_found(role_id: str) -> IbmError:
    return IbmError(404, "role_not_found", f"Role with id '{role_id}' was not found.")


@dataclass
class CustomRole:
    body: dict[str, Any]  # the API object without href
    revision: int = 1

    @property
    def etag(self) -> str:
        return entity_tag(self.revision, self.body)

    def render(self, base: str) -> dict[str, Any]:
        return {**self.body, "href": f"{base}/v2/roles/{self.body['id']}"}


def _variants(crn: str) -> list[str]:
    for segment in _SEGMENTS:
        if segment in crn:
            return [crn.replace(segment, other) for other in _SEGMENTS]
    return [crn]


def _catalog_index() -> dict[str, CatalogRole]:
    """Every catalog role by CRN, the R4 segment variants included."""
    index: dict[str, CatalogRole] = {}
    for name, (display, text) in PLATFORM_ROLES.items():
        index[PLATFORM + name] = CatalogRole(PLATFORM + name, display, text)
    for name, (display, text) in GENERIC_SERVICE_ROLES.items():
        index.setdefault(GENERIC_SERVICE + name, CatalogRole(GENERIC_SERVICE + name, display, text))
    for roles in SERVICE_ROLES.values():
        for role in roles:
            for variant in _variants(role.crn):
                index.setdefault(variant, role)
    return index


_CATALOG = _catalog_index()


class RoleStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        # R2: where /v2/roles lists the VPC roles and their actions ("is" or "is.instance")
        self.vpc_listed_under: str = seed.get("vpc_roles_listed_under", "is")
        creator = next((u["iam_id"] for u in seed.get("users", [])), "IBMid-0000000000")
        self._custom: dict[str, CustomRole] = {}
        for i, role in enumerate(seed.get("custom_roles", [])):
            role_id = role.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                       f"{self.account_id}/role/{i}"))
            body = self._custom_body(role_id, role, creator, SEED_TIME)
            if role.get("crn"):
                body["crn"] = role["crn"]
            self._custom[role_id] = CustomRole(body)

    # ---- lookups used by the policy store and by iamcheck's later issues

    def canonical(self, role_id: str) -> str:
        """The CRN /v2/roles lists for `role_id` (R4: either service segment is accepted)."""
        role = _CATALOG.get(role_id)
        return role.crn if role is not None else role_id

    def platform_roles(self, policy: dict[str, Any]) -> set[str]:
        """The names of the platform roles a stored policy grants (Viewer, Administrator...)."""
        return {crn.removeprefix(PLATFORM) for crn in
                (self.canonical(str(role.get("role_id", "")))
                 for role in policy["control"]["grant"]["roles"]) if crn.startswith(PLATFORM)}

    def resolve(self, role_id: str, service_name: str | None) -> str | None:
        """The canonical CRN when `role_id` may be granted on `service_name`, else None."""
        role = _CATALOG.get(role_id)
        if role is not None:
            if role.crn.startswith((PLATFORM, GENERIC_SERVICE)):
                return role.crn
            service_roles = SERVICE_ROLES.get(catalog_service(service_name) or "", ())
            return role.crn if role in service_roles else None
        custom = self._custom_by_crn(role_id)
        if custom is None or service_name is None:
            return None
        if catalog_service(custom.body["service_name"]) != catalog_service(service_name):
            return None
        return role_id

    def describe(self, role_id: str) -> tuple[str, str]:
        """(display_name, description) of a role, for v1 policy views."""
        role = _CATALOG.get(role_id)
        if role is not None:
            return role.display_name, role.description
        custom = self._custom_by_crn(role_id)
        if custom is not None:
            return custom.body["display_name"], custom.body.get("description", "")
        return role_id.rsplit(":", 1)[-1], ""

    def actions_of(self, role_crn: str, service_name: str | None) -> frozenset[str]:
        """The actions `role_crn` carries on `service_name` (empty when unknown)."""
        service = catalog_service(service_name)
        crn = self.canonical(role_crn)
        if crn.startswith(PLATFORM):
            name = crn.removeprefix(PLATFORM)
            return frozenset(PLATFORM_ACTIONS.get(service or "", {}).get(name, ()))
        for role in SERVICE_ROLES.get(service or "", ()):
            if role.crn == crn:
                return frozenset(role.actions)
        custom = self._custom_by_crn(crn)
        if custom is not None and (
            service is None or catalog_service(custom.body["service_name"]) == service
        ):
            return frozenset(custom.body["actions"])
        return frozenset()

    def _custom_by_crn(self, crn: str) -> CustomRole | None:
        return next((r for r in self._custom.values() if r.body["crn"] == crn), None)

    # ---- GET /v2/roles

    def list_roles(self, base: str, *, account_id: str | None, service_name: str | None,
                   service_group_id: str | None) -> dict[str, Any]:
        if service_name and service_group_id:
            raise bad_request("service_name and service_group_id are mutually exclusive.")
        service = catalog_service(service_name) if service_name else None
        if service_name in VPC_LAYOUTS and service_name != self.vpc_listed_under:
            service = None  # this layout lists no VPC roles or actions under this name
        actions = PLATFORM_ACTIONS.get(service or "", {})
        system = [
            self._catalog_view(CatalogRole(PLATFORM + name, display, text, actions.get(name, ())))
            for name, (display, text) in PLATFORM_ROLES.items()
        ]
        members = SERVICE_GROUPS.get(service_group_id, ()) if service_group_id else (
            service or "",)
        services = [self._catalog_view(r) for member in members
                    for r in SERVICE_ROLES.get(member, ())]
        custom = []
        if account_id == self.account_id and not service_group_id:
            custom = [
                r.render(base) for r in self._custom.values()
                if service_name is None or r.body["service_name"] == service_name
            ]
        return {"custom_roles": custom, "service_roles": services, "system_roles": system}

    @staticmethod
    def _catalog_view(role: CatalogRole) -> dict[str, Any]:
        return {"display_name": role.display_name, "description": role.description,
                "actions": list(role.actions), "crn": role.crn}  # IBM's shape: no `name`

    # ---- custom role CRUD

    def get(self, role_id: str) -> CustomRole:
        try:
            return self._custom[role_id]
        except KeyError:
            raise role_not_found(role_id) from None

    def create(self, body: dict[str, Any], caller_iam_id: str) -> CustomRole:
        for key in ("display_name", "actions", "name", "account_id", "service_name"):
            if key not in body:
                raise bad_request(f"The request body is missing '{key}'.", code="invalid_body")
        name, service = body["name"], body["service_name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad_request("Role name must be alphanumeric, start with a capital letter and "
                              "be at most 30 characters long.", code="invalid_body")
        if body["account_id"] != self.account_id:
            raise bad_request(f"account_id '{body['account_id']}' is not this account.",
                              code="invalid_body")
        if not isinstance(service, str) or not service:
            raise bad_request("service_name must be a non-empty string.", code="invalid_body")
        self._check_editable(body, service)
        if any(r.body["name"] == name for r in self._custom.values()):
            raise IbmError(409, "role_conflict_error", f"A role named '{name}' already exists.")
        self._check_distinct(body["actions"], service, None)
        if len(self._custom) >= MAX_CUSTOM_ROLES:
            raise IbmError(422, "unable_to_process", "Exceeded maximum custom roles quota.")
        role_id = str(uuid.uuid4())
        role = CustomRole(self._custom_body(role_id, body, caller_iam_id, now_iso()))
        self._custom[role_id] = role
        return role

    def replace(self, role_id: str, if_match: str | None, body: dict[str, Any],
                caller_iam_id: str) -> CustomRole:
        role = self.get(role_id)
        check_if_match(if_match, role.etag)
        for key in ("display_name", "actions"):
            if key not in body:
                raise bad_request(f"The request body is missing '{key}'.", code="invalid_body")
        self._check_editable(body, role.body["service_name"])
        self._check_distinct(body["actions"], role.body["service_name"], role_id)
        role.body.update(display_name=body["display_name"], actions=list(body["actions"]),
                         last_modified_at=now_iso(), last_modified_by_id=caller_iam_id)
        if "description" in body:
            role.body["description"] = body["description"]
        role.revision += 1
        return role

    def delete(self, role_id: str) -> None:
        self.get(role_id)
        del self._custom[role_id]

    @staticmethod
    def _check_editable(body: dict[str, Any], service: str) -> None:
        display, actions = body["display_name"], body["actions"]
        if not isinstance(display, str) or not 1 <= len(display) <= 50:
            raise bad_request("display_name must be 1 to 50 characters.", code="invalid_body")
        if (not isinstance(actions, list) or not actions
                or not all(isinstance(a, str) and a for a in actions)):
            raise bad_request("actions must be a non-empty list of action IDs.",
                              code="invalid_body")
        if not any(a.startswith(service + ".") for a in actions):
            raise bad_request(f"A custom role needs at least one action defined by '{service}'.",
                              code="invalid_body")
        if "description" in body and not isinstance(body["description"], str):
            raise bad_request("description must be a string.", code="invalid_body")

    def _check_distinct(self, actions: list[str], service: str, own_id: str | None) -> None:
        # IBM treats two roles with the same actions as duplicates, whatever their names.
        for other_id, other in self._custom.items():
            if (other_id != own_id and other.body["service_name"] == service
                    and set(other.body["actions"]) == set(actions)):
                raise IbmError(409, "role_conflict_error",
                               f"Role '{other.body['name']}' already has exactly these actions.")

    def _custom_body(self, role_id: str, role: dict[str, Any], creator: str,
                     when: str) -> dict[str, Any]:
        return {
            "id": role_id,
            "display_name": role["display_name"],
            "description": role.get("description", ""),
            "actions": list(role["actions"]),
            "crn": "crn:v1:ibmcloud:public:iam-access-management::"
                   f"a/{self.account_id}::customRole:{role['name']}",
            "name": role["name"],
            "account_id": self.account_id,
            "service_name": role["service_name"],
            "created_at": when,
            "created_by_id": creator,
            "last_modified_at": when,
            "last_modified_by_id": creator,
        }
