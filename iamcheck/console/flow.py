"""What `iamcheck console` reads and in which order: the caller's access (as `check` decides it,
with an ordinary user's rights), the instance, its image; then the token, used at once."""

from __future__ import annotations

from dataclasses import dataclass

from iamcheck.check import resolve_instance, run_check
from iamcheck.console.preflight import FAIL, PASS, Caller, PreflightItem, outcome, preflight
from iamcheck.console.session import create_token, websocket_url
from iamcheck.decide import Decision
from iamcheck.errors import ApiFailure, ExitCode
from iamcheck.ibm import vpc
from iamcheck.ibm.session import IbmSession, Refused
from iamcheck.inputs import InstanceRef
from iamcheck.model import Instance, User
from iamcheck.report import roles_by_action
from iamcheck.requirement import load_requirement

# The demo's on-call engineer: an ordinary user who may open every console (seed api_keys[1]).
DEMO_CONSOLE_KEY = 1


@dataclass(frozen=True)
class Preflight:
    caller: Caller
    instance: Instance
    region: vpc.Region
    image: vpc.ImageInfo | None
    console_type: str
    items: tuple[PreflightItem, ...]

    @property
    def exit_code(self) -> ExitCode:
        return outcome(self.items)

    @property
    def failed(self) -> bool:
        return any(item.status == FAIL for item in self.items)


@dataclass(frozen=True)
class Opened:
    """A console access token and where to use it, within its 3 minutes."""

    token: vpc.ConsoleToken
    websocket_url: str


def run_preflight(session: IbmSession, ref: InstanceRef, console_type: str) -> Preflight:
    requirement = load_requirement(None)
    who = session.caller()
    account_id = session.settings.account_id or who.account_id
    decision: Decision | None = None
    unreadable = ""
    roles: dict[str, list[str]] = {}
    try:
        result = run_check(session, requirement, None, ref)
    except Refused as err:  # a user may be refused some reads (403): VPC still decides
        instance = resolve_instance(session, account_id, ref)
        caller = Caller(who.iam_id)
        unreadable = str(err)
    else:
        instance, decision = result.instance, result.decision
        subject = result.subject
        caller = Caller(subject.iam_id, subject.email if isinstance(subject, User) else "")
        roles = roles_by_action(result.roles, decision.missing)
    region = {r.name: r for r in vpc.list_regions(session)}.get(instance.region)
    if region is None:
        raise ApiFailure(f"VPC lists no region {instance.region} for instance {instance.name}")
    try:
        image = vpc.get_boot_image(session, region, instance)
    except Refused:
        image = None
    items = preflight(caller, instance, image, console_type, decision, roles, unreadable)
    return Preflight(caller, instance, region, image, console_type, tuple(items))


def open_console(session: IbmSession, pre: Preflight, force: bool) -> Opened:
    allowed = all(i.status == PASS for i in pre.items if i.check == "access")
    token = create_token(session, pre.region, pre.instance, pre.console_type, force, allowed)
    return Opened(token, websocket_url(token))
