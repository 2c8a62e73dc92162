"""The seed's rev-2 keys: schema, reference checks, and the generator's extras."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from iamcheck.emulator import Backend
from iamcheck.emulator.backend.authz import may_open_console
from iamcheck.emulator.seed import SeedError, validate_seed
from iamcheck.emulator.seed.generate import Extras, generate
from tests.emulator.rev2_seed import PROFILE, SERVICE_ID, rev2_seed

EXTRAS = Extras(login_claims=0.9, public_console=2, role_layout="is.instance", profiles=8,
                cbr_rules=6)


def broken(change: Any) -> str:
    seed = rev2_seed()
    change(seed)
    with pytest.raises(SeedError) as info:
        validate_seed(seed)
    return str(info.value)


def test_rev2_seed_is_valid() -> None:
    validate_seed(rev2_seed())


def test_profile_checks() -> None:
    assert "iam_id: must be 'iam-' + id" in broken(
        lambda s: s["trusted_profiles"][0].update(iam_id="iam-Profile-other"))
    assert "duplicate value 'sre-oncall'" in broken(
        lambda s: s["trusted_profiles"][1].update(name="sre-oncall"))
    assert "identities[0].iam_id: unknown" in broken(
        lambda s: s["trusted_profiles"][0]["identities"][0].update(iam_id="IBMid-nobody0"))
    assert "namespace and name" in broken(
        lambda s: s["trusted_profiles"][0]["links"][1]["link"].pop("namespace"))
    assert "cr_type" in broken(
        lambda s: s["trusted_profiles"][0]["links"][0].update(cr_type="VM"))
    assert "unknown iam_id 'iam-Profile-gone'" in broken(
        lambda s: s["policies"][5]["subject"]["attributes"][0].update(value="iam-Profile-gone"))


def test_login_and_layout_checks() -> None:
    assert "login" in broken(lambda s: s["users"][1].update(login={"realm": "x"}))
    assert "vpc_roles_listed_under" in broken(lambda s: s.update(vpc_roles_listed_under="vpc"))


def test_cbr_checks() -> None:
    zone = {"id": "z1", "name": "office", "addresses": [{"type": "subnet", "value": "10.0.0.0/8"}]}
    rule = {"id": "r1", "contexts": [{"attributes": [{"name": "networkZoneId", "value": "z2"}]}],
            "resources": [{"attributes": [{"name": "serviceName", "value": "is"}]}],
            "enforcement_mode": "enabled"}
    assert "unknown zone 'z2'" in broken(lambda s: s.update(cbr_zones=[zone], cbr_rules=[rule]))
    assert "enforcement_mode" in broken(lambda s: s.update(
        cbr_zones=[zone], cbr_rules=[{**rule, "enforcement_mode": "on"}]))
    assert "type" in broken(lambda s: s.update(cbr_zones=[
        {**zone, "addresses": [{"type": "hostname", "value": "x"}]}]))


def test_generator_extras_are_valid_and_deterministic() -> None:
    args = {"users": 200, "instances": 30, "groups": 30, "policies": 120, "seed": 7,
            "regions": 2}
    first = generate(**args, extras=EXTRAS)
    validate_seed(first)
    assert json.dumps(first) == json.dumps(generate(**args, extras=EXTRAS))
    assert json.dumps(generate(**args)) == json.dumps(generate(**args, extras=Extras()))
    assert first["vpc_roles_listed_under"] == "is.instance"
    assert len(first["trusted_profiles"]) == 8 and len(first["cbr_rules"]) == 6
    assert any("login" in u for u in first["users"])
    assert {r["enforcement_mode"] for r in first["cbr_rules"]} <= {"enabled", "report", "disabled"}
    assert sum(p["description"].startswith("public_console") for p in first["policies"]) == 2
    assert len(first["policies"]) == 120 + 2 + 8
    with pytest.raises(ValueError, match="login claims"):
        generate(**args, extras=Extras(login_claims=2.0))


def test_generated_logins_join_dynamic_groups_when_their_claims_match() -> None:
    seed = generate(users=400, instances=5, groups=60, policies=40, seed=3, regions=1,
                    extras=Extras(login_claims=1.0))
    backend = Backend(seed)
    signed_in = {u["iam_id"] for u in seed["users"] if "login" in u}
    listed = {m["iam_id"] for g in seed["access_groups"] for m in g.get("dynamic_members", [])}
    joined = {m for g in backend.groups.groups.values() for m in g.dynamic} - listed
    assert joined and joined <= signed_in


def test_profile_caller_uses_the_profiles_policies() -> None:
    backend = Backend(rev2_seed())
    instance = backend.vpc.instances()[0]
    assert may_open_console(backend, "iam-" + PROFILE, instance)
    assert not may_open_console(backend, SERVICE_ID, instance)  # may assume it, holds nothing


def _get_when_up(url: str) -> Any:
    """The server prints its URL before it accepts: retry briefly."""
    for _ in range(50):
        try:
            return requests.get(url, timeout=5).json()
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_serve_takes_a_propagation_delay(tmp_path: Any) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(rev2_seed()))
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamcheck", "emulator", "serve", "--seed", str(seed), "--port",
         "0", "--propagation-delay", "7", "--metadata-instance",
         rev2_seed()["instances"][0]["id"]],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    try:
        assert proc.stderr is not None
        url = None
        for _ in range(20):
            line = proc.stderr.readline()
            found = re.search(r"base URL: (\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url is not None
        config = _get_when_up(f"{url}/_emulator/config")
        assert config["propagation_delay"] == 7.0
        assert config["metadata_instance"] == rev2_seed()["instances"][0]["id"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_generated_profiles_page_without_loss(emulator: Any) -> None:
    from ibm_platform_services import IamIdentityV1
    from ibm_platform_services.context_based_restrictions_v1 import ContextBasedRestrictionsV1

    seed = generate(users=30, instances=10, groups=4, policies=20, seed=5, regions=1,
                    extras=Extras(profiles=45, cbr_rules=12))
    emulator.load(seed)
    admin = seed["api_keys"][0]["apikey"]
    client = emulator.client(IamIdentityV1, admin)
    seen, token = [], None
    while True:
        page = client.list_profiles(account_id=seed["account_id"], pagesize=10,
                                    pagetoken=token).get_result()
        seen += [p["id"] for p in page["profiles"]]
        if "next" not in page:
            break
        token = page["next"].split("pagetoken=")[1]
    assert sorted(seen) == sorted(p["id"] for p in seed["trusted_profiles"])
    assert len(seen) == len(set(seen)) == 45
    rules = emulator.client(ContextBasedRestrictionsV1, admin).list_rules(
        account_id=seed["account_id"], service_name="is").get_result()
    assert rules["count"] == 12
