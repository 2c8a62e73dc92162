"""The seed: one JSON document describing an account, checked against schema.json."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

MAX_SEED_BYTES = 200 * 1024 * 1024


class SeedError(ValueError):
    """A seed that cannot be served; the message names the bad path."""


@cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def demo_seed() -> dict[str, Any]:
    """The bundled demo account."""
    text = resources.files(__package__).joinpath("demo.json").read_text(encoding="utf-8")
    seed: dict[str, Any] = json.loads(text)
    return seed


def load_seed(path: Path) -> dict[str, Any]:
    """Read and validate a seed file; SeedError with a clear message when it is not one."""
    try:
        if path.stat().st_size > MAX_SEED_BYTES:
            raise SeedError(f"{path}: larger than {MAX_SEED_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SeedError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise SeedError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise SeedError(
            f"{path}: not JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    except RecursionError:
        raise SeedError(f"{path}: not JSON (nested too deeply)") from None
    validate_seed(data, source=str(path))
    return data  # type: ignore[no-any-return]


def _where(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_seed(data: Any, source: str = "seed") -> None:
    """Schema first, then the references between collections."""
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise SeedError(f"{source}: {_where(error.absolute_path)}: {error.message[:300]}")
    _check_references(data, source)


def _unique(items: list[dict[str, Any]], key: str, where: str, source: str) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        value = item.get(key)
        if value is None:
            continue
        if value in seen:
            raise SeedError(f"{source}: $.{where}[{i}].{key}: duplicate value '{value}'")
        seen.add(value)
    return seen


def _check_references(data: dict[str, Any], source: str) -> None:
    users = _unique(data.get("users", []), "iam_id", "users", source)
    _unique(data.get("users", []), "email", "users", source)
    services = _unique(data.get("service_ids", []), "iam_id", "service_ids", source)
    _unique(data.get("access_groups", []), "id", "access_groups", source)
    _unique(data.get("policies", []), "id", "policies", source)
    _unique(data.get("custom_roles", []), "name", "custom_roles", source)
    _unique(data.get("instances", []), "id", "instances", source)
    groups = _unique(data.get("resource_groups", []), "id", "resource_groups", source)
    _unique(data.get("api_keys", []), "apikey", "api_keys", source)
    _unique(data.get("access_groups", []), "name", "access_groups", source)
    principals = users | services
    profiles = _check_profiles(data, principals, source)
    _check_cbr(data, source)
    _check_groups(data, principals, source)
    _check_policies(data, principals | profiles, source)
    for i, key in enumerate(data.get("api_keys", [])):
        if key["iam_id"] not in principals:
            raise SeedError(
                f"{source}: $.api_keys[{i}].iam_id: '{key['iam_id']}' "
                "is neither a user nor a service ID"
            )
    for i, inst in enumerate(data.get("instances", [])):
        if inst["resource_group"] not in groups:
            raise SeedError(
                f"{source}: $.instances[{i}].resource_group: unknown resource group "
                f"'{inst['resource_group']}'"
            )
        if not inst["zone"].startswith(inst["region"] + "-"):
            raise SeedError(
                f"{source}: $.instances[{i}].zone: '{inst['zone']}' "
                f"is not in region '{inst['region']}'"
            )


PUBLIC_ACCESS = "AccessGroupId-PublicAccess"
MAX_GROUPS_PER_MEMBER = 50


def _check_groups(data: dict[str, Any], principals: set[str], source: str) -> None:
    memberships: dict[str, int] = {}
    for i, group in enumerate(data.get("access_groups", [])):
        where = f"{source}: $.access_groups[{i}]"
        if group["id"] == PUBLIC_ACCESS and (group.get("members") or group.get("dynamic_members")):
            raise SeedError(f"{where}.members: the Public Access group holds everyone implicitly")
        if group.get("dynamic_members") and not group.get("rules"):
            raise SeedError(
                f"{where}.dynamic_members: a group without rules has no dynamic members"
            )
        for key in ("members", "dynamic_members"):
            for j, member in enumerate(group.get(key) or []):
                if member["iam_id"] not in principals and not member["iam_id"].startswith(
                    "iam-Profile-"
                ):
                    raise SeedError(f"{where}.{key}[{j}].iam_id: unknown '{member['iam_id']}'")
        for member in group.get("members") or []:
            count = memberships[member["iam_id"]] = memberships.get(member["iam_id"], 0) + 1
            if count > MAX_GROUPS_PER_MEMBER:
                raise SeedError(
                    f"{where}.members: '{member['iam_id']}' is in more than "
                    f"{MAX_GROUPS_PER_MEMBER} groups (IBM's limit)"
                )


def _check_policies(data: dict[str, Any], principals: set[str], source: str) -> None:
    groups = {g["id"] for g in data.get("access_groups", [])} | {PUBLIC_ACCESS}
    for i, policy in enumerate(data.get("policies", [])):
        where = f"{source}: $.policies[{i}]"
        if ("rule" in policy) != ("pattern" in policy):
            raise SeedError(f"{where}: a policy has a pattern exactly when it has a rule")
        for attr in policy["subject"]["attributes"]:
            value = attr["value"]
            if attr["key"] == "iam_id" and value not in principals:
                raise SeedError(f"{where}.subject: unknown iam_id '{value}'")
            if attr["key"] == "access_group_id" and value not in groups:
                raise SeedError(f"{where}.subject: unknown access group '{value}'")


def _check_profiles(data: dict[str, Any], principals: set[str], source: str) -> set[str]:
    """Trusted profiles: unique ids, iam_ids and names; identities that exist; pods named."""
    items = data.get("trusted_profiles", [])
    _unique(items, "id", "trusted_profiles", source)
    _unique(items, "name", "trusted_profiles", source)
    iam_ids = _unique(items, "iam_id", "trusted_profiles", source)
    for i, profile in enumerate(items):
        where = f"{source}: $.trusted_profiles[{i}]"
        if profile["iam_id"] != "iam-" + profile["id"]:
            raise SeedError(f"{where}.iam_id: must be 'iam-' + id ('iam-{profile['id']}')")
        for j, identity in enumerate(profile.get("identities", [])):
            if identity["iam_id"] not in principals:
                raise SeedError(f"{where}.identities[{j}].iam_id: unknown '{identity['iam_id']}'")
        for j, link in enumerate(profile.get("links", [])):
            pod = link["cr_type"] in ("IKS_SA", "ROKS_SA")
            named = "namespace" in link["link"] and "name" in link["link"]
            if pod != named:
                raise SeedError(f"{where}.links[{j}].link: namespace and name are given exactly "
                                "for IKS_SA and ROKS_SA links")
    return iam_ids


def _check_cbr(data: dict[str, Any], source: str) -> None:
    """CBR: unique zone and rule ids; every networkZoneId a rule names is a zone of the seed."""
    zones = _unique(data.get("cbr_zones", []), "id", "cbr_zones", source)
    _unique(data.get("cbr_rules", []), "id", "cbr_rules", source)
    for i, rule in enumerate(data.get("cbr_rules", [])):
        for j, context in enumerate(rule["contexts"]):
            for attribute in context["attributes"]:
                if attribute["name"] != "networkZoneId":
                    continue
                for zone in attribute["value"].split(","):
                    if zone.strip() not in zones:
                        raise SeedError(f"{source}: $.cbr_rules[{i}].contexts[{j}]: unknown "
                                        f"zone '{zone.strip()}'")
