"""Requirements: what access means, as data (policies/*.toml), loaded and checked here.

A requirement names a service, the resource attribute that names one instance of it, the actions
needed on the instance (all of them, rule R1) and the roles `grant` assigns. Nothing about the VPC
console is written in code: a second requirement file works the same way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import iamcheck

DEFAULT_REQUIREMENT = "vpc-console"
_SUFFIX = re.compile(r"^(role|serviceRole|customRole):[A-Za-z0-9_-]+$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_KNOWN_KEYS = {
    "id", "title", "description", "service", "instance_attribute", "actions", "actions_of", "grant",
}
_GRANT_KEYS = {"crn_suffix", "display_name"}
_KINDS = {"role": "platform", "serviceRole": "service", "customRole": "custom"}


class RequirementError(ValueError):
    """A requirement file that cannot be used; the message names the file and the bad key."""


_Fail = Callable[[str, str], RequirementError]


@dataclass(frozen=True)
class GrantRole:
    """A role `grant` assigns: matched by the end of its CRN, shown by its display name."""

    crn_suffix: str  # e.g. "role:Operator", "serviceRole:VirtualServerConsoleAdmin"
    display_name: str

    @property
    def kind(self) -> str:
        """platform, service or custom, from the CRN's role segment."""
        return _KINDS[self.crn_suffix.split(":", 1)[0]]

    def matches(self, crn: str) -> bool:
        """True when `crn` names this role, whatever its service segment (R4)."""
        return crn == self.crn_suffix or crn.endswith(":" + self.crn_suffix)


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    service: str
    instance_attribute: str
    actions: tuple[str, ...]
    grant_roles: tuple[GrantRole, ...]
    description: str = ""
    source: Path | None = None


def requirement_dirs() -> tuple[Path, ...]:
    """Where bundled requirement files live: inside the wheel, then in a checkout."""
    package = Path(iamcheck.__file__).resolve().parent
    return (package / "policies", package.parent / "policies")


def bundled_path(name: str = DEFAULT_REQUIREMENT) -> Path:
    """The bundled file for requirement `name` (e.g. "vpc-console")."""
    for folder in requirement_dirs():
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate
    places = ", ".join(str(d) for d in requirement_dirs())
    raise RequirementError(f"{name}.toml: no bundled requirement of that name (looked in {places})")


def load_requirement(path: Path | None = None) -> Requirement:
    """Read and check a requirement file; the bundled vpc-console.toml when `path` is None."""
    path = bundled_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RequirementError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise RequirementError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise RequirementError(f"{path}: not valid TOML ({err})") from None
    except RecursionError:
        raise RequirementError(f"{path}: not valid TOML (nested too deeply)") from None
    return parse_requirement(data, path)


def parse_requirement(data: dict[str, Any], source: Path) -> Requirement:
    """Check the decoded TOML of `source` and build the Requirement."""

    def fail(key: str, why: str) -> RequirementError:
        return RequirementError(f"{source}: key '{key}': {why}")

    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(sorted(_KNOWN_KEYS))})")
    for key in ("id", "title", "service", "instance_attribute"):
        if key not in data:
            raise fail(key, "missing")
        if not isinstance(data[key], str) or not data[key].strip():
            raise fail(key, "must be a non-empty string")
    if not _NAME.match(data["id"]):
        raise fail("id", "use lower-case letters, digits, '.', '_' or '-'")
    if not _NAME.match(data["service"]):
        raise fail("service", "must be an IAM service name such as 'is'")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")
    action_services = _action_services(data.get("actions_of"), data["service"], fail)
    actions = _actions(data.get("actions"), action_services, fail)
    grants = _grants(data.get("grant"), fail)
    return Requirement(
        id=data["id"],
        title=data["title"].strip(),
        service=data["service"],
        instance_attribute=data["instance_attribute"],
        actions=actions,
        grant_roles=grants,
        description=description.strip(),
        source=source,
    )


def _action_services(value: Any, service: str, fail: _Fail) -> tuple[str, ...]:
    """The services whose action ids `actions` may name: the policy service, plus any listed
    in `actions_of` (roles of one service can carry another's actions, e.g. Administrator on
    `is` carries `iam.policy.create`). Policies still match on `service` only."""
    if value is None:
        return (service,)
    if not isinstance(value, list) or not value:
        raise fail("actions_of", "must be a non-empty list of IAM service names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not _NAME.match(name):
            raise fail(f"actions_of[{i}]", "must be an IAM service name such as 'iam'")
    return tuple(dict.fromkeys([service, *value]))


def _actions(value: Any, services: tuple[str, ...], fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise fail("actions", "must be a non-empty list of action ids")
    out: list[str] = []
    shown = " or ".join(f"'{s}'" for s in services)
    for i, action in enumerate(value):
        if not isinstance(action, str) or not any(action.startswith(s + ".") for s in services):
            raise fail(f"actions[{i}]", f"must be an action id of service {shown} "
                       f"(e.g. '{services[0]}.resource.resource.read')")
        if action in out:
            raise fail(f"actions[{i}]", f"'{action}' is listed twice")
        out.append(action)
    return tuple(out)


def _grants(value: Any, fail: _Fail) -> tuple[GrantRole, ...]:
    if not isinstance(value, list) or not value:
        raise fail("grant", "must be one or more [[grant]] tables")
    out: list[GrantRole] = []
    for i, table in enumerate(value):
        where = f"grant[{i}]"
        if not isinstance(table, dict):
            raise fail(where, "must be a table with crn_suffix and display_name")
        extra = sorted(set(table) - _GRANT_KEYS)
        if extra:
            raise fail(f"{where}.{extra[0]}", "unknown key (known: crn_suffix, display_name)")
        suffix, name = table.get("crn_suffix"), table.get("display_name")
        if not isinstance(suffix, str) or not _SUFFIX.match(suffix):
            raise fail(f"{where}.crn_suffix",
                       "must look like 'role:Operator' or 'serviceRole:VirtualServerConsoleAdmin'")
        if not isinstance(name, str) or not name.strip():
            raise fail(f"{where}.display_name", "must be a non-empty string")
        out.append(GrantRole(suffix, name.strip()))
    return tuple(out)


def requirement_from(path: Path | None) -> Requirement:
    """The requirement a command's --requirement names (exit 2 with one line when it is bad)."""
    from iamcheck.errors import BadInput

    try:
        return load_requirement(path)
    except RequirementError as err:
        raise BadInput(f"--requirement: {err}") from None
