"""`grant --emit terraform|ibmcloud|json` through the real CLI on the served demo: the HCL parses
with python-hcl2 and names the provider's resource and arguments, an apply adds the import
block of the policy it created, and the body is the one grant posts."""

from __future__ import annotations

import json
import shlex
from typing import Any

import hcl2

from tests.cli.conftest import NOTHING, VM, Invoke, active
from tests.conftest import Emulator

GROUP = "data-analysts"  # a demo access group without console access on pay-api-02


def unquote(value: Any) -> Any:
    """python-hcl2 keeps a string's quotes; undo them as Terraform would."""
    return json.loads(value) if isinstance(value, str) and value.startswith('"') else value


def resources(text: str) -> dict[str, dict[str, Any]]:
    """resource type -> its one block's arguments, unquoted."""
    found: dict[str, dict[str, Any]] = {}
    for block in hcl2.loads(text).get("resource", []):
        for rtype, named in block.items():
            ((_, body),) = named.items()
            found[unquote(rtype)] = body
    return found


def test_terraform_dry_run_is_a_user_policy_with_a_time_window(against: Invoke,
                                                               demo: Emulator) -> None:
    before = set(active(demo))
    run = against("grant", NOTHING, "-i", VM, "--ttl", "8h", "--dry-run", "--emit", "terraform")
    assert run.exit_code == 0, run.stderr
    parsed = hcl2.loads(run.stdout)
    assert "import" not in parsed  # nothing was created
    policy = resources(run.stdout)["ibm_iam_user_policy"]
    assert unquote(policy["ibm_id"]) == NOTHING
    assert [unquote(r) for r in policy["roles"]] == ["Operator", "Console Administrator"]
    (scope,) = policy["resources"]
    assert unquote(scope["service"]) == "is"
    vm = next(i for i in demo.backend.seed["instances"] if i["name"] == VM)
    assert unquote(scope["resource_instance_id"]) == vm["id"]
    operators = [unquote(c["operator"]) for c in policy["rule_conditions"]]
    assert operators == ["dateTimeGreaterThanOrEquals", "dateTimeLessThanOrEquals"]
    assert unquote(policy["pattern"]) == "time-based-conditions:once"
    assert set(active(demo)) == before and run.stdout.count("resource ") == 1


def test_after_an_apply_an_import_block_adopts_the_created_policy(against: Invoke,
                                                                 demo: Emulator) -> None:
    before = set(active(demo))
    run = against("grant", NOTHING, "-i", VM, "--yes", "--emit", "terraform")
    assert run.exit_code == 0, run.stderr
    (created,) = set(active(demo)) - before
    (block,) = hcl2.loads(run.stdout)["import"]
    assert unquote(block["id"]) == f"{NOTHING}/{created}"  # the provider's import ID
    label = next(iter(next(iter(hcl2.loads(run.stdout)["resource"][0].values()))))
    assert block["to"] == "${ibm_iam_user_policy." + unquote(label) + "}"


def test_an_access_group_is_an_access_group_policy(against: Invoke, demo: Emulator) -> None:
    run = against("grant", "--access-group", GROUP, "-i", VM, "--dry-run", "--emit", "terraform")
    assert run.exit_code == 0, run.stderr
    policy = resources(run.stdout)["ibm_iam_access_group_policy"]
    group = next(g for g in demo.backend.seed["access_groups"] if g["name"] == GROUP)
    assert unquote(policy["access_group_id"]) == group["id"]
    assert "rule_conditions" not in policy


def test_ibmcloud_and_json(against: Invoke, demo: Emulator) -> None:
    command = against("grant", NOTHING, "-i", VM, "--dry-run", "--emit", "ibmcloud")
    assert command.exit_code == 0
    words = shlex.split(command.stdout)
    assert words[:4] == ["ibmcloud", "iam", "user-policy-create", NOTHING]
    assert "Operator,Console Administrator" in words
    body = against("grant", NOTHING, "-i", VM, "--dry-run", "--emit", "json")
    (line,) = body.stdout.splitlines()
    posted = json.loads(line)
    assert posted["type"] == "access"
    roles = {r["role_id"] for r in posted["control"]["grant"]["roles"]}
    assert roles == {"crn:v1:bluemix:public:iam::::role:Operator",
                     "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"}
    full = against("grant", NOTHING, "-i", VM, "--dry-run", "--output", "json").json()
    assert full["subjects"][0]["policy"]["body"] == posted


def test_nothing_to_create_emits_nothing(against: Invoke) -> None:
    run = against("grant", "ravi.lindqvist@example.com", "-i", VM, "--dry-run", "--emit",
                  "terraform")
    assert run.exit_code == 0 and run.stdout == ""
