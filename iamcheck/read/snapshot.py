"""Saving what was read (never a secret) and reading it back, so audit and check can run offline."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from iamcheck.errors import BadInput
from iamcheck.model import (
    EVERY,
    AccessGroup,
    AccountData,
    CbrAddress,
    CbrAttribute,
    CbrContext,
    CbrResource,
    CbrRule,
    CbrZone,
    Gap,
    GroupRule,
    Instance,
    LayerGap,
    Membership,
    Policy,
    ProfileLink,
    ProfileRule,
    Reach,
    ResourceGroup,
    Role,
    RuleClaim,
    ServiceId,
    TrustedProfile,
    User,
)
from iamcheck.policy_json import attributes_from_json, rule_from_json
from iamcheck.strict_json import JsonRefused, loads, read_bounded

SCHEMA_VERSION = 2
KIND = "iamcheck-snapshot"


def to_json(data: AccountData) -> dict[str, Any]:
    body = asdict(data)
    body["read_at"] = data.read_at.isoformat()
    for role in body["roles"]:
        role["actions"] = sorted(role["actions"])
    for policy in body["policies"]:
        for role in policy["display_roles"]:
            role["actions"] = sorted(role["actions"])
        if policy["last_permit_at"] is not None:
            policy["last_permit_at"] = policy["last_permit_at"].isoformat()
    for inst in body["instances"]:
        inst["access_tags"] = sorted(inst["access_tags"])
    body["gaps"] = [{"what": g.what, "reason": g.reason, "subjects": _reach_json(g.subjects),
                     "instances": _reach_json(g.instances)} for g in data.gaps]
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "account": body}


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    with open_atomic(path) as out:
        out.write(text)


@contextmanager
def open_atomic(path: Path) -> Iterator[TextIO]:
    """A temporary file beside `path` to write to (as a stream), renamed into place when the
    block ends without error; removed otherwise."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: AccountData) -> str:
    return json.dumps(to_json(data), indent=1, sort_keys=True) + "\n"


def save(data: AccountData, path: Path) -> None:
    write_atomic(path, dumps(data))


def load(path: Path) -> AccountData:
    # bounded, strict: a huge integer or a duplicate key is exit 2 naming the file
    try:
        doc = loads(read_bounded(path, "--from-snapshot"))
    except JsonRefused as err:
        raise BadInput(f"--from-snapshot: {path} is not a JSON snapshot ({err})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise BadInput(f"--from-snapshot: {path} is not an iamcheck snapshot")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise BadInput(
            f"--from-snapshot: {path} has schema_version {doc.get('schema_version')!r}; "
            f"this iamcheck reads {SCHEMA_VERSION}"
        )
    try:
        return from_json(doc["account"])
    except (KeyError, TypeError, ValueError) as err:
        raise BadInput(
            f"--from-snapshot: {path} is damaged ({type(err).__name__}: {err})"
        ) from None


def _build(cls: type[Any], raw: dict[str, Any], **override: Any) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)} in {cls.__name__}")
    return cls(**{**raw, **override})


def _reach_json(reach: Reach) -> dict[str, Any]:
    return {"every": True} if reach is EVERY else {"only": sorted(reach)}


def _reach(raw: dict[str, Any]) -> Reach:
    if raw == {"every": True}:
        return EVERY
    if set(raw) != {"only"} or not isinstance(raw["only"], list):
        raise ValueError(f"a gap's reach is {{'every': true}} or {{'only': [...]}}, not {raw!r}")
    return frozenset(map(str, raw["only"]))


def _policy(raw: dict[str, Any]) -> Policy:
    policy: Policy = _build(
        Policy,
        raw,
        subject=attributes_from_json(raw["subject"]),
        resource=attributes_from_json(raw["resource"]),
        tags=attributes_from_json(raw["tags"]),
        role_ids=tuple(raw["role_ids"]),
        rule=rule_from_json(raw["rule"]) if raw["rule"] else None,
        display_roles=tuple(_role(r) for r in raw.get("display_roles", [])),
        last_permit_at=_instant(raw.get("last_permit_at")),
    )
    return policy


def _instant(raw: Any) -> datetime | None:
    return datetime.fromisoformat(str(raw)) if raw is not None else None


def _role(raw: dict[str, Any]) -> Role:
    role: Role = _build(Role, raw, actions=frozenset(raw["actions"]))
    return role


def _profile(raw: dict[str, Any]) -> TrustedProfile:
    rules = tuple(
        _build(ProfileRule, r, conditions=tuple(_build(RuleClaim, c) for c in r["conditions"]))
        for r in raw["rules"]
    )
    links = tuple(_build(ProfileLink, link) for link in raw["links"])
    profile: TrustedProfile = _build(TrustedProfile, raw, rules=rules, links=links)
    return profile


def _cbr_zone(raw: dict[str, Any]) -> CbrZone:
    zone: CbrZone = _build(
        CbrZone, raw,
        addresses=tuple(_build(CbrAddress, a) for a in raw["addresses"]),
        excluded=tuple(_build(CbrAddress, a) for a in raw["excluded"]),
    )
    return zone


def _cbr_rule(raw: dict[str, Any]) -> CbrRule:
    def attrs(items: list[dict[str, Any]]) -> tuple[CbrAttribute, ...]:
        return tuple(_build(CbrAttribute, a) for a in items)

    rule: CbrRule = _build(
        CbrRule, raw,
        contexts=tuple(_build(CbrContext, c, attributes=attrs(c["attributes"]))
                       for c in raw["contexts"]),
        resources=tuple(_build(CbrResource, r, attributes=attrs(r["attributes"]),
                               tags=attrs(r["tags"])) for r in raw["resources"]),
        operations=tuple(raw["operations"]),
    )
    return rule


def _group(raw: dict[str, Any]) -> AccessGroup:
    rules = tuple(
        _build(GroupRule, r, conditions=tuple(_build(RuleClaim, c) for c in r["conditions"]))
        for r in raw["rules"]
    )
    group: AccessGroup = _build(AccessGroup, raw, rules=rules)
    return group


def from_json(raw: dict[str, Any]) -> AccountData:
    return AccountData(
        account_id=raw["account_id"],
        read_at=datetime.fromisoformat(raw["read_at"]),
        users=tuple(_build(User, u) for u in raw["users"]),
        service_ids=tuple(_build(ServiceId, s) for s in raw["service_ids"]),
        groups=tuple(_group(g) for g in raw["groups"]),
        memberships=tuple(_build(Membership, m) for m in raw["memberships"]),
        policies=tuple(_policy(p) for p in raw["policies"]),
        roles=tuple(_role(r) for r in raw["roles"]),
        resource_groups=tuple(_build(ResourceGroup, g) for g in raw["resource_groups"]),
        instances=tuple(
            _build(Instance, i, access_tags=frozenset(i["access_tags"])) for i in raw["instances"]
        ),
        gaps=tuple(
            _build(Gap, g, subjects=_reach(g["subjects"]), instances=_reach(g["instances"]))
            for g in raw["gaps"]
        ),
        # written since rules revision 2; older snapshots have none
        profiles=tuple(_profile(p) for p in raw.get("profiles", [])),
        cbr_zones=tuple(_cbr_zone(z) for z in raw.get("cbr_zones", [])),
        cbr_rules=tuple(_cbr_rule(r) for r in raw.get("cbr_rules", [])),
        layer_gaps=tuple(_build(LayerGap, g) for g in raw.get("layer_gaps", [])),
    )
