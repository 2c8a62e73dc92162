"""May iamcheck's own identity write the policies a grant or revoke plans? Checked at plan time,
before anything is written, from the one own-rights reader (read/rights.py).

IBM's rule: creating, changing or deleting a policy needs the Administrator platform role on IAM
Access Management (`iam-access-management`) or on all account management services, or
Administrator on the policy's target service; the account owner may always. A narrower
Administrator policy on the target service may or may not cover the policy: then IBM decides
(its 403 is still exit 4). Being wrong here costs an exit 4 IBM would have given anyway, never a
write."""

from __future__ import annotations

from iamcheck.errors import NotAuthorized
from iamcheck.ibm import account_management
from iamcheck.ibm.session import IbmSession
from iamcheck.read.rights import own_access

ACCESS_MANAGEMENT = "iam-access-management"
PLATFORM_SERVICE = "platform_service"
POLICY_ROLE = "Administrator on IAM Access Management"


def may_write_policies(session: IbmSession, account_id: str, service: str) -> bool:
    """False when the caller surely may not write policies on `service`; True when it may, or
    perhaps may (a narrower Administrator policy on the service: IBM decides)."""
    access = own_access(session, account_id)
    if access.owner or access.administers & {ACCESS_MANAGEMENT, PLATFORM_SERVICE, service}:
        return True
    if service in access.administers_some:
        return True
    return account_management.account_owner(session, account_id) == access.iam_id


def require_policy_writes(session: IbmSession, account_id: str, service: str,
                          command: str) -> None:
    """Exit 4 with one line naming the role to ask for, when the caller surely may not write
    policies on `service`."""
    if may_write_policies(session, account_id, service):
        return
    access = own_access(session, account_id)
    raise NotAuthorized(
        f"{command}: the API key's identity {access.iam_id} may not create or delete IAM "
        f"policies: ask for {POLICY_ROLE} (iam-access-management), or Administrator on the "
        f"service '{service}'; nothing was changed")
