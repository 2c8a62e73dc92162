"""Planning a revoke, the inverse of grant. Pure: no I/O, no clock.

A subject's policy is removed when iamcheck created it and its scope is exactly the one named
(instance, resource group, or every instance), or when it is named by id. "Created by iamcheck"
means its description starts with the tag that matches the policy's own subject, scope and roles
(policy.created_by_iamcheck): a tag copied onto another policy, or a policy edited since, is not
iamcheck's. Any other policy on exactly that scope is kept and reported, with how to remove it
on purpose (--policy ID). Policies managed by an enterprise template are never removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from iamcheck.grant.plan import GrantScope, Subject
from iamcheck.grant.policy import created_by_iamcheck, delete_command, tag_of
from iamcheck.model import Policy
from iamcheck.requirement import Requirement


@dataclass(frozen=True)
class Removal:
    policy: Policy
    why: str
    cli: str


@dataclass(frozen=True)
class Kept:
    policy: Policy
    why: str


@dataclass(frozen=True)
class SubjectRevoke:
    subject: Subject
    remove: tuple[Removal, ...]
    kept: tuple[Kept, ...] = ()


@dataclass(frozen=True)
class RevokePlan:
    account_id: str
    requirement: Requirement
    scope: GrantScope | None  # None: only policies named by id
    at: datetime
    subjects: tuple[SubjectRevoke, ...]

    @property
    def to_remove(self) -> tuple[tuple[Subject, Removal], ...]:
        return tuple((s.subject, r) for s in self.subjects for r in s.remove)


def scope_of(policy: Policy, requirement: Requirement) -> tuple[str, str] | None:
    """(kind, value) of a policy shaped as grant writes them: accountId and serviceName, plus
    at most the instance attribute or resourceGroupId, all stringEquals. None otherwise."""
    attrs = {a.key: a for a in policy.resource}
    if (len(attrs) != len(policy.resource) or policy.tags
            or any(a.operator != "stringEquals" for a in policy.resource)):
        return None
    service = attrs.get("serviceName")
    if service is None or service.value != requirement.service or "accountId" not in attrs:
        return None
    extra = set(attrs) - {"accountId", "serviceName"}
    if not extra:
        return ("account", "")
    if extra == {requirement.instance_attribute}:
        return ("instance", str(attrs[requirement.instance_attribute].value))
    if extra == {"resourceGroupId"}:
        return ("resource_group", str(attrs["resourceGroupId"].value))
    return None


def plan_revoke(subject: Subject, policies: Iterable[Policy], scope: GrantScope | None,
                requirement: Requirement, named: Collection[str] = ()) -> SubjectRevoke:
    """What to delete among `subject`'s policies, and what to keep on the named scope."""
    remove: list[Removal] = []
    kept: list[Kept] = []
    seen: set[str] = set()
    for policy in policies:
        if policy.id in seen or policy.state != "active" or policy.type != "access":
            continue
        seen.add(policy.id)
        command = delete_command(subject.kind, subject.cli_name, policy.id)
        if policy.template_managed and (policy.id in named or _on_scope(policy, scope,
                                                                        requirement)):
            kept.append(Kept(policy, "managed by an enterprise template: change the template"))
        elif policy.id in named:
            remove.append(Removal(policy, "named by id", command))
        elif not _on_scope(policy, scope, requirement):
            continue
        elif created_by_iamcheck(policy):
            remove.append(Removal(policy, f"created by iamcheck ({tag_of(policy.description)})",
                                  command))
        else:
            kept.append(Kept(policy, "not created by iamcheck: name it with "
                                     f"--policy {policy.id} to delete it"))
    return SubjectRevoke(subject, tuple(remove), tuple(kept))


def _on_scope(policy: Policy, scope: GrantScope | None, requirement: Requirement) -> bool:
    return scope is not None and scope_of(policy, requirement) == (scope.kind, scope.value)
