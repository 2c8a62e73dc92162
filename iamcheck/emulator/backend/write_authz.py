"""Write authorization: who may change policies and access groups, decided from the caller's
own active policies (IBM's roles for IAM Access Management and IAM Access Groups).

Written from IBM's documentation, independently of iamcheck's own-rights check, so a test
can compare the two. What needs what:

- create, replace, delete or restore a policy: the Administrator platform role on IAM Access
  Management (`serviceName: iam-access-management`) or on all account management services
  (`serviceType: platform_service`), account-wide; or Administrator on the policy's target
  service, through a policy whose resource covers the target's (every attribute of the
  caller's policy equals the target policy's, or matches it by wildcard).
- create, replace or delete a custom role: Administrator on IAM Access Management (or on
  account management), account-wide.
- create an access group: Editor or Administrator on IAM Access Groups (`serviceName:
  iam-groups`) or on account management, account-wide.
- change, delete, add or remove members and rules of one group: the same, account-wide or on
  that group (`resource: <group id>`).

Only active access policies without a rule count, reaching the caller through its iam_id and
every group it is in now (the Public Access group included). The account owner, the identity
of the seed's first API key, may do everything. A refusal is IBM's 403, naming the role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamcheck.emulator.backend.authz import match
from iamcheck.emulator.errors import IbmError

if TYPE_CHECKING:
    from iamcheck.emulator.backend import Backend

POLICY_WRITERS = frozenset({"Administrator"})
GROUP_WRITERS = frozenset({"Editor", "Administrator"})
ACCESS_MANAGEMENT = "iam-access-management"
ACCESS_GROUPS = "iam-groups"
PLATFORM_SERVICE = "platform_service"


class WriteRefused(IbmError):
    """IBM's 403 for a write the caller may not make; `role` names what to ask for."""

    def __init__(self, code: str, message: str, role: str) -> None:
        super().__init__(403, code, message)
        self.role = role


class Writes:
    """What one caller may change right now."""

    def __init__(self, backend: Backend, iam_id: str) -> None:
        self.backend = backend
        self.iam_id = iam_id
        keys = backend.seed.get("api_keys") or []
        self.owner = bool(keys) and iam_id == keys[0]["iam_id"]
        self._own: list[dict[str, Any]] | None = None

    # ---- the caller's policies

    def _policies(self) -> list[dict[str, Any]]:
        if self._own is None:
            groups = self.backend.groups
            ids = [g.id for g in groups.groups.values() if groups.holds(g, self.iam_id, "all")]
            found = self.backend.policies.policies_for_subject(iam_id=self.iam_id)
            for gid in ids:
                found += self.backend.policies.policies_for_subject(access_group_id=gid)
            self._own = [p for p in found if p.get("type") == "access" and "rule" not in p]
        return self._own

    def _holds(self, roles: frozenset[str], wanted: dict[str, str]) -> bool:
        """A policy granting one of `roles` whose resource covers `wanted` (the target's
        attributes; accountId is added)."""
        target = {"accountId": self.backend.account_id, **wanted}
        for policy in self._policies():
            if (policy["resource"].get("tags")
                    or not self.backend.roles.platform_roles(policy) & roles):
                continue
            attrs = policy["resource"].get("attributes", [])
            if not any(a.get("key") == "accountId" for a in attrs):
                continue
            if all(str(a.get("key")) in target and match(a.get("operator"), a.get("value"),
                                                         target[str(a.get("key"))])
                   for a in attrs):
                return True
        return False

    def _account_wide(self, roles: frozenset[str], service: str) -> bool:
        return (self._holds(roles, {"serviceName": service})
                or self._holds(roles, {"serviceType": PLATFORM_SERVICE}))

    # ---- what handlers ask

    def check_policy(self, policy: dict[str, Any]) -> None:
        """Raise WriteRefused unless the caller may create, change or delete `policy`."""
        if self.owner or self._account_wide(POLICY_WRITERS, ACCESS_MANAGEMENT):
            return
        target = _resource_of(policy)
        service = target.get("serviceName")
        if (policy.get("type") == "access" and service
                and service != ACCESS_MANAGEMENT and self._holds(POLICY_WRITERS, target)):
            return
        on = f"the service '{service}' of the policy" if service else "the policy's resource"
        raise WriteRefused(
            "insufficent_permissions",  # sic: IBM's code
            "You are not allowed to change the requested policy: it needs the Administrator "
            f"role on IAM Access Management ({ACCESS_MANAGEMENT}) or on {on}.",
            "Administrator on IAM Access Management")

    def check_roles(self) -> None:
        """Raise WriteRefused unless the caller may create, change or delete custom roles."""
        if self.owner or self._account_wide(POLICY_WRITERS, ACCESS_MANAGEMENT):
            return
        raise WriteRefused(
            "insufficent_permissions",
            "You are not allowed to change custom roles: it needs the Administrator role on IAM "
            f"Access Management ({ACCESS_MANAGEMENT}).", "Administrator on IAM Access Management")

    def check_group(self, group_id: str | None) -> None:
        """Raise WriteRefused unless the caller may change access group `group_id` (None: create
        a group)."""
        if self.owner or self._account_wide(GROUP_WRITERS, ACCESS_GROUPS):
            return
        if group_id is not None and self._holds(
                GROUP_WRITERS, {"serviceName": ACCESS_GROUPS, "resource": group_id}):
            return
        what = "create access groups" if group_id is None else f"change access group '{group_id}'"
        raise WriteRefused(
            "insufficient_permissions",
            f"You are not allowed to {what}: it needs the Editor or Administrator role on IAM "
            f"Access Groups ({ACCESS_GROUPS}).",
            "Editor on IAM Access Groups")


def _resource_of(policy: dict[str, Any]) -> dict[str, str]:
    """The target policy's resource attributes that are plain values (stringEquals)."""
    out: dict[str, str] = {}
    for attr in policy.get("resource", {}).get("attributes", []):
        if attr.get("operator", "stringEquals") == "stringEquals" and isinstance(
                attr.get("value"), str):
            out[str(attr.get("key"))] = attr["value"]
    return out
