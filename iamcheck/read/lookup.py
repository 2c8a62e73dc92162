"""Finding what the user named: a person or service ID, an instance, a resource group, an access
group. One rule everywhere, online or from a snapshot: an exact id first, then an exact name,
then the name in any case (emails are always matched in any case); more than one match is an
error that asks for the id, none is an error that says where iamcheck looked (both exit 2).

`Lookup` asks IBM for the few candidates a name can have; `AccountLookup` takes them from an
account already read (an audit, or a snapshot). Both hand them to the same pure functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

from iamcheck.errors import BadInput, NotAuthorized
from iamcheck.ibm import access_groups, global_search, resource_manager, user_management, vpc
from iamcheck.ibm.session import IbmSession
from iamcheck.inputs import InstanceRef, UserRef, crn_location
from iamcheck.model import AccessGroup, AccountData, Instance, ResourceGroup, ServiceId, User
from iamcheck.read.rights import INSTANCES, USERS, ReadRight, own_access

T = TypeVar("T")
SERVICE_ID_PREFIX = "iam-ServiceId-"
Identity = User | ServiceId


def pick(option: str, text: str, what: str, where: str, candidates: Sequence[T],
         id_of: Callable[[T], str], name_of: Callable[[T], str]) -> T:
    """The one candidate `text` names by the rule above."""
    found = ([c for c in candidates if id_of(c) == text]
             or [c for c in candidates if name_of(c) == text]
             or [c for c in candidates if name_of(c).casefold() == text.casefold()])
    if not found:
        raise BadInput(f"{option}: no {what} '{text}' in {where}")
    if len(found) > 1:
        raise BadInput(f"{option}: '{text}' names {len(found)} {what}s in {where}; give its id")
    return found[0]


def find_subject(option: str, ref: UserRef, users: Sequence[User],
                 service_ids: Sequence[ServiceId], where: str) -> Identity:
    candidates: list[Identity] = [*users, *service_ids]
    if ref.kind == "email":
        candidates = [u for u in users if u.email.casefold() == ref.value.casefold()]
    return pick(option, ref.value, "user", where, candidates, lambda s: s.iam_id,
                lambda s: s.email if isinstance(s, User) else s.iam_id)


def find_instances(option: str, refs: Sequence[InstanceRef], instances: Sequence[Instance],
                   where: str) -> list[Instance]:
    """Every instance the refs name, in account order (each ref names one)."""
    def field(ref: InstanceRef) -> Callable[[Instance], str]:
        return lambda i: {"crn": i.crn, "id": i.id, "name": i.name}[ref.kind]

    chosen = {pick(option, ref.value, "VPC instance", where,
                   [i for i in instances if field(ref)(i).casefold() == ref.value.casefold()],
                   field(ref), field(ref)).id for ref in refs}
    return [i for i in instances if i.id in chosen]


def find_resource_group(option: str, text: str, groups: Sequence[ResourceGroup],
                        where: str) -> ResourceGroup:
    return pick(option, text, "resource group", where, groups, lambda g: g.id, lambda g: g.name)


def find_access_group(option: str, text: str, groups: Sequence[AccessGroup],
                      where: str) -> AccessGroup:
    return pick(option, text, "access group", where, groups, lambda g: g.id, lambda g: g.name)


class AccountLookup:
    """Names resolved against an account already read (an audit's, or a snapshot)."""

    def __init__(self, account: AccountData) -> None:
        self.account = account
        self.where = f"account {account.account_id}"

    def subject(self, ref: UserRef, option: str = "--user") -> Identity:
        return find_subject(option, ref, self.account.users, self.account.service_ids,
                            self.where)

    def instances(self, refs: Sequence[InstanceRef], option: str = "--instance"
                  ) -> list[Instance]:
        return find_instances(option, refs, self.account.instances, self.where)

    def resource_group(self, text: str, option: str = "--resource-group") -> ResourceGroup:
        return find_resource_group(option, text, self.account.resource_groups, self.where)

    def access_group(self, text: str, option: str = "--access-group") -> AccessGroup:
        return find_access_group(option, text, self.account.groups, self.where)


class Lookup:
    """Names resolved by asking IBM for their few candidates, as the caller may see them."""

    def __init__(self, session: IbmSession, account_id: str) -> None:
        self.session = session
        self.account_id = account_id
        self.where = f"account {account_id}"
        self._groups: list[AccessGroup] | None = None

    def subject(self, ref: UserRef, option: str = "--user") -> Identity:
        if ref.kind == "iam_id" and ref.value.startswith(SERVICE_ID_PREFIX):
            return ServiceId(iam_id=ref.value, name="")
        try:
            users = user_management.users_named(self.session, self.account_id, ref.kind,
                                                ref.value)
        except NotAuthorized as err:
            raise NotAuthorized(f"{err}; to check '{ref.value}' grant it {USERS.role}") from None
        if not users and ref.kind == "email" and not self._holds(USERS):
            # IBM lists only the caller to an identity without a role on User Management
            raise NotAuthorized(f"{option}: iamcheck may not look up '{ref.value}': grant its "
                                f"API key's identity {USERS.role}")
        return find_subject(option, ref, users, (), self.where)

    def instance(self, ref: InstanceRef, option: str = "--instance") -> Instance:
        """By CRN: one read. By name or id: one search, which brings the access tags too."""
        crn = ref.value if ref.kind == "crn" else None
        tags_by_crn: dict[str, frozenset[str]] = {}
        if crn is None:
            field = "name" if ref.kind == "name" else "resource_id"
            tags_by_crn = global_search.access_tags_by_crn(
                self.session, self.account_id,
                f"{global_search.INSTANCES} AND {field}:{ref.value}")
            if not tags_by_crn and not self._holds(INSTANCES):
                # the search lists only what the caller may read
                raise NotAuthorized(f"{option}: iamcheck finds no VPC instance with {ref.kind} "
                                    f"'{ref.value}' that it may read; if it exists, grant its "
                                    f"API key's identity {INSTANCES.role}")
            crn = pick(option, ref.value, "VPC instance", self.where, sorted(tags_by_crn),
                       lambda c: c, lambda c: ref.value)
        region_name, instance_id = crn_location(crn) or ("", "")
        region = {r.name: r for r in vpc.list_regions(self.session)}.get(region_name)
        try:
            found = vpc.get_instance(self.session, region, instance_id) if region else None
        except NotAuthorized as err:
            raise NotAuthorized(f"{err}; grant it {INSTANCES.role}") from None
        if found is None:
            raise BadInput(f"{option}: no VPC instance '{ref.value}' in {self.where}")
        return replace(found, access_tags=tags_by_crn[crn]) if crn in tags_by_crn else found

    def instances_in(self, group: ResourceGroup | None) -> tuple[Instance, ...]:
        """Every instance of the account, or of one resource group, in every region."""
        regions = vpc.list_regions(self.session)
        with ThreadPoolExecutor(max_workers=self.session.settings.concurrency) as pool:
            chunks = pool.map(lambda r: vpc.list_instances(
                self.session, r, group.id if group else None), regions)
            return tuple(i for chunk in chunks for i in chunk)

    def resource_group(self, text: str, option: str = "--resource-group") -> ResourceGroup:
        groups = resource_manager.list_resource_groups(self.session, self.account_id)
        return find_resource_group(option, text, groups, self.where)

    def access_group(self, text: str, option: str = "--access-group") -> AccessGroup:
        return find_access_group(option, text, self.access_groups(), self.where)

    def access_groups(self) -> list[AccessGroup]:
        """The account's access groups, listed once however many names are looked up."""
        if self._groups is None:
            self._groups = access_groups.list_groups(self.session, self.account_id)
        return self._groups

    def _holds(self, right: ReadRight) -> bool:
        return own_access(self.session, self.account_id).holds(right)
