"""A Terraform plan in JSON (`terraform show -json PLAN`) turned into changes on the model.

HashiCorp's JSON output format: `resource_changes[]` with `address`, `type` and
`change.{actions, before, after, after_unknown}`; `actions` is ["create"], ["update"],
["delete"], ["delete", "create"] / ["create", "delete"] (replace), ["no-op"] or ["read"].
Attributes follow the IBM provider's documented schema (website/docs/r/iam_*.html.markdown).
Anything not understood is returned as Unmodelled, by address, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from iamcheck.change.changes import (
    AddMembers,
    Change,
    PutGroup,
    PutPolicy,
    PutRule,
    RemoveGroup,
    RemoveMembers,
    RemovePolicy,
    RemoveRule,
    Unmodelled,
)
from iamcheck.model import (
    AccessGroup,
    AccountData,
    Attribute,
    Condition,
    ConditionGroup,
    GroupRule,
    Policy,
    Rule,
    RuleClaim,
)

POLICY_TYPES = {  # resource type -> the attributes that may name its subject
    "ibm_iam_user_policy": ("ibm_id",),
    "ibm_iam_access_group_policy": ("access_group_id",),
    "ibm_iam_service_policy": ("iam_id", "iam_service_id"),
    "ibm_iam_trusted_profile_policy": ("iam_id", "profile_id"),
}
GROUP = "ibm_iam_access_group"
MEMBERS = "ibm_iam_access_group_members"
RULE = "ibm_iam_access_group_dynamic_rule"
SUPPORTED = frozenset({*POLICY_TYPES, GROUP, MEMBERS, RULE})
# Resource types that can change who holds a role, which iamcheck does not read.
_IAM_PREFIXES = ("ibm_iam_", "ibm_cbr_")

_POLICY_KEYS = {"ibm_id", "access_group_id", "iam_id", "iam_service_id", "profile_id", "roles",
                "resources", "resource_attributes", "resource_tags", "rule_conditions",
                "rule_operator", "pattern", "description", "account_management",
                "transaction_id", "id", "version", "tags"}
_RESOURCES_KEYS = {"service": "serviceName", "resource_instance_id": "serviceInstance",
                   "region": "region", "resource_type": "resourceType", "resource": "resource",
                   "resource_group_id": "resourceGroupId", "service_type": "serviceType",
                   "service_group_id": "service_group_id"}


class PlanError(ValueError):
    """Not a Terraform plan in JSON; the message says why, in one line."""


class _Unmodelled(Exception):
    def __init__(self, reason: str, subjects: frozenset[str] = frozenset()) -> None:
        super().__init__(reason)
        self.reason, self.subjects = reason, subjects


def parse_json(text: str) -> Any:
    """A plan's or a policy file's JSON, or PlanError saying where it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(f"not JSON (line {err.lineno}: {err.msg})") from None
    except RecursionError:
        raise PlanError("not JSON (nested too deeply)") from None


def load_plan(text: str) -> dict[str, Any]:
    plan = parse_json(text)
    if not isinstance(plan, dict) or not isinstance(plan.get("resource_changes", []), list):
        raise PlanError("not a Terraform plan: no resource_changes list "
                        "(write it with `terraform show -json PLAN`)")
    return plan


def changes_from_plan(plan: dict[str, Any], account: AccountData) -> tuple[Change, ...]:
    """Every change of the plan that touches IAM, in plan order."""
    out: list[Change] = []
    changes = plan.get("resource_changes") or ()
    for n, rc in enumerate(changes):
        if not isinstance(rc, dict):
            raise PlanError(f"resource_changes[{n}] is not an object")
    resolve = _planned_groups(plan)
    for n, rc in enumerate(changes):
        out.extend(_resource_change(resolve(rc), account, n))
    return tuple(out)


def _planned_groups(plan: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A group created by the plan has no id yet; a resource of the root module whose
    `access_group_id` is the expression `<that group>.id` (the plan's `configuration`) gets
    the group's planned id, so a new group with its members and policies stays modelled."""
    created = {rc.get("address"): f"planned:{rc.get('address')}"
               for rc in plan.get("resource_changes") or ()
               if rc.get("type") == GROUP and "create" in (rc.get("change") or {}).get(
                   "actions", ())}
    refs: dict[str, list[str]] = {}
    root = ((plan.get("configuration") or {}).get("root_module") or {})
    for res in root.get("resources") or ():
        if isinstance(res, dict):
            expr = (res.get("expressions") or {}).get("access_group_id") or {}
            if isinstance(expr, dict) and isinstance(expr.get("references"), list):
                refs[str(res.get("address"))] = [str(r) for r in expr["references"]]

    def resolve(rc: dict[str, Any]) -> dict[str, Any]:
        change = rc.get("change")
        if not isinstance(change, dict) or not isinstance(change.get("after"), dict):
            return rc
        unknown = change.get("after_unknown") or {}
        if unknown.get("access_group_id") is not True:
            return rc
        targets = {r.removesuffix(".id") for r in refs.get(str(rc.get("address")), [])}
        found = [created[t] for t in targets if t in created]
        if len(found) != 1:
            return rc
        after = dict(change["after"], access_group_id=found[0])
        unknown = dict(unknown, access_group_id=False)
        return dict(rc, change=dict(change, after=after, after_unknown=unknown))

    return resolve


def _resource_change(rc: dict[str, Any], account: AccountData, n: int) -> Iterator[Change]:
    address = str(rc.get("address") or f"resource_changes[{n}]")
    kind = rc.get("type")
    change = rc.get("change")
    if not isinstance(change, dict) or not isinstance(change.get("actions"), list):
        raise PlanError(f"{address}: no change.actions")
    actions = change["actions"]
    if actions in (["no-op"], ["read"]) or rc.get("mode") == "data":
        return
    if kind not in SUPPORTED:
        if isinstance(kind, str) and kind.startswith(_IAM_PREFIXES):
            yield Unmodelled(address, f"resource type {kind} is not modelled by iamcheck")
        return
    before, after = change.get("before"), change.get("after")
    unknown = change.get("after_unknown") or {}
    try:
        if "delete" in actions and isinstance(before, dict):
            yield from _remove(kind, before, address, account)
        if ("create" in actions or "update" in actions) and isinstance(after, dict):
            if "update" in actions and isinstance(before, dict) and kind == MEMBERS:
                yield from _remove(kind, before, address, account)
            yield from _put(kind, after, unknown, address, account)
        elif "create" in actions or "update" in actions:
            raise _Unmodelled("the planned values are missing (change.after)")
    except _Unmodelled as err:
        yield Unmodelled(address, err.reason, err.subjects)


def _known(value: Any, unknown: Any, what: str, subjects: frozenset[str] = frozenset()) -> Any:
    if unknown is True or _any_true(unknown):
        raise _Unmodelled(f"{what} is known only after apply", subjects)
    return value


def _any_true(tree: Any) -> bool:
    if tree is True:
        return True
    if isinstance(tree, dict):
        return any(_any_true(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_any_true(v) for v in tree)
    return False


def _tail_id(value: Any) -> str:
    """Provider ids are `<subject>/<id>` for policies, members and rules."""
    return str(value).rsplit("/", 1)[-1]


def _put(kind: str, after: dict[str, Any], unknown: dict[str, Any], address: str,
         account: AccountData) -> Iterator[Change]:
    if kind in POLICY_TYPES:
        subject = _subject(kind, after, unknown, account)
        later = sorted(k for k, v in unknown.items()
                       if k not in ("id", "version") and _any_true(v))
        if later:
            raise _Unmodelled(f"{later[0]} is known only after apply",
                              frozenset({str(subject.value)}))
        pid = _tail_id(after["id"]) if after.get("id") and not unknown.get("id") \
            else f"planned:{address}"
        yield PutPolicy(_policy(pid, kind, after, subject, account), address)
    elif kind == GROUP:
        known_id = after.get("id") if not unknown.get("id") else None
        # A new group has no id yet: the plan's references name it (_planned_groups).
        gid = _tail_id(known_id) if known_id else f"planned:{address}"
        yield PutGroup(AccessGroup(gid, str(after.get("name") or ""),
                                   str(after.get("description") or "")), address)
    elif kind == MEMBERS:
        gid = _known(after.get("access_group_id"), unknown.get("access_group_id"),
                     "access_group_id")
        ids = _member_ids(after, unknown, account, frozenset({gid}))
        yield AddMembers(str(gid), ids, address)
    elif kind == RULE:
        gid = str(_known(after.get("access_group_id"), unknown.get("access_group_id"),
                         "access_group_id"))
        later = sorted(k for k, v in unknown.items()
                       if k not in ("id", "rule_id") and _any_true(v))
        if later:
            raise _Unmodelled(f"{later[0]} is known only after apply", frozenset({gid}))
        yield PutRule(gid, _rule(after, address), address)


def _remove(kind: str, before: dict[str, Any], address: str,
            account: AccountData) -> Iterator[Change]:
    if kind in POLICY_TYPES:
        if not before.get("id"):
            raise _Unmodelled("the policy to delete has no id in the plan")
        yield RemovePolicy(_tail_id(before["id"]), address)
    elif kind == GROUP:
        yield RemoveGroup(str(before.get("id") or ""), address)
    elif kind == MEMBERS:
        gid = str(before.get("access_group_id") or "")
        yield RemoveMembers(gid, _member_ids(before, {}, account, frozenset({gid})), address)
    elif kind == RULE:
        gid = str(before.get("access_group_id") or "")
        rule_id = before.get("rule_id") or _tail_id(before.get("id") or "")
        yield RemoveRule(gid, str(rule_id), address)


def _user_iam_id(ref: str, account: AccountData) -> str:
    """`ibm_id` is an IBMid or an email address (the provider's docs)."""
    if "@" not in ref:
        return ref
    for u in account.users:
        if u.email.lower() == ref.lower():
            return u.iam_id
    raise _Unmodelled(f"no user '{ref}' in the account (invited users are not modelled)")


def _subject(kind: str, after: dict[str, Any], unknown: dict[str, Any],
             account: AccountData) -> Attribute:
    for key in POLICY_TYPES[kind]:
        if unknown.get(key):
            raise _Unmodelled(f"{key} is known only after apply")
        value = after.get(key)
        if not value:
            continue
        value = str(value)
        if key == "access_group_id":
            return Attribute("access_group_id", "stringEquals", value)
        if key == "ibm_id":
            value = _user_iam_id(value, account)
        elif key == "iam_service_id":
            by_id = {s.id: s.iam_id for s in account.service_ids if s.id}
            value = by_id.get(value, value if value.startswith("iam-") else "iam-" + value)
        elif key == "profile_id":
            value = value if value.startswith("iam-") else "iam-" + value
        return Attribute("iam_id", "stringEquals", value)
    raise _Unmodelled(f"no subject ({' or '.join(POLICY_TYPES[kind])})")


def _policy(pid: str, kind: str, after: dict[str, Any], subject: Attribute,
            account: AccountData) -> Policy:
    who = frozenset({str(subject.value)})
    extra = sorted(k for k, v in after.items() if k not in _POLICY_KEYS and v not in (None, ""))
    if extra:
        raise _Unmodelled(f"attribute '{extra[0]}' is not understood", who)
    if after.get("account_management"):
        raise _Unmodelled("account_management policies are not modelled", who)
    resource = [Attribute("accountId", "stringEquals", account.account_id)]
    resource += _resources(after, who)
    tags = tuple(_named(t, who, "resource_tags") for t in after.get("resource_tags") or ())
    roles = _roles(after.get("roles"), resource, who, account)
    rule = _policy_rule(after, who)
    return Policy(pid, "access", "active", (subject,), tuple(resource), roles, tags=tags,
                  rule=rule, pattern=after.get("pattern") or None,
                  description=str(after.get("description") or ""))


def _named(raw: Any, who: frozenset[str], where: str) -> Attribute:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise _Unmodelled(f"{where}: an entry without a name", who)
    return Attribute(str(raw["name"]), str(raw.get("operator") or "stringEquals"),
                     str(raw.get("value") if raw.get("value") is not None else ""))


def _resources(after: dict[str, Any], who: frozenset[str]) -> list[Attribute]:
    blocks = after.get("resources") or []
    attrs = after.get("resource_attributes") or []
    if blocks and attrs:
        raise _Unmodelled("both resources and resource_attributes are set", who)
    out: list[Attribute] = []
    for raw in attrs:
        out.append(_named(raw, who, "resource_attributes"))
    if len(blocks) > 1:
        raise _Unmodelled("more than one resources block", who)
    for block in blocks:
        if not isinstance(block, dict):
            raise _Unmodelled("resources is not a block", who)
        for key, value in block.items():
            if value in (None, "", {}):
                continue
            if key == "attributes" and isinstance(value, dict):
                out += [Attribute(str(k), "stringEquals", str(v)) for k, v in value.items()]
            elif key in _RESOURCES_KEYS and isinstance(value, str):
                out.append(Attribute(_RESOURCES_KEYS[key], "stringEquals", value))
            else:
                raise _Unmodelled(f"resources.{key} is not understood", who)
    return out


def _roles(names: Any, resource: list[Attribute], who: frozenset[str],
           account: AccountData) -> tuple[str, ...]:
    """The provider takes display names; the model keeps role CRNs (R4: compare CRNs)."""
    if not isinstance(names, list) or not names:
        raise _Unmodelled("no roles", who)
    service = next((str(a.value) for a in resource if a.key == "serviceName"), "")
    out = []
    for name in names:
        found = [r for r in account.roles if r.display_name == name]
        if len(found) > 1:  # a service role listed under two segments: prefer the service's
            own = [r for r in found if f":{service}::" in r.crn or r.service_name == service]
            found = own or found[:1]
        if not found:
            raise _Unmodelled(f"role '{name}' is not among the roles read from the account", who)
        out.append(found[0].crn)
    return tuple(out)


def _condition(raw: Any, who: frozenset[str]) -> Rule:
    if not isinstance(raw, dict) or not raw.get("operator"):
        raise _Unmodelled("rule_conditions: an entry without an operator", who)
    if raw.get("conditions"):
        return ConditionGroup(_joiner(raw["operator"], who),
                              tuple(_condition(c, who) for c in raw["conditions"]))
    value = raw.get("value")
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else tuple(str(v) for v in value)
    if not raw.get("key") or value is None:
        raise _Unmodelled("rule_conditions: an entry without key or value", who)
    return Condition(str(raw["key"]), str(raw["operator"]), value)


def _policy_rule(after: dict[str, Any], who: frozenset[str]) -> Rule | None:
    conditions = after.get("rule_conditions") or []
    if not conditions:
        return None
    parts = tuple(_condition(c, who) for c in conditions)
    if len(parts) == 1 and not after.get("rule_operator"):
        return parts[0]
    return ConditionGroup(_joiner(after.get("rule_operator") or "and", who), parts)


def _joiner(raw: Any, who: frozenset[str]) -> Literal["and", "or"]:
    """IAM joins rule conditions with "and" or "or"; anything else cannot be modelled."""
    if raw == "and" or raw == "or":
        return cast(Literal["and", "or"], raw)
    raise _Unmodelled(f"rule operator {raw!r} is neither 'and' nor 'or'", who)


def _member_ids(values: dict[str, Any], unknown: dict[str, Any], account: AccountData,
                who: frozenset[str]) -> tuple[str, ...]:
    out: list[str] = []
    convert: dict[str, Callable[[str], str]] = {
        "ibm_ids": lambda v: _user_iam_id(v, account),
        "iam_service_ids": lambda v: {s.id: s.iam_id for s in account.service_ids}.get(
            v, v if v.startswith("iam-") else "iam-" + v),
        "iam_profile_ids": lambda v: v if v.startswith("iam-") else "iam-" + v,
    }
    for key, fn in convert.items():
        raw = _known(values.get(key), unknown.get(key), key, who)
        for item in raw or ():
            try:
                out.append(fn(str(item)))
            except _Unmodelled as err:
                raise _Unmodelled(err.reason, who) from None
    return tuple(dict.fromkeys(out))


def _rule(after: dict[str, Any], address: str) -> GroupRule:
    gid = str(after.get("access_group_id"))
    claims = []
    for raw in after.get("conditions") or ():
        if not isinstance(raw, dict) or not raw.get("claim") or not raw.get("operator"):
            raise _Unmodelled("conditions: an entry without claim or operator",
                              frozenset({gid}))
        claims.append(RuleClaim(str(raw["claim"]), str(raw["operator"]),
                                str(raw.get("value") or "")))
    rule_id = after.get("rule_id") or (_tail_id(after["id"]) if after.get("id") else "")
    expiration = after.get("expiration")
    if not isinstance(expiration, int) or not after.get("identity_provider"):
        raise _Unmodelled("expiration or identity_provider missing", frozenset({gid}))
    return GroupRule(str(rule_id or f"planned:{address}"), str(after.get("name") or ""),
                     str(after["identity_provider"]), expiration, tuple(claims))
