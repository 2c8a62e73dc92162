"""iamcheck's own read rights, and the gaps a missing right or a refused read leaves (V5).

IBM answers a list with only what the caller may read, often an empty list rather than an
error, so an empty answer proves nothing. Before it audits, iamcheck reads its own policies (and
its groups') and decides which reads it may make in full:

| Right | Role to grant (any of Viewer, Operator, Editor, Administrator) |
|---|---|
| policies | Viewer on IAM Access Management (or on all account management services) |
| groups | Viewer on IAM Access Groups (or on all account management services) |
| users | Viewer on User Management (or on all account management services) |
| instances | Viewer on VPC Infrastructure Services (or on all IAM-enabled services) |
| resource groups | Viewer on every resource group (or on all account management services) |

The account owner holds every role without a policy. Only active policies without a rule, with
no attribute beyond the account and the service, count; a custom role never does. Being wrong
here costs a needless "unknown", never a wrong allow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

from iamcheck.decide.subjects import all_subjects
from iamcheck.errors import NotAuthorized
from iamcheck.ibm import account_management
from iamcheck.ibm.errors import Refused
from iamcheck.ibm.session import IbmSession
from iamcheck.model import PUBLIC_ACCESS_GROUP_ID, AccountData, Attribute, Gap, Policy, User
from iamcheck.read.access import AccessReader, Holder

PLATFORM_ROLE = "crn:v1:bluemix:public:iam::::role:"
READING_ROLES = frozenset({"Viewer", "Operator", "Editor", "Administrator"})
NOTHING_LISTED: frozenset[str] = frozenset()  # what was not listed reaches no verdict computed


@dataclass(frozen=True)
class ReadRight:
    key: str
    role: str  # what to grant, as the README names it
    what: str  # what iamcheck cannot read in full without it


POLICIES = ReadRight("policies", "Viewer on IAM Access Management", "the account's policies")
GROUPS = ReadRight("groups", "Viewer on IAM Access Groups", "the account's access groups")
USERS = ReadRight("users", "Viewer on User Management", "the account's users")
INSTANCES = ReadRight("instances", "Viewer on VPC Infrastructure Services",
                      "the account's VPC instances")
RESOURCE_GROUPS = ReadRight("resource_groups", "Viewer on every resource group",
                            "the account's resource groups")
AUDIT_RIGHTS = (POLICIES, GROUPS, USERS, INSTANCES, RESOURCE_GROUPS)
# Where each right comes from: (resource key, value) of an account-wide policy.
SOURCES = {
    POLICIES.key: {("serviceName", "iam-access-management"), ("serviceType", "platform_service")},
    GROUPS.key: {("serviceName", "iam-groups"), ("serviceType", "platform_service")},
    USERS.key: {("serviceName", "user-management"), ("serviceType", "platform_service")},
    INSTANCES.key: {("serviceName", "is"), ("serviceType", "service")},
    RESOURCE_GROUPS.key: {("serviceType", "platform_service")},
}


@dataclass(frozen=True)
class OwnAccess:
    iam_id: str
    owner: bool = False
    held: frozenset[str] = frozenset()  # keys of the rights held account-wide
    some_instances: bool = False  # a narrower instance scope (a resource group, some ids, ...)
    group_ids: frozenset[str] | None = None  # the caller's groups; None when refused even those
    administers: frozenset[str] = frozenset()  # services held with Administrator account-wide
    administers_some: frozenset[str] = frozenset()  # services held with it on a narrower scope

    def holds(self, right: ReadRight) -> bool:
        return self.owner or right.key in self.held

    def missing(self, rights: Iterable[ReadRight] = AUDIT_RIGHTS) -> tuple[ReadRight, ...]:
        return tuple(r for r in rights if not self.holds(r))

    def require_audit_rights(self) -> None:
        """Exit 4 naming the roles when an audit could read nothing but the caller's own."""
        useful = (POLICIES, GROUPS, USERS, INSTANCES)
        if any(self.holds(r) for r in useful) or self.some_instances:
            return
        raise NotAuthorized(
            f"the API key's identity {self.iam_id} may not read what an audit needs; "
            f"grant it {roles_phrase(self.missing())} "
            "(see 'Permissions iamcheck needs' in the README)")

    def audit_gaps(self, data: AccountData) -> tuple[Gap, ...]:
        """What the missing rights leave out of `data`, scoped to the verdicts they touch."""
        others = self.others(data)
        gaps = []
        if not self.holds(POLICIES):
            theirs = frozenset(g.id for g in data.groups) - (self.group_ids or frozenset())
            why = _lacks(POLICIES, "only its own policies and its groups' are read")
            gaps.append(Gap(POLICIES.what, why, others | theirs))
        if not self.holds(GROUPS):
            grouped = any((g := p.subject_value("access_group_id")) and g != PUBLIC_ACCESS_GROUP_ID
                          for p in data.policies)
            touched = others if grouped or not self.holds(POLICIES) else frozenset()
            if _federated(data, self.iam_id):
                touched |= {self.iam_id}
            gaps.append(Gap(GROUPS.what, _lacks(GROUPS, "only the groups it is in are read, "
                                                "without the other members or dynamic rules"),
                            touched))
        if not self.holds(USERS):
            gaps.append(Gap(USERS.what, _lacks(USERS, "only its own identity is listed; other "
                                               "people are not in this report"), NOTHING_LISTED))
        if not self.holds(INSTANCES):
            scope = ("only the instances its own policies reach are listed" if self.some_instances
                     else "no instance is listed")
            gaps.append(Gap(INSTANCES.what, _lacks(INSTANCES, scope), NOTHING_LISTED))
        if not self.holds(RESOURCE_GROUPS):
            gaps.append(Gap(RESOURCE_GROUPS.what, _lacks(RESOURCE_GROUPS, "resource group names "
                                                         "may be missing"), NOTHING_LISTED))
        return tuple(gaps)

    def subject_gaps(self, iam_id: str) -> tuple[Gap, ...]:
        """For `check` of someone else: what the missing rights hide about that subject."""
        if iam_id == self.iam_id:
            return ()  # its own policies and groups are always readable
        why = {POLICIES.key: ("the policies", "policies other than its own are not read"),
               GROUPS.key: ("the access groups", "only the groups it is in itself are read")}
        return tuple(Gap(f"{why[right.key][0]} of {iam_id}", _lacks(right, why[right.key][1]),
                         frozenset({iam_id}))
                     for right in self.missing((POLICIES, GROUPS)))

    def others(self, data: AccountData) -> frozenset[str]:
        """Every subject whose data a partial read can hide: all but the caller, whose own
        policies and groups iamcheck reads with its own rights (unless even those were refused)."""
        everyone = frozenset(all_subjects(data))
        return everyone if self.group_ids is None else everyone - {self.iam_id}


def roles_phrase(rights: Iterable[ReadRight]) -> str:
    roles = [r.role for r in rights]
    return roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} and {roles[-1]}"


def _lacks(right: ReadRight, consequence: str) -> str:
    return f"iamcheck's identity lacks {right.role}: {consequence}"


def _federated(data: AccountData, iam_id: str) -> bool:
    """Whether `iam_id` may join a group by a dynamic rule it cannot read: any user (P3, rev 2:
    User Management's realm does not tell through which identity provider they sign in)."""
    return any(isinstance(u, User) and u.iam_id == iam_id for u in data.users)


_CACHE: WeakKeyDictionary[IbmSession, dict[str, OwnAccess]] = WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
_READING: WeakKeyDictionary[IbmSession, threading.Lock] = WeakKeyDictionary()


def own_access(session: IbmSession, account_id: str) -> OwnAccess:
    """iamcheck's own rights in the account: read once per session, then from the cache."""
    with _CACHE_LOCK:
        lock = _READING.setdefault(session, threading.Lock())
    with lock:  # two threads that ask at once wait for one read
        cached = _CACHE.get(session, {}).get(account_id)
        if cached is None:
            cached = _read_own_access(session, account_id)
            with _CACHE_LOCK:
                _CACHE.setdefault(session, {})[account_id] = cached
        return cached


def _read_own_access(session: IbmSession, account_id: str) -> OwnAccess:
    """The caller's read rights from its own policies and its groups'; when they lack one, the
    account's details say whether the caller is its owner (who holds every role)."""
    caller = session.caller()
    try:
        with ThreadPoolExecutor(max_workers=session.settings.concurrency) as pool:
            read = AccessReader(session, account_id, pool).access(Holder("iam_id", caller.iam_id))
        policies: list[Policy] | tuple[Policy, ...] = read.policies
        group_ids = frozenset(g.id for g in read.groups)
    except Refused:  # even its own are refused: it holds nothing iamcheck can see
        policies, group_ids = [], None
    access = access_from(caller.iam_id, account_id, policies, group_ids)
    if access.missing() and account_management.account_owner(session, account_id) == caller.iam_id:
        return replace(access, owner=True)
    return access


def access_from(iam_id: str, account_id: str, policies: Iterable[Policy],
                group_ids: frozenset[str] | None) -> OwnAccess:
    """The rights these policies (the caller's own and its groups') give. Pure."""
    held: set[str] = set()
    some_instances = False
    admin: set[str] = set()
    admin_some: set[str] = set()
    for policy in policies:
        if policy.type != "access" or policy.state != "active" or policy.rule is not None:
            continue
        roles = {r.removeprefix(PLATFORM_ROLE) for r in policy.role_ids
                 if r.startswith(PLATFORM_ROLE)}
        attrs = {a.key: a for a in policy.resource}
        account = attrs.pop("accountId", None)
        if not roles & READING_ROLES or account is None or account.value != account_id:
            continue
        exact = [(a.key, a.value) for a in attrs.values() if a.operator == "stringEquals"]
        if len(attrs) == 1 and not policy.tags and len(exact) == 1:
            held |= {key for key, sources in SOURCES.items() if exact[0] in sources}
            if "Administrator" in roles:
                admin.add(str(exact[0][1]))
        elif "Administrator" in roles:
            admin_some |= {str(a.value) for a in attrs.values() if a.key == "serviceName"}
        some_instances = some_instances or _reaches_instances(attrs)
    return OwnAccess(iam_id, held=frozenset(held), some_instances=some_instances,
                     group_ids=group_ids, administers=frozenset(admin),
                     administers_some=frozenset(admin_some))


def _reaches_instances(attrs: dict[str, Attribute]) -> bool:
    """A narrower scope that can still cover VPC instances (S2: is, all services, or none)."""
    service, kind = attrs.get("serviceName"), attrs.get("serviceType")
    if service is None and kind is None:
        return True
    return (service is not None and service.value == "is") or (
        kind is not None and kind.value == "service")
