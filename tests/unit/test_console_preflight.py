"""The console pre-flight: each check's pass, fail and warn, with the fix it names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from iamcheck.console.platform import is_custom, is_zos
from iamcheck.console.preflight import (
    ConsoleUser,
    access_item,
    console_type_item,
    grant_command,
    outcome,
    password_item,
    preflight,
    running_item,
    serial_kernel_item,
)
from iamcheck.decide import decide
from iamcheck.errors import ExitCode
from iamcheck.ibm.vpc import ImageInfo
from iamcheck.parts import roles_by_action
from tests.unit.decide_builders import (
    ALICE,
    AT,
    FED_REALM,
    OPERATOR,
    OPS,
    REQ,
    ROLES,
    account,
    fed_rule,
    full,
    group,
    instance,
    one_user,
    policy,
    user,
)

ME = ConsoleUser(ALICE, "alice@example.com")
VM = instance()
STOCK = ImageInfo("ibm-ubuntu-24-04-2-minimal-amd64-1", "public", "ubuntu-24-04-amd64",
                  "Ubuntu Linux", "Ubuntu Linux 24.04 LTS (amd64)", "amd64")
CUSTOM = ImageInfo("acme-golden-rhel9", "private", "red-9-amd64", "Red Hat Enterprise Linux",
                   "Red Hat Enterprise Linux 9 (amd64)", "amd64")
ZOS = ImageInfo("ibm-zos-2-5-s390x-dev-test-wazi-7", "public",
                "ibm-zos-2-5-s390x-dev-test-wazi-7", "IBM z/OS", "IBM z/OS 2.5", "s390x")
LINUX_ON_Z = ImageInfo("ibm-ubuntu-24-04-s390x-1", "public", "ubuntu-24-04-s390x",
                       "Ubuntu Linux", "Ubuntu Linux 24.04 LTS (s390x)", "s390x")
WINDOWS = ImageInfo("ibm-windows-server-2022-full-standard-amd64-20", "public",
                    "windows-2022-amd64", "Windows Server", "Windows Server 2022 (amd64)",
                    "amd64")


def test_access_passes_and_names_the_roles_that_give_it() -> None:
    item = access_item(ME, VM, decide(one_user(full("p1", ALICE)), REQ, ALICE, VM, AT), {})
    assert item.status == "pass"
    assert "Console Administrator" in item.what and "Operator" in item.what


def test_access_denied_prints_the_exact_grant_command() -> None:
    decision = decide(one_user(policy("op", ALICE, OPERATOR)), REQ, ALICE, VM, AT)
    item = access_item(ME, VM, decision, roles_by_action(ROLES, decision.missing))
    assert item.status == "fail"
    assert "missing is.instance.instance.console (needs Console Administrator)" in item.what
    assert "operate" not in item.what  # Operator is held: only the console role is missing
    assert item.command == f"iamcheck grant alice@example.com --instance {VM.crn}"
    assert "administrator" in item.fix and f"iamcheck check --instance {VM.name}" in item.fix


def test_grant_command_quotes_what_a_shell_would_split() -> None:
    odd = replace(VM, crn="crn:v1 with space")
    assert grant_command(ConsoleUser("iam-ServiceId-x"), odd) == (
        "iamcheck grant iam-ServiceId-x --instance 'crn:v1 with space'"
    )


def test_access_of_a_user_who_cannot_sign_in_names_the_state_not_a_grant() -> None:
    acct = account(users=[user(state="SUSPENDED")], policies=[full("p1", ALICE)], instances=[VM])
    item = access_item(ME, VM, decide(acct, REQ, ALICE, VM, AT), {})
    assert item.status == "fail" and "SUSPENDED" in item.what and item.command == ""


def test_access_undecided_warns_and_makes_the_preflight_exit_3() -> None:
    acct = account(users=[user(realm=FED_REALM)], groups=[group(rules=[fed_rule()])],
                   policies=[full("dyn", OPS)], instances=[VM])
    item = access_item(ME, VM, decide(acct, REQ, ALICE, VM, AT), {})
    assert item.status == "warn" and item.undecided
    assert "iamcheck tries anyway" in item.fix
    assert outcome([item]) is ExitCode.UNKNOWN


def test_access_unreadable_warns_and_lets_vpc_decide() -> None:
    item = access_item(ME, VM, None, {}, "list policies: refused (403)")
    assert item.status == "warn" and item.undecided and "refused (403)" in item.what


@pytest.mark.parametrize(("status", "command"), [
    ("stopped", "ibmcloud is instance-start"),
    ("stopping", "ibmcloud is instance-start"),
    ("starting", "ibmcloud is instance "),
    ("failed", "ibmcloud is instance "),
])
def test_an_instance_that_is_not_running_fails_with_what_to_do(status: str, command: str) -> None:
    item = running_item(replace(VM, status=status))
    assert item.status == "fail" and status in item.what
    assert item.command.startswith(command) and item.command.endswith(VM.id)


def test_a_running_instance_passes() -> None:
    assert running_item(VM).status == "pass"


def test_vnc_is_refused_on_tdx_and_the_serial_console_offered() -> None:
    tdx = replace(VM, confidential_compute_mode="tdx")
    item = console_type_item(tdx, STOCK, "vnc")
    assert item.status == "fail" and "TDX" in item.what
    assert item.command == f"iamcheck console {VM.name} --serial"
    assert console_type_item(tdx, STOCK, "serial").status == "pass"


def test_vnc_is_refused_on_zos_and_the_serial_console_offered() -> None:
    zos_vm = replace(VM, architecture="s390x")
    item = console_type_item(zos_vm, ZOS, "vnc")
    assert item.status == "fail" and "z/OS" in item.what and item.command.endswith("--serial")
    assert console_type_item(zos_vm, ZOS, "serial").status == "pass"


def test_linux_on_z_keeps_its_vnc_console() -> None:
    assert not is_zos(replace(VM, architecture="s390x"), LINUX_ON_Z)
    assert console_type_item(VM, LINUX_ON_Z, "vnc").status == "pass"


def test_zos_needs_s390x_and_a_zos_name() -> None:
    assert is_zos(VM, ZOS)  # the image's architecture counts when the instance's is unknown
    assert not is_zos(VM, replace(ZOS, architecture="amd64"))
    assert is_zos(replace(VM, architecture="s390x", image_name="ibm-zos-3-1-s390x-1"), None)


def test_vnc_warns_when_the_operating_system_cannot_be_read() -> None:
    item = console_type_item(VM, None, "vnc")
    assert item.status == "warn" and "z/OS" in item.what


def test_serial_on_a_custom_image_warns_about_console_ttys0() -> None:
    item = serial_kernel_item(CUSTOM, "serial")
    assert item is not None and item.status == "warn"
    assert "console=ttyS0" in item.what and "GRUB_CMDLINE_LINUX" in item.fix
    assert serial_kernel_item(STOCK, "serial") is None
    assert serial_kernel_item(CUSTOM, "vnc") is None


def test_custom_is_the_private_visibility_or_a_non_ibm_name_when_unknown() -> None:
    assert is_custom(CUSTOM) and not is_custom(STOCK)
    assert is_custom(replace(CUSTOM, visibility=""))
    assert not is_custom(replace(STOCK, visibility=""))


def test_stock_images_remind_that_there_is_no_password() -> None:
    item = password_item(VM, STOCK)
    assert item is not None and item.status == "warn"
    assert "no user has a password" in item.what and "passwd" in item.fix
    assert password_item(VM, CUSTOM) is None
    assert password_item(replace(VM, architecture="s390x"), ZOS) is None


def test_windows_stock_images_point_at_the_generated_administrator_password() -> None:
    item = password_item(VM, WINDOWS)
    assert item is not None
    assert item.command.startswith(f"ibmcloud is instance-initialization-values {VM.id}")


def test_preflight_orders_items_and_the_outcome_follows_check() -> None:
    allow = decide(one_user(full("p1", ALICE)), REQ, ALICE, VM, AT)
    items = preflight(ME, VM, CUSTOM, "serial", allow, {})
    assert [i.check for i in items] == ["access", "running", "console_type", "serial_kernel"]
    assert outcome(items) is ExitCode.OK  # warnings do not fail
    stopped = preflight(ME, replace(VM, status="stopped"), STOCK, "vnc", allow, {})
    assert [i.check for i in stopped] == ["access", "running", "console_type", "password"]
    assert outcome(stopped) is ExitCode.FINDING
