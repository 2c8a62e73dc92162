"""Access policies of the account: one list in v2 form, served to /v1 and /v2 alike.

Handlers run on one event loop and these methods never await, so a duplicate check and
the insert that follows it cannot interleave with another request.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from iamcheck.emulator.backend import policy_shapes as shapes
from iamcheck.emulator.backend.roles import (
    SEED_TIME,
    RoleStore,
    check_if_match,
    entity_tag,
    now_iso,
)
from iamcheck.emulator.errors import IbmError, bad_request

MAX_POLICIES = 4020  # per account, shared with CBR rules in IBM Cloud
RETENTION_SECONDS = 10 * 24 * 3600  # IBM keeps deleted policies 10 days
SORT_FIELDS = frozenset({"id", "type", "href", "created_at", "created_by_id",
                         "last_modified_at", "last_modified_by_id", "state"})
FORMATS = frozenset({"include_last_permit", "display"})


class PolicyConflict(IbmError):
    """409 that names the policy it duplicates, as IBM does."""

    def __init__(self, existing: StoredPolicy) -> None:
        super().__init__(409, "policy_conflict_error", "The policy wasn't created because an "
                         "access policy with identical attributes and roles already exists. "
                         f"Please update the rule in the existing policy ({existing.id}).")
        self.existing = existing
        self.details: dict[str, dict[str, Any]] = {"conflicts_with": {"etag": existing.etag,
                                                                     "policy": copy.deepcopy(
                                                                         existing.body)}}

    def with_href(self, href: str) -> PolicyConflict:
        """IBM sends the whole conflicting policy, its href included."""
        self.details["conflicts_with"]["policy"]["href"] = href
        return self

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["errors"][0]["details"] = self.details
        return body


def policy_not_found(policy_id: str) -> IbmError:
    return IbmError(404, "policy_not_found", f"Policy with id '{policy_id}' was not found.")


@dataclass
class PolicyHooks:
    """Test hooks, set through the control API and reset with the account."""

    # IBM can answer 404 for a policy it has just created: each new policy's first GETs do.
    read_after_create_404s: int = 0
    # The next creates are carried out, then answered 500, as when a reply is lost.
    create_failures: int = 0
    # The next creates are carried out, then their answer is cut and the connection closed.
    create_drops: int = 0


@dataclass
class StoredPolicy:
    seq: int  # insertion order: the tie-breaker that keeps paging stable
    body: dict[str, Any]  # v2 form without href
    revision: int = 1
    deleted_at: float | None = None
    written_in_v1: bool = False  # last created or replaced through /v1 (else /v2 or the seed)
    _mark: tuple[int, str] | None = None  # fingerprint cache, valid for one revision

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def active(self) -> bool:
        return bool(self.body["state"] == "active")

    @property
    def etag(self) -> str:
        return entity_tag(self.revision, self.body)

    def fingerprint(self, roles: RoleStore) -> str:
        if self._mark is None or self._mark[0] != self.revision:
            self._mark = (self.revision, shapes.fingerprint(self.body, roles))
        return self._mark[1]


@dataclass(frozen=True)
class ListQuery:
    account_id: str
    iam_id: str | None = None
    access_group_id: str | None = None
    type: str | None = None
    service_type: str | None = None
    service_name: str | None = None
    service_group_id: str | None = None
    tag_name: str | None = None
    tag_value: str | None = None
    state: str | None = None
    sort: str | None = None
    format: str | None = None
    limit: int | None = None
    start: str | None = None


class PolicyStore:
    def __init__(self, seed: dict[str, Any], roles: RoleStore) -> None:
        self.account_id: str = seed["account_id"]
        self.roles = roles
        self._seq = 0
        self._policies: dict[str, StoredPolicy] = {}
        self.hooks = PolicyHooks()
        self._unseen: dict[str, int] = {}  # policy id -> GETs left that answer 404
        creator = next((u["iam_id"] for u in seed.get("users", [])), "IBMid-0000000000")
        for i, given in enumerate(seed.get("policies", [])):
            body = copy.deepcopy(given)
            body.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                 f"{self.account_id}/policy/{i}")))
            for key, default in (("created_at", SEED_TIME), ("created_by_id", creator)):
                body.setdefault(key, default)
            body.setdefault("last_modified_at", body["created_at"])
            body.setdefault("last_modified_by_id", body["created_by_id"])
            body.setdefault("state", "active")
            self._insert(body, deleted_at=None if body["state"] == "active" else time.time())

    def _insert(self, body: dict[str, Any], deleted_at: float | None = None) -> StoredPolicy:
        self._seq += 1
        stored = StoredPolicy(self._seq, body, deleted_at=deleted_at)
        self._policies[stored.id] = stored
        return stored

    # ---- queries

    def get(self, policy_id: str) -> StoredPolicy:
        stored = self._policies.get(policy_id)
        if stored is None or self._expired(stored):
            raise policy_not_found(policy_id)
        return stored

    def read(self, policy_id: str) -> StoredPolicy:
        """GET by id, as a client sees it: a new policy may not be visible yet (hooks)."""
        left = self._unseen.get(policy_id, 0)
        if left:
            self._unseen[policy_id] = left - 1
            raise policy_not_found(policy_id)
        return self.get(policy_id)

    def policies_for_subject(self, iam_id: str | None = None,
                             access_group_id: str | None = None) -> list[dict[str, Any]]:
        """Active policies whose subject is exactly `iam_id` or `access_group_id`, in v2 form."""
        wanted = {("iam_id", iam_id), ("access_group_id", access_group_id)}
        return [
            copy.deepcopy(p.body) for p in self._policies.values()
            if p.active and any((a.get("key"), a.get("value")) in wanted
                                for a in p.body["subject"]["attributes"])
        ]

    def list_page(self, query: ListQuery) -> tuple[list[StoredPolicy], str | None]:
        """One page of matching policies and the `start` token of the next page, if any."""
        state = query.state or "active"
        if state not in ("active", "deleted"):
            raise bad_request(f"Invalid state '{state}': use 'active' or 'deleted'.")
        if query.format is not None and query.format not in FORMATS:
            raise bad_request(f"Invalid format '{query.format}'.")
        field, descending = (query.sort or "").lstrip("-"), (query.sort or "").startswith("-")
        if query.sort and field not in SORT_FIELDS:
            raise bad_request(f"Invalid sort field '{field}'.")
        if query.account_id != self.account_id:
            return [], None  # IBM lists only what the caller may read
        found = [p for p in self._policies.values()
                 if p.body["state"] == state and not self._expired(p) and _matches(p.body, query)]
        found.sort(key=lambda p: _sort_key(p, field), reverse=descending)
        if query.limit is None:
            return found, None
        if query.start is not None:
            after = _decode_start(query.start)
            found = [p for p in found if _after(_sort_key(p, field), after, descending)]
        page = found[:query.limit]
        more = len(found) > query.limit
        return page, _encode_start(_sort_key(page[-1], field)) if more else None

    def _expired(self, stored: StoredPolicy) -> bool:
        return (stored.deleted_at is not None
                and time.time() - stored.deleted_at > RETENTION_SECONDS)

    # ---- changes

    def create(self, policy: dict[str, Any], caller_iam_id: str,
               written_in_v1: bool = False) -> StoredPolicy:
        shapes.validate(policy, self.account_id, self.roles)
        self._check_unique(policy, own_id=None)
        self._check_quota()
        when = now_iso()
        body = {**policy, "id": str(uuid.uuid4()), "created_at": when,
                "created_by_id": caller_iam_id, "last_modified_at": when,
                "last_modified_by_id": caller_iam_id, "state": "active"}
        stored = self._insert(body)
        stored.written_in_v1 = written_in_v1
        if self.hooks.read_after_create_404s:
            self._unseen[stored.id] = self.hooks.read_after_create_404s
        return stored

    def drop_after_create(self) -> bool:
        """True when the answer to a create just carried out is to be cut (hooks)."""
        if self.hooks.create_drops > 0:
            self.hooks.create_drops -= 1
            return True
        return False

    def fail_after_create(self) -> None:
        """Raise the injected 500 when one is armed (called once a create is carried out)."""
        if self.hooks.create_failures > 0:
            self.hooks.create_failures -= 1
            raise IbmError(500, "internal_error",
                           "Internal error after the request was carried out "
                           "(injected by the emulator).")

    def replace(self, policy_id: str, if_match: str | None, policy: dict[str, Any],
                caller_iam_id: str, written_in_v1: bool = False) -> StoredPolicy:
        stored = self.get(policy_id)
        check_if_match(if_match, stored.etag)
        if not stored.active:
            raise bad_request(f"Policy '{policy_id}' is deleted; restore it before replacing it.")
        if policy["type"] != stored.body["type"]:
            raise bad_request("The policy type cannot be changed.", code="invalid_body")
        shapes.validate(policy, self.account_id, self.roles)
        self._check_unique(policy, own_id=policy_id)
        kept_keys = ("id", "created_at", "created_by_id", "template")
        kept: dict[str, Any] = {k: stored.body[k] for k in kept_keys if k in stored.body}
        stored.body = {**policy, **kept, "last_modified_at": now_iso(),
                       "last_modified_by_id": caller_iam_id, "state": "active"}
        stored.written_in_v1 = written_in_v1
        stored.revision += 1
        return stored

    def delete(self, policy_id: str) -> None:
        stored = self.get(policy_id)
        if not stored.active:
            raise policy_not_found(policy_id)
        stored.body["state"] = "deleted"
        stored.deleted_at = time.time()
        stored.revision += 1

    def update_state(self, policy_id: str, if_match: str | None, state: Any,
                     caller_iam_id: str) -> StoredPolicy:
        """PATCH /v1/policies/{id}: restore a deleted policy (state=active)."""
        stored = self.get(policy_id)
        check_if_match(if_match, stored.etag)
        if state != "active":
            raise bad_request("Only \"state\": \"active\" (restore) is supported.",
                              code="invalid_body")
        if not stored.active:
            self._check_unique(stored.body, own_id=policy_id)
            self._check_quota()
            stored.body.update(state="active", last_modified_at=now_iso(),
                               last_modified_by_id=caller_iam_id)
            stored.deleted_at = None
            stored.revision += 1
        return stored

    def _check_unique(self, policy: dict[str, Any], own_id: str | None) -> None:
        mark = shapes.fingerprint(policy, self.roles)
        for other in self._policies.values():
            if other.active and other.id != own_id and other.fingerprint(self.roles) == mark:
                raise PolicyConflict(other)

    def _check_quota(self) -> None:
        if sum(p.active for p in self._policies.values()) >= MAX_POLICIES:
            raise IbmError(422, "unable_to_process", "Exceeded maximum policies quota")


def _matches(body: dict[str, Any], q: ListQuery) -> bool:
    subject, resource = body["subject"], body["resource"]
    checks = (
        (q.iam_id, shapes.attribute_value(subject, "iam_id")),
        (q.access_group_id, shapes.attribute_value(subject, "access_group_id")),
        (q.type, body["type"]),
        (q.service_type, shapes.attribute_value(resource, "serviceType")),
        (q.service_name, shapes.attribute_value(resource, "serviceName")),
        (q.service_group_id, shapes.attribute_value(resource, "service_group_id")),
    )
    if any(wanted is not None and wanted != actual for wanted, actual in checks):
        return False
    tags = resource.get("tags", [])
    if q.tag_name is not None and not any(t.get("key") == q.tag_name for t in tags):
        return False
    return q.tag_value is None or any(t.get("value") == q.tag_value for t in tags)


def _sort_key(stored: StoredPolicy, field: str) -> tuple[str, int]:
    value = stored.id if field == "href" else stored.body.get(field, "") if field else ""
    return str(value), stored.seq


def _after(key: tuple[str, int], start: tuple[str, int], descending: bool) -> bool:
    return key < start if descending else key > start


def _encode_start(key: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_start(token: str) -> tuple[str, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return str(raw[0]), int(raw[1])
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error):
        raise bad_request(f"Invalid start token '{token}'.") from None
