"""IAM Access Groups: groups, their static and dynamic members, and their dynamic rules."""

from __future__ import annotations

import uuid
from typing import Any

from iamcheck.emulator.backend.group_model import (
    GROUP_SORT,
    MAX_GROUPS_PER_ACCOUNT,
    MAX_GROUPS_PER_MEMBER,
    MAX_RULES_PER_GROUP,
    MEMBER_TYPES,
    PUBLIC_ACCESS_ID,
    SEED_TIME,
    Group,
    Member,
    Rule,
    check_batch,
    check_etag,
    check_membership_type,
    failure,
    group_fields,
    now,
    rule_fields,
    search_hit,
    type_of,
)
from iamcheck.emulator.errors import IbmError, bad_request, not_found


class GroupStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        keys = seed.get("api_keys", [])
        self.creator: str = keys[0]["iam_id"] if keys else "system"
        # who is who, for verbose member lists and the Public Access group's implicit members
        self.principals: dict[str, dict[str, str]] = {
            u["iam_id"]: {"name": f"{u.get('firstname', '')} {u.get('lastname', '')}".strip(),
                          "email": u["email"]} for u in seed.get("users", [])}
        for s in seed.get("service_ids", []):
            self.principals[s["iam_id"]] = {"name": s["name"],
                                            "description": s.get("description", "")}
        public = Group(PUBLIC_ACCESS_ID, "Public Access",
                       "Public access group: every user and service ID of the account.",
                       SEED_TIME, "system", SEED_TIME, "system")
        self.groups: dict[str, Group] = {PUBLIC_ACCESS_ID: public}
        self._settings: dict[str, Any] = {}  # PATCH /v2/groups/settings
        for g in seed.get("access_groups", []):
            if g["id"] != PUBLIC_ACCESS_ID:  # a seed may list it; it stays IBM's, as built above
                self.groups[g["id"]] = self._from_seed(g)

    def _from_seed(self, g: dict[str, Any]) -> Group:
        group = Group(g["id"], g["name"], g.get("description", ""), SEED_TIME, self.creator,
                      SEED_TIME, self.creator)
        for m in g.get("members", []):
            group.members[m["iam_id"]] = Member(m["iam_id"], m.get("type", type_of(m["iam_id"])),
                                                SEED_TIME, self.creator)
        for m in g.get("dynamic_members", []):
            group.dynamic[m["iam_id"]] = Member(m["iam_id"], "user", SEED_TIME, "system")
        for i, r in enumerate(g.get("rules", [])):
            rid = r.get("id") or f"ClaimRule-{uuid.uuid5(uuid.NAMESPACE_URL, g['id'] + f'/{i}')}"
            group.rules[rid] = Rule(rid, r["name"], r["expiration"], r["realm_name"],
                                    [dict(c) for c in r["conditions"]], SEED_TIME, self.creator,
                                    SEED_TIME, self.creator)
        return group

    # --- groups ---------------------------------------------------------------------------

    def check_account(self, account_id: str | None) -> None:
        if not account_id:
            raise bad_request("The query parameter 'account_id' is required.", "missing_account_id")
        if account_id != self.account_id:
            raise IbmError(403, "forbidden",
                           f"You are not authorized to access account '{account_id}'.")

    def get(self, group_id: str) -> Group:
        try:
            return self.groups[group_id]
        except KeyError:
            raise not_found("Access group", group_id) from None

    def editable(self, group_id: str) -> Group:
        group = self.get(group_id)
        if group.id == PUBLIC_ACCESS_ID:  # IBM manages it: no renames, members, rules or delete
            raise IbmError(403, "public_access_group_protected",
                           "The Public Access group cannot be changed or deleted.")
        return group

    def list_groups(self, *, iam_id: str | None, membership_type: str | None, search: str | None,
                    sort: str | None, hide_public: bool) -> list[Group]:
        groups = [g for g in self.groups.values() if not (hide_public and g.id == PUBLIC_ACCESS_ID)]
        check_membership_type(membership_type)
        if iam_id is not None:  # (decision) IBM states no default membership_type: static
            groups = [g for g in groups if self.holds(g, iam_id, membership_type or "static")]
        elif membership_type is not None:
            raise bad_request("membership_type needs to be specified along with iam_id.",
                              "invalid_value")
        if search:
            groups = [g for g in groups if search_hit(g, search)]
        if sort:
            key = GROUP_SORT.get(sort.lstrip("-"))
            if key is None:
                raise bad_request("sort must be one of id, name, description, is_federated.",
                                  "invalid_value")
            groups.sort(key=key, reverse=sort.startswith("-"))
        return groups

    def holds(self, group: Group, iam_id: str, kind: str) -> bool:
        """Is `iam_id` a member of `group` by `kind` (static, dynamic or all)?"""
        if group.id == PUBLIC_ACCESS_ID:  # implicitly: everyone of the account, when enabled
            return self.public_access_enabled and iam_id in self.principals
        return (kind != "dynamic" and iam_id in group.members) or (
            kind != "static" and iam_id in group.dynamic)

    def create_group(self, name: Any, description: Any, caller: str) -> Group:
        name, description = group_fields(name, description, required=True)
        self._unique_name(name, None)
        if len(self.groups) - 1 >= MAX_GROUPS_PER_ACCOUNT:
            raise bad_request(f"An account can have at most {MAX_GROUPS_PER_ACCOUNT} access "
                              "groups.", "limit_exceeded")
        stamp = now()
        group = Group(f"AccessGroupId-{uuid.uuid4()}", name, description or "", stamp, caller,
                      stamp, caller)
        self.groups[group.id] = group
        return group

    def update_group(self, group_id: str, if_match: str | None, name: Any, description: Any,
                     caller: str) -> Group:
        group = self.editable(group_id)
        check_etag(if_match, group.etag, "access group")
        name, description = group_fields(name, description, required=False)
        if name is not None:
            self._unique_name(name, group.id)
            group.name = name
        if description is not None:
            group.description = description
        group.revision += 1
        group.last_modified_at, group.last_modified_by_id = now(), caller
        return group

    def delete_group(self, group_id: str, force: bool) -> None:
        group = self.editable(group_id)
        if (group.members or group.rules) and not force:
            raise IbmError(409, "group_not_empty",
                           f"Access group '{group_id}' still has members or rules; "
                           "set force=true to delete it with them.")
        del self.groups[group_id]

    def _unique_name(self, name: str, own_id: str | None) -> None:
        for g in self.groups.values():
            if g.name.lower() == name.lower() and g.id != own_id:
                raise IbmError(409, "group_name_conflict",
                               f"An access group named '{g.name}' already exists in the account.")

    # --- members --------------------------------------------------------------------------

    def list_members(self, group_id: str, membership_type: str | None, member_type: str | None,
                     sort: str | None) -> list[tuple[Member, str]]:
        group = self.get(group_id)
        kind = membership_type or "static"
        check_membership_type(kind)
        rows = [(m, "static") for m in group.members.values()] if kind != "dynamic" else []
        if kind != "static":  # a member both ways is listed once, as static
            rows += [(m, "dynamic") for m in group.dynamic.values()
                     if kind == "dynamic" or m.iam_id not in group.members]
        if member_type is not None:
            rows = [r for r in rows if r[0].type == member_type]
        if sort:
            field_name = {"id": "iam_id", "name": "name", "email": "email"}.get(sort.lstrip("-"))
            if field_name is None:
                raise bad_request("sort must be one of id, name, email.", "invalid_value")
            rows.sort(key=lambda r: self.member_info(r[0]).get(field_name, "").lower(),
                      reverse=sort.startswith("-"))
        return rows

    def member_info(self, m: Member) -> dict[str, str]:
        """What verbose lists add: a user's name and email, a service ID's name, description."""
        return {"iam_id": m.iam_id, **self.principals.get(m.iam_id, {})}

    def groups_of(self, iam_id: str) -> list[Group]:
        """The groups `iam_id` was added to (the ones that count toward IBM's 50)."""
        return [g for g in self.groups.values() if iam_id in g.members]

    def add_member(self, group: Group, iam_id: Any, member_type: Any,
                   caller: str) -> dict[str, Any]:
        """Add one member; the item of the 207 answer that tells how it went."""
        if not isinstance(iam_id, str) or not iam_id:
            return failure(400, "invalid_iam_id", "Each member needs an iam_id.", iam_id=iam_id)
        if member_type not in MEMBER_TYPES:
            return failure(400, "invalid_member_type", "type must be user, service or profile.",
                           iam_id=iam_id)
        if iam_id not in group.members:
            if len(self.groups_of(iam_id)) >= MAX_GROUPS_PER_MEMBER:
                return failure(400, "group_limit_exceeded",
                               f"'{iam_id}' already belongs to {MAX_GROUPS_PER_MEMBER} access "
                               "groups, the most one iam_id can be added to.", iam_id=iam_id)
            group.members[iam_id] = Member(iam_id, member_type, now(), caller)
        m = group.members[iam_id]
        return {"iam_id": iam_id, "type": m.type, "created_at": m.created_at,
                "created_by_id": m.created_by_id, "status_code": 200}

    def add_members(self, group_id: str, items: Any, caller: str) -> list[dict[str, Any]]:
        group = self.editable(group_id)
        check_batch(items, "members")
        return [self.add_member(group, i.get("iam_id"), i.get("type"), caller)
                if isinstance(i, dict) else failure(400, "invalid_member", "Not a member object.")
                for i in items]

    def remove_member(self, group_id: str, iam_id: str) -> None:
        group = self.editable(group_id)
        if iam_id in group.members:
            del group.members[iam_id]
        elif iam_id in group.dynamic:
            raise bad_request(f"'{iam_id}' is a member through a dynamic rule; change the group's "
                              "rules to remove it.", "dynamic_member")
        else:
            raise IbmError(404, "not_found",
                           f"'{iam_id}' is not a member of access group '{group_id}'.")

    def remove_members(self, group_id: str, iam_ids: Any) -> list[dict[str, Any]]:
        group = self.editable(group_id)
        check_batch(iam_ids, "members")
        results: list[dict[str, Any]] = []
        for iam_id in iam_ids:
            if isinstance(iam_id, str) and iam_id in group.members:
                del group.members[iam_id]
                results.append({"iam_id": iam_id, "trace": uuid.uuid4().hex, "status_code": 204})
            else:
                results.append(failure(404, "not_found", f"'{iam_id}' is not a member of access "
                                       f"group '{group_id}'.", iam_id=iam_id))
        if all(r["status_code"] == 404 for r in results):
            raise IbmError(404, "not_found",
                           f"None of the given iam_ids is a member of access group '{group_id}'.")
        return results

    def remove_from_all(self, account_id: str | None, iam_id: str) -> None:
        self.check_account(account_id)
        groups = self.groups_of(iam_id)
        if not groups:
            raise IbmError(404, "not_found", f"'{iam_id}' is not a member of any access group.")
        for g in groups:
            del g.members[iam_id]

    def add_to_groups(self, account_id: str | None, iam_id: str, member_type: Any, group_ids: Any,
                      caller: str) -> list[dict[str, Any]]:
        self.check_account(account_id)
        check_batch(group_ids, "groups")
        if member_type not in MEMBER_TYPES:
            raise bad_request("type must be user, service or profile.", "invalid_member_type")
        results = []
        for gid in group_ids:
            group = self.groups.get(gid) if isinstance(gid, str) else None
            if group is None:
                results.append(failure(404, "not_found", f"Access group '{gid}' was not found.",
                                       access_group_id=gid))
            elif gid == PUBLIC_ACCESS_ID:
                results.append(failure(403, "public_access_group_protected",
                                       "Members cannot be added to the Public Access group.",
                                       access_group_id=gid))
            else:
                item = self.add_member(group, iam_id, member_type, caller)
                keep = ("status_code", "trace", "errors")
                results.append({"access_group_id": gid, **{k: item[k] for k in keep if k in item}})
        return results

    # --- rules ----------------------------------------------------------------------------

    def get_rule(self, group_id: str, rule_id: str) -> Rule:
        try:
            return self.get(group_id).rules[rule_id]
        except KeyError:
            raise not_found("Rule", rule_id) from None

    def add_rule(self, group_id: str, body: dict[str, Any], caller: str) -> Rule:
        group = self.editable(group_id)
        if len(group.rules) >= MAX_RULES_PER_GROUP:
            raise bad_request(f"An access group can have at most {MAX_RULES_PER_GROUP} rules.",
                              "rule_limit_exceeded")
        stamp = now()
        rule = Rule(f"ClaimRule-{uuid.uuid4()}", *rule_fields(body), stamp, caller, stamp, caller)
        group.rules[rule.id] = rule
        return rule

    def replace_rule(self, group_id: str, rule_id: str, if_match: str | None,
                     body: dict[str, Any], caller: str) -> Rule:
        self.editable(group_id)
        rule = self.get_rule(group_id, rule_id)
        check_etag(if_match, rule.etag, "rule")
        rule.name, rule.expiration, rule.realm_name, rule.conditions = rule_fields(body)
        rule.revision += 1
        rule.last_modified_at, rule.last_modified_by_id = now(), caller
        return rule

    def remove_rule(self, group_id: str, rule_id: str) -> None:
        self.editable(group_id)
        self.get_rule(group_id, rule_id)
        del self.groups[group_id].rules[rule_id]

    def settings(self, account_id: str | None) -> dict[str, Any]:
        self.check_account(account_id)
        return {"account_id": self.account_id, "last_modified_at": SEED_TIME,
                "last_modified_by_id": self.creator, "public_access_enabled": True,
                **self._settings}

    def update_settings(self, account_id: str | None, public_access_enabled: Any,
                        caller: str) -> dict[str, Any]:
        """PATCH /v2/groups/settings: turn the Public Access group on or off."""
        self.check_account(account_id)
        if not isinstance(public_access_enabled, bool):
            raise bad_request("public_access_enabled must be true or false.", "invalid_value")
        self._settings = {"public_access_enabled": public_access_enabled,
                          "last_modified_at": now(), "last_modified_by_id": caller}
        return self.settings(account_id)

    @property
    def public_access_enabled(self) -> bool:
        return bool(self._settings.get("public_access_enabled", True))
