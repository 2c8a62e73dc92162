"""Requirement files: the bundled one, validation errors, and a second requirement as pure data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iamcheck.decide import Verdict, decide, decide_account
from iamcheck.model import Attribute, Policy, Role
from iamcheck.requirement import (
    GrantRole,
    RequirementError,
    bundled_path,
    load_requirement,
    requirement_dirs,
)
from tests.unit.decide_builders import ACCOUNT, ALICE, AT, account, instance, user

GOOD = """
id = "vsi-reboot"
title = "Reboot a virtual server"
service = "is"
instance_attribute = "instanceId"
actions = ["is.instance.instance.operate"]

[[grant]]
crn_suffix = "role:Operator"
display_name = "Operator"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "req.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_vpc_console_requirement() -> None:
    req = load_requirement()
    assert req.id == "vpc-console"
    assert (req.service, req.instance_attribute) == ("is", "instanceId")
    assert req.actions == ("is.instance.instance.operate", "is.instance.instance.console")
    assert [(g.crn_suffix, g.display_name, g.kind) for g in req.grant_roles] == [
        ("role:Operator", "Operator", "platform"),
        ("serviceRole:VirtualServerConsoleAdmin", "Console Administrator", "service")]
    assert req.source == bundled_path()
    assert req.source is not None and req.source.parent in requirement_dirs()


def test_grant_role_matches_by_crn_suffix_whatever_the_segment() -> None:
    console = GrantRole("serviceRole:VirtualServerConsoleAdmin", "Console Administrator")
    assert console.matches("crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin")
    assert console.matches("crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin")
    assert not console.matches("crn:v1:bluemix:public:is::::serviceRole:XVirtualServerConsoleAdmin")


def test_a_second_requirement_needs_no_code(tmp_path: Path) -> None:
    req = load_requirement(write(tmp_path, GOOD))
    operator = "crn:v1:bluemix:public:iam::::role:Operator"
    roles = [Role(operator, "Operator", "system", frozenset(req.actions))]
    pol = Policy("p1", "access", "active", (Attribute("iam_id", "stringEquals", ALICE),),
                 (Attribute("accountId", "stringEquals", ACCOUNT),
                  Attribute("serviceName", "stringEquals", "is")), (operator,))
    acct = account(users=[user()], policies=[pol], roles=roles, instances=[instance()])
    assert decide(acct, req, ALICE, instance(), AT).verdict is Verdict.ALLOW


def test_a_requirement_on_another_service_and_attribute(tmp_path: Path) -> None:
    text = """
id = "bastion-connect"
title = "Connect through a bastion"
service = "bastion"
instance_attribute = "serverId"
actions = ["bastion.server.connect", "bastion.session.record"]
[[grant]]
crn_suffix = "serviceRole:Connector"
display_name = "Connector"
"""
    req = load_requirement(write(tmp_path, text))
    role = "crn:v1:bluemix:public:bastion::::serviceRole:Connector"
    roles = [Role(role, "Connector", "service", frozenset(req.actions))]
    inst = instance("srv-1")

    def on(attr: str) -> Policy:
        return Policy("p1", "access", "active", (Attribute("iam_id", "stringEquals", ALICE),),
                      (Attribute("serviceName", "stringEquals", "bastion"),
                       Attribute(attr, "stringEquals", "srv-1")),
                      ("crn:v1:bluemix:public:iam::::serviceRole:Connector",))  # R4 suffix

    for attr, expected in (("serverId", Verdict.ALLOW), ("instanceId", Verdict.UNKNOWN)):
        acct = account(users=[user()], policies=[on(attr)], roles=roles, instances=[inst])
        assert decide(acct, req, ALICE, inst, AT).verdict is expected
        assert decide_account(acct, req, AT).verdict(ALICE, "srv-1") is expected
    vpc = load_requirement()  # the VPC requirement sees nothing in a bastion policy
    acct = account(users=[user()], policies=[on("serverId")], roles=roles, instances=[inst])
    assert decide(acct, vpc, ALICE, inst, AT).verdict is Verdict.DENY


@pytest.mark.parametrize(("text", "key"), [
    ('colour = "blue"\n' + GOOD, "colour"),
    (GOOD.replace('id = "vsi-reboot"\n', ""), "id"),
    (GOOD.replace('"vsi-reboot"', '"Bad Id"'), "id"),
    (GOOD.replace('title = "Reboot a virtual server"', "title = 3"), "title"),
    (GOOD.replace('service = "is"', 'service = ""'), "service"),
    (GOOD.replace('["is.instance.instance.operate"]', "[]"), "actions"),
    (GOOD.replace('["is.instance.instance.operate"]', '["cos.bucket.read"]'), "actions[0]"),
    (GOOD.replace('["is.instance.instance.operate"]',
                  '["is.instance.instance.operate", "is.instance.instance.operate"]'),
     "actions[1]"),
    (GOOD.replace('crn_suffix = "role:Operator"', 'crn_suffix = "Operator"'),
     "grant[0].crn_suffix"),
    (GOOD.replace('display_name = "Operator"', 'display_name = ""'), "grant[0].display_name"),
    (GOOD + 'role = "x"\n', "grant[0].role"),
    (GOOD.split("[[grant]]")[0], "grant"),
])
def test_invalid_requirement_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RequirementError, match=re.escape(f"key '{key}'")) as info:
        load_requirement(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(RequirementError, match="cannot read"):
        load_requirement(tmp_path / "missing.toml")
    with pytest.raises(RequirementError, match="not valid TOML"):
        load_requirement(write(tmp_path, "id = \n"))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(RequirementError, match="not UTF-8"):
        load_requirement(bad)


def test_unknown_bundled_name() -> None:
    with pytest.raises(RequirementError, match="no bundled requirement"):
        bundled_path("no-such-requirement")


def test_wheel_location_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In a wheel, policies/ is force-included as iamcheck/policies beside the package code.
    import iamcheck

    package = tmp_path / "site" / "iamcheck"
    (package / "policies").mkdir(parents=True)
    (package / "policies" / "vpc-console.toml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setattr(iamcheck, "__file__", str(package / "__init__.py"))
    assert requirement_dirs()[0] == package / "policies"
    assert load_requirement().id == "vsi-reboot"
