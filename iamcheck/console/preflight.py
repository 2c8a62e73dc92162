"""The console pre-flight: pure checks over what was read, each a pass, fail or warn with the fix.

Nothing here does I/O; iamcheck.console.run reads the values and calls `preflight`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from iamcheck.console.platform import is_custom, is_tdx, is_zos
from iamcheck.decide import Decision, Verdict
from iamcheck.errors import ExitCode
from iamcheck.ibm.vpc_values import ConsoleType, ImageInfo
from iamcheck.model import Instance

Status = Literal["pass", "fail", "warn"]
Check = Literal["access", "context", "running", "console_type", "serial_kernel",
                "password"]  # stable keys
PASS: Status = "pass"
FAIL: Status = "fail"
WARN: Status = "warn"


@dataclass(frozen=True)
class PreflightItem:
    check: Check
    status: Status
    what: str
    fix: str = ""
    command: str = ""  # the command that fixes it, shown on a line of its own
    undecided: bool = False  # the access verdict is unknown (check's exit 3)
    walled: bool = False  # an enforcing CBR rule covers the instance (G1)


@dataclass(frozen=True)
class ConsoleUser:
    """Who opens the console: the owner of the API key."""

    iam_id: str
    email: str = ""

    @property
    def shown(self) -> str:
        return self.email or self.iam_id


def grant_command(caller: ConsoleUser, instance: Instance) -> str:
    """What an administrator runs to give the caller console access to this one instance."""
    return shlex.join(["iamcheck", "grant", caller.shown, "--instance", instance.crn])


def access_item(
    caller: ConsoleUser,
    instance: Instance,
    decision: Decision | None,
    roles_by_action: Mapping[str, Sequence[str]],
    unreadable: str = "",
) -> PreflightItem:
    """Does the caller hold both console actions on the instance (the same evaluator as check)."""
    explain = f"iamcheck check --instance {instance.name} explains why"
    if decision is None:
        return PreflightItem(
            "access", WARN,
            f"could not read your access to instance {instance.name} ({unreadable})",
            "iamcheck tries to open the console anyway: VPC decides when it creates the token",
            undecided=True,
        )
    if decision.verdict is Verdict.ALLOW:
        roles = sorted({g.role_name for g in decision.grants})
        return PreflightItem(
            "access", PASS,
            f"{caller.shown} may open the console of {instance.name} "
            f"({' and '.join(roles)})",
        )
    if decision.verdict is Verdict.UNKNOWN:
        why = decision.uncertain[0].detail if decision.uncertain else decision.reasons[0].text
        return PreflightItem(
            "access", WARN,
            f"cannot tell whether {caller.shown} may open the console of {instance.name}: {why}",
            f"iamcheck tries anyway; {explain}",
            undecided=True,
        )
    if not decision.missing:  # V4: the person cannot sign in; no policy fixes that
        return PreflightItem(
            "access", FAIL, decision.reasons[0].text if decision.reasons else "denied", explain
        )
    missing = "; ".join(_needs(a, roles_by_action) for a in decision.missing)
    return PreflightItem(
        "access", FAIL,
        f"{caller.shown} may not open the console of {instance.name}: missing {missing}",
        f"ask an account administrator to grant them ({explain}); the command is:",
        grant_command(caller, instance),
    )


def _needs(action: str, roles_by_action: Mapping[str, Sequence[str]]) -> str:
    roles = list(roles_by_action.get(action) or [])
    if not roles:
        return action
    shown = ", ".join(roles[:-1]) + " or " + roles[-1] if len(roles) > 1 else roles[0]
    return f"{action} (needs {shown})"


def running_item(instance: Instance) -> PreflightItem:
    """A console needs a running instance: it disconnects when the instance powers off."""
    status = instance.status
    if status == "running":
        return PreflightItem("running", PASS, f"instance {instance.name} is running")
    what = f"instance {instance.name} is {status}, not running (a console needs it running)"
    if status in ("stopped", "stopping"):
        fix, command = "start it, then run this again:", f"ibmcloud is instance-start {instance.id}"
    elif status in ("starting", "restarting", "pending"):
        fix, command = "wait until it is running, then run this again:", ""
    else:  # failed, deleting, or a status IBM adds later
        fix, command = f"no console is possible while it is {status}; see why with:", ""
    return PreflightItem("running", FAIL, what, fix,
                         command or f"ibmcloud is instance {instance.id}")


def console_type_item(
    instance: Instance, image: ImageInfo | None, console_type: ConsoleType
) -> PreflightItem:
    """VNC is not supported on TDX confidential computing nor on z/OS; serial always is."""
    serial = f"iamcheck console {instance.name} --serial"
    if console_type == "vnc" and is_tdx(instance):
        return PreflightItem(
            "console_type", FAIL,
            f"instance {instance.name} uses TDX confidential computing, which disables VNC",
            "its serial console works:", serial,
        )
    if console_type == "vnc" and is_zos(instance, image):
        return PreflightItem(
            "console_type", FAIL, f"instance {instance.name} runs z/OS, which has no VNC console",
            "its serial console works:", serial,
        )
    if console_type == "vnc" and image is None:
        return PreflightItem(
            "console_type", WARN,
            f"could not read the operating system of {instance.name}: VNC is refused on z/OS",
            "if it runs z/OS, use its serial console:", serial,
        )
    return PreflightItem(
        "console_type", PASS, f"the {_label(console_type)} is available on {instance.name}"
    )


def serial_kernel_item(image: ImageInfo | None, console_type: ConsoleType) -> PreflightItem | None:
    """A custom Linux image shows nothing on the serial console unless its kernel writes there."""
    if console_type != "serial" or image is None or not is_custom(image):
        return None
    return PreflightItem(
        "serial_kernel", WARN,
        f"custom image {image.name}: the serial console shows its boot and login prompt only if "
        "the kernel runs with console=ttyS0",
        "add console=ttyS0 to GRUB_CMDLINE_LINUX in /etc/default/grub, regenerate the GRUB "
        "configuration and reboot (or rebuild the image with it)",
    )


def password_item(instance: Instance, image: ImageInfo | None) -> PreflightItem | None:
    """IBM stock images sign in with SSH keys: a console login prompt needs a password first.
    (Windows gets an Administrator password from IBM; z/OS signs in its own way.)"""
    if image is None or is_custom(image) or is_zos(instance, image):
        return None
    if image.os_family.lower().startswith("windows"):
        return PreflightItem(
            "password", WARN,
            f"IBM stock image {image.name}: the console asks for the Administrator password "
            "that IBM generated at creation",
            "read it with the SSH key the instance was created with:",
            f"ibmcloud is instance-initialization-values {instance.id} --private-key @KEY_FILE",
        )
    return PreflightItem(
        "password", WARN,
        f"IBM stock image {image.name}: no user has a password until one is set, and the "
        "console login prompt asks for one",
        "set one while you still can (ssh in, then: sudo passwd <user>), or with cloud-init "
        "user data when you create the instance",
    )


def preflight(
    caller: ConsoleUser,
    instance: Instance,
    image: ImageInfo | None,
    console_type: ConsoleType,
    decision: Decision | None,
    roles_by_action: Mapping[str, Sequence[str]],
    unreadable: str = "",
    cbr_unread: str = "",
) -> list[PreflightItem]:
    items = [
        access_item(caller, instance, decision, roles_by_action, unreadable),
        *context_items(decision, cbr_unread),
        running_item(instance),
        console_type_item(instance, image, console_type),
        serial_kernel_item(image, console_type),
        password_item(instance, image),
    ]
    return [item for item in items if item is not None]


def context_items(decision: Decision | None, cbr_unread: str = "") -> list[PreflightItem]:
    """G1: each CBR rule on the instance; IAM's allow does not pass an enforcing rule. V5:
    rules iamcheck may not read could refuse the console token all the same."""
    if decision is None:
        return []
    lead = "allowed by IAM; " if decision.verdict is Verdict.ALLOW else ""
    unread = [PreflightItem("context", WARN, f"{lead}context-based restriction rules could not "
                            f"be read ({cbr_unread}): a rule iamcheck cannot see may refuse the "
                            "console", "grant iamcheck's identity Viewer on Context Based "
                            "Restrictions to see them")] if cbr_unread else []
    return unread + [PreflightItem("context", WARN if rule.enforced else PASS,
                                   lead + rule.describe(),
                                   "open the console from a network the rule allows"
                                   if rule.enforced else "", walled=rule.enforced)
                     for rule in decision.context_rules]


def outcome(items: Sequence[PreflightItem]) -> ExitCode:
    """As `check` answers: 1 when something fails, 3 when access is undecided, else 0."""
    if any(item.status == FAIL for item in items):
        return ExitCode.FINDING
    if any(item.undecided for item in items):
        return ExitCode.UNKNOWN
    return ExitCode.OK


def _label(console_type: ConsoleType) -> str:
    return "VNC console" if console_type == "vnc" else "serial console"
