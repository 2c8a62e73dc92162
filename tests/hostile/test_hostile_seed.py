"""The hostile seed: hostile where IBM allows it, the demo everywhere else, served as it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ibm_platform_services import IamAccessGroupsV2, ResourceManagerV2, UserManagementV1

from iamcheck.emulator import demo_seed, load_seed
from iamcheck.safe_text import FORMULA_PREFIXES, needs_escape
from tests.conftest import Emulator
from tests.hostile.builder import PAYLOADS, PUBLIC_ACCESS, free_text_values, hostile_seed


def _hostile_chars(text: str) -> bool:
    return any(needs_escape(c) for c in text)


def test_every_payload_is_in_the_seed(hostile: dict[str, Any]) -> None:
    values = [v for vs in free_text_values(hostile).values() for v in vs]
    missing = [name for name, payload in PAYLOADS.items()
               if not any(payload in v for v in values)]
    assert missing == []


def test_every_free_text_kind_carries_controls_and_formula_prefixes(
    hostile: dict[str, Any],
) -> None:
    for kind, values in free_text_values(hostile).items():
        if kind != "user.email":
            assert any(_hostile_chars(v) for v in values), kind
        assert any(v.startswith(FORMULA_PREFIXES) for v in values), kind


def test_emails_stay_legal_addresses(hostile: dict[str, Any]) -> None:
    emails = [u["email"] for u in hostile["users"]]
    assert len(set(emails)) == len(emails)
    for email in emails:
        local, domain = email.rsplit("@", 1)
        assert domain == "example.com"
        assert not any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in local)
    assert any(e.startswith(("=", "+", "-")) for e in emails)
    assert any("\u202e" in e for e in emails)


def _structure(seed: dict[str, Any]) -> dict[str, Any]:
    """What verdicts depend on: ids, memberships, policies' rules; not the free text."""
    return {
        "groups": [(g["id"], g.get("members"), g.get("dynamic_members"),
                    [(r.get("realm_name"), r["conditions"]) for r in g.get("rules") or []])
                   for g in seed["access_groups"]],
        "policies": [{k: v for k, v in p.items() if k != "description"}
                     for p in seed["policies"]],
        "users": [(u["iam_id"], u["state"], u.get("realm")) for u in seed["users"]],
        "instances": seed["instances"],
        "rgs": [(g["id"], g.get("default")) for g in seed["resource_groups"]],
        "roles": [(r["name"], r["actions"]) for r in seed["custom_roles"]],
        "keys": seed["api_keys"],
    }


def test_only_free_text_differs_from_the_demo(hostile: dict[str, Any]) -> None:
    assert _structure(hostile) == _structure(demo_seed())
    public = next(g for g in hostile["access_groups"] if g["id"] == PUBLIC_ACCESS)
    assert public["name"] == "Public Access"


def test_values_keep_their_original_text(hostile: dict[str, Any]) -> None:
    demo = {g["id"]: g["name"] for g in demo_seed()["access_groups"]}
    for group in hostile["access_groups"]:
        assert demo[group["id"]] in group["name"]


def test_builder_is_deterministic() -> None:
    assert hostile_seed() == hostile_seed()


def test_emulator_serves_the_hostile_text_exactly(
    hostile_emulator: Emulator, hostile: dict[str, Any]
) -> None:
    account = hostile["account_id"]
    groups = hostile_emulator.client(IamAccessGroupsV2).list_access_groups(
        account_id=account, limit=100).get_result()["groups"]
    assert {g["id"]: g["name"] for g in groups} == {
        g["id"]: g["name"] for g in hostile["access_groups"]}
    users = hostile_emulator.client(UserManagementV1).list_users(
        account_id=account, limit=100).get_result()["resources"]
    assert sorted((u["iam_id"], u["email"], u["firstname"]) for u in users) == sorted(
        (u["iam_id"], u["email"], u["firstname"]) for u in hostile["users"])
    rgs = hostile_emulator.client(ResourceManagerV2).list_resource_groups(
        account_id=account).get_result()["resources"]
    assert {g["id"]: g["name"] for g in rgs} == {
        g["id"]: g["name"] for g in hostile["resource_groups"]}


def test_hostile_seed_survives_a_seed_file(tmp_path: Path, hostile: dict[str, Any]) -> None:
    # the emulator's --seed path: JSON escapes every hostile character, load_seed restores it
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile, ensure_ascii=False), encoding="utf-8")
    assert load_seed(path) == hostile
