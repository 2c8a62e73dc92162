"""Read authorization: what a caller may read, decided from the caller's own active policies.

IBM answers a list with only what the caller may read, often an empty list rather than an
error, and refuses (403) a read of one thing the caller may not see. The emulator follows the
rules below, a documented simplification of IBM's.

What needs what ("reading role": Viewer, Operator, Editor or Administrator; "account
management": a reading role on all account management services, `serviceType: platform_service`):

- every policy: a reading role on IAM Access Management (`serviceName: iam-access-management`)
  or account management. Otherwise: the policies of the caller and of its groups.
- every access group, its members and rules: a reading role on IAM Access Groups
  (`serviceName: iam-groups`) or account management. Otherwise: only the groups the caller is
  in, without their members or rules.
- every user: a reading role on User Management (`serviceName: user-management`) or account
  management. Otherwise: only the caller.
- a resource group: a reading role on it (`serviceName: resource-controller`,
  `resourceType: resource-group`, `resource`: its id or absent) or account management.
- a VPC instance (list, get, access tags, search): a role carrying `is.instance.instance.read`
  (custom roles included) on a scope that covers it: `serviceName: is`, all services
  (`serviceType: service`, platform roles) or no service, narrowed by `instanceId`,
  `resourceGroupId`, `region` and access tags as IAM matches them.

Only active access policies without a rule count, reaching the caller through its iam_id and
every group it is in now (the Public Access group included); an account-wide grant has no
attribute but `accountId` and the service. The account owner, the identity of the seed's first
API key, reads everything (IBM's owner holds every role without a policy).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from iamcheck.emulator.backend.authz import match
from iamcheck.emulator.backend.policies import ListQuery, StoredPolicy
from iamcheck.emulator.backend.role_catalog import PLATFORM
from iamcheck.emulator.errors import IbmError, bad_request

if TYPE_CHECKING:
    from iamcheck.emulator.backend import Backend

READING_ROLES = frozenset({"Viewer", "Operator", "Editor", "Administrator"})
INSTANCE_READ = "is.instance.instance.read"
ACCOUNT_MANAGEMENT = ("serviceType", "platform_service")
POLICIES = ("serviceName", "iam-access-management")
GROUPS = ("serviceName", "iam-groups")
USERS = ("serviceName", "user-management")
# Attributes of an instance request (no vpcId: access to a VPC is not access to its instances).
INSTANCE_KEYS = frozenset({"accountId", "serviceName", "serviceType", "instanceId",
                           "resourceGroupId", "region"})


def account_owner(backend: Backend) -> str | None:
    keys = backend.seed.get("api_keys") or []
    return str(keys[0]["iam_id"]) if keys else None


def forbidden(what: str) -> IbmError:
    return IbmError(403, "forbidden", f"You are not authorized to read {what}.")


class Visibility:
    """What one caller may read right now; each answer is worked out when first asked."""

    def __init__(self, backend: Backend, iam_id: str) -> None:
        self.backend = backend
        self.iam_id = iam_id
        self.owner = iam_id == account_owner(backend)

    @cached_property
    def group_ids(self) -> frozenset[str]:
        """The groups the caller is in now: static, dynamic, Public Access."""
        store = self.backend.groups
        return frozenset(g.id for g in store.groups.values() if store.holds(g, self.iam_id, "all"))

    @cached_property
    def _policies(self) -> list[dict[str, Any]]:
        """The caller's own active access policies without a rule (its iam_id and groups')."""
        everything, _ = self.backend.policies.list_page(
            ListQuery(account_id=self.backend.account_id, type="access", state="active"))
        return [p.body for p in everything if "rule" not in p.body and self.reaches(p.body)]

    def reaches(self, policy: dict[str, Any]) -> bool:
        """Is the policy's subject the caller or one of its groups?"""
        for attr in policy["subject"]["attributes"]:
            if attr.get("key") == "iam_id" and attr.get("value") == self.iam_id:
                return True
            if attr.get("key") == "access_group_id" and attr.get("value") in self.group_ids:
                return True
        return False

    def _reads(self, *services: tuple[str, str], roles: frozenset[str] = READING_ROLES) -> bool:
        """A reading platform role (or one of `roles`), account-wide, on one of `services`."""
        for policy in self._policies:
            attrs = _attributes(policy)
            if (_in_account(attrs, self.backend.account_id) and not policy["resource"].get("tags")
                    and any(set(attrs) == {"accountId", key} and _is(attrs, key, value)
                            for key, value in services)
                    and self.backend.roles.platform_roles(policy) & roles):
                return True
        return False

    # ---- what handlers ask

    @cached_property
    def manages_account(self) -> bool:
        return self.owner or self._reads(ACCOUNT_MANAGEMENT)

    @cached_property
    def all_policies(self) -> bool:
        return self.manages_account or self._reads(POLICIES)

    @cached_property
    def all_groups(self) -> bool:
        return self.manages_account or self._reads(GROUPS)

    @cached_property
    def all_users(self) -> bool:
        return self.manages_account or self._reads(USERS)

    def reads_service(self, service_name: str) -> bool:
        """A reading role on all of `service_name` (or account management), e.g. iam-identity
        for trusted profiles, context-based-restrictions for CBR rules and zones."""
        return self.manages_account or self._reads(("serviceName", service_name))

    def manages_service(self, service_name: str, roles: frozenset[str]) -> bool:
        """One of the platform `roles` on all of `service_name` (or account management)."""
        return self.manages_account or self._reads(("serviceName", service_name), roles=roles)

    def policy(self, body: dict[str, Any]) -> bool:
        return self.all_policies or self.reaches(body)

    def group(self, group_id: str) -> bool:
        """May the caller see the group itself (its name, not its members)?"""
        return self.all_groups or group_id in self.group_ids

    def user(self, iam_id: str) -> bool:
        return self.all_users or iam_id == self.iam_id

    def resource_group(self, group_id: str) -> bool:
        if self.manages_account:
            return True
        for policy in self._policies:
            attrs = _attributes(policy)
            if (_in_account(attrs, self.backend.account_id)
                    and _is(attrs, "serviceName", "resource-controller")
                    and _is(attrs, "resourceType", "resource-group")
                    and set(attrs) <= {"accountId", "serviceName", "resourceType", "resource"}
                    and ("resource" not in attrs or _is(attrs, "resource", group_id))
                    and self.backend.roles.platform_roles(policy) & READING_ROLES):
                return True
        return False

    @cached_property
    def _instance_readers(self) -> list[dict[str, Any]]:
        """The caller's policies whose roles may read instances within their scope."""
        out = []
        for policy in self._policies:
            attrs = _attributes(policy)
            service = "service" if "serviceName" in attrs else "platform"
            for role in policy["control"]["grant"]["roles"]:
                role_id = str(role.get("role_id", ""))
                if service == "platform" and not self.backend.roles.canonical(
                        role_id).startswith(PLATFORM):
                    continue  # beyond one service only platform roles apply
                if INSTANCE_READ in self.backend.roles.actions_of(role_id, "is"):
                    out.append(policy)
                    break
        return out

    def instance(self, record: dict[str, Any]) -> bool:
        """May the caller read this VPC instance (and its access tags)?"""
        if self.owner:
            return True
        target = {"accountId": self.backend.account_id, "serviceName": "is",
                  "serviceType": "service", "instanceId": record["id"],
                  "resourceGroupId": record["resource_group"]["id"], "region": record["region"]}
        tags = record.get("access_tags") or []
        return any(_covers(p, target, tags) for p in self._instance_readers)


def _attributes(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(a.get("key")): a for a in policy["resource"].get("attributes", [])}


def _is(attrs: dict[str, dict[str, Any]], key: str, value: str) -> bool:
    attr = attrs.get(key)
    return attr is not None and attr.get("operator", "stringEquals") == "stringEquals" and (
        attr.get("value") == value)


def _in_account(attrs: dict[str, dict[str, Any]], account_id: str) -> bool:
    return _is(attrs, "accountId", account_id)


def _covers(policy: dict[str, Any], target: dict[str, str], tags: list[str]) -> bool:
    attrs = policy["resource"].get("attributes", [])
    if not any(a.get("key") == "accountId" for a in attrs):
        return False
    for attr in attrs:
        key = str(attr.get("key"))
        if key not in INSTANCE_KEYS or not match(attr.get("operator"), attr.get("value"),
                                                 target[key]):
            return False
    return all(_tagged(t, tags) for t in policy["resource"].get("tags", []))


def _tagged(tag: dict[str, Any], tags: list[str]) -> bool:
    """A policy's access tag against the instance's `key:value` access tags."""
    for attached in tags:
        key, sep, value = attached.partition(":")
        if sep and key == tag.get("key") and match(tag.get("operator"), tag.get("value"), value):
            return True
    return False


def policy_page(vis: Visibility, query: ListQuery) -> tuple[list[StoredPolicy], str | None]:
    """One page of the policies the caller may read, and the `start` of the next page.

    The filter comes before paging, as IBM's does: a page is never short because of it."""
    store = vis.backend.policies
    if vis.all_policies:
        return store.list_page(query)
    found, _ = store.list_page(replace(query, limit=None, start=None))
    found = [p for p in found if vis.reaches(p.body)]
    if query.limit is None:
        return found, None
    offset = _offset(query.start) if query.start is not None else 0
    end = offset + query.limit
    return found[offset:end], _start(end) if end < len(found) else None


def _start(offset: int) -> str:
    return base64.urlsafe_b64encode(f"own:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if text.startswith("own:") and text[4:].isdigit():
        return int(text[4:])
    raise bad_request(f"Invalid start token '{token}'.")
