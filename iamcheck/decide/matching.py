"""Does a policy's resource cover an instance? Rules S1-S8, with the IBM string operators.

A policy's resource is read once (`read_scope`): what does not depend on the instance (account,
service, vpcId, unknown attributes) is settled there; what does (resource group, instance id,
region, access tags) becomes `Atom`s tested per instance, or per scope by the account evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from iamcheck.decide.tri import Tri, any_of, tri
from iamcheck.model import Attribute, AttributeValue, Instance, Policy

SERVICE = "service"  # the requirement's service: any of its roles counts
ALL_SERVICES = "all_services"  # every IAM-enabled service: platform roles only (S2)
OTHER = "other"  # another service: irrelevant

EQUALS, EXISTS, MATCH = "stringEquals", "stringExists", "stringMatch"
EQUALS_ANY, MATCH_ANY = "stringEqualsAnyOf", "stringMatchAnyOf"

# Instance attributes a policy may constrain: attribute key -> (Instance field, rule id).
_INSTANCE_FIELDS = {"resourceGroupId": ("resource_group_id", "S3"), "region": ("region", "S5")}


@lru_cache(maxsize=4096)
def glob(pattern: str) -> re.Pattern[str]:
    """stringMatch: `*` any run, `?` one character; `{{*}}`, `{{?}}`, `{{$}}` are literal."""
    out: list[str] = []
    for piece in re.split(r"(\{\{[*?$]\}\}|[*?])", pattern):
        if piece == "*":
            out.append(".*")
        elif piece == "?":
            out.append(".")
        elif piece in ("{{*}}", "{{?}}", "{{$}}"):
            out.append(re.escape(piece[2]))
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out), re.DOTALL)


def _text(value: AttributeValue) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"  # IBM compares booleans as strings
    return value if isinstance(value, str) else None


def string_test(operator: str, expected: AttributeValue, actual: str | None) -> Tri:
    """One IBM string operator (case-sensitive, S4). `actual` None: the attribute is absent.

    An operator or value shape iamcheck does not know is MAYBE, never a silent yes or no (S8).
    """
    if operator == EXISTS:
        wanted = _text(expected)
        if wanted not in ("true", "false"):
            return Tri.MAYBE
        return tri((actual is not None) == (wanted == "true"))
    if operator in (EQUALS, MATCH):
        text = _text(expected)
        if text is None:
            return Tri.MAYBE
        if actual is None:
            return Tri.NO
        if operator == EQUALS:  # S3-S5: stringEquals "*" is IBM's "every value"
            return tri(text == "*" or text == actual)
        return tri(glob(text).fullmatch(actual) is not None)
    if operator in (EQUALS_ANY, MATCH_ANY):
        if not isinstance(expected, tuple):
            return Tri.MAYBE
        if operator == EQUALS_ANY:  # S4 (rev 2): "*" is a literal value here, not "all"
            if not all(isinstance(item, str) for item in expected):
                return Tri.MAYBE
            return Tri.NO if actual is None else tri(actual in expected)
        return any_of(string_test(MATCH, item, actual) for item in expected)
    return Tri.MAYBE


def tag_test(operator: str, key: str, value: AttributeValue, tags: frozenset[str]) -> Tri:
    """S7: one access tag of the policy against the instance's "key:value" access tags."""
    text = _text(value)
    if text is None or operator not in (EQUALS, MATCH):
        return Tri.MAYBE
    if operator == EQUALS and text != "*":
        return tri(f"{key}:{text}" in tags)
    values = [tag.split(":", 1)[1] for tag in tags if tag.split(":", 1)[0] == key and ":" in tag]
    return any_of(string_test(operator, text, v) for v in values)


@dataclass(frozen=True)
class Check:
    """Why a resource fails or is in doubt, with the rule id that says so."""

    rule: str
    key: str
    detail: str


@dataclass(frozen=True)
class Atom:
    """One instance-dependent condition of a policy's resource."""

    rule: str  # S3, S4, S5, S7
    field: str  # Instance field ("id", "resource_group_id", "region") or "access_tags"
    key: str  # the attribute (or tag) key as the policy writes it
    operator: str
    value: AttributeValue

    def test(self, instance: Instance) -> Tri:
        if self.field == "access_tags":
            return tag_test(self.operator, self.key, self.value, instance.access_tags)
        actual: str = getattr(instance, self.field)
        return string_test(self.operator, self.value, actual)

    def mismatch(self, instance: Instance) -> str:
        """Why the instance fails this atom, in words."""
        if self.field == "access_tags":
            return f"the instance lacks {self.describe()}"
        label = {"id": "id", "resource_group_id": "resource group"}.get(self.field, self.field)
        actual = getattr(instance, self.field)
        return f"the instance's {label} '{actual}' fails {self.describe()}"

    def describe(self) -> str:
        shown = "|".join(self.value) if isinstance(self.value, tuple) else str(self.value)
        if self.field == "access_tags":
            return f"access tag {self.key}:{shown} ({self.operator})"
        return f"{self.key} {self.operator} '{shown}'"


@dataclass(frozen=True)
class ResourceMatch:
    status: Tri
    scope: str
    fails: tuple[Check, ...]
    doubts: tuple[Check, ...]
    vpc_holds_instance: bool = False  # S6: the policy names the VPC this instance is in


@dataclass(frozen=True)
class PolicyScope:
    """The instance-independent reading of a policy's resource."""

    scope: str
    static_fails: tuple[Check, ...]
    doubts: tuple[Check, ...]
    atoms: tuple[Atom, ...]
    vpc: Attribute | None = None

    @property
    def static_status(self) -> Tri:
        if self.static_fails or self.scope == OTHER:
            return Tri.NO
        return Tri.MAYBE if self.doubts else Tri.YES

    def match(self, instance: Instance) -> ResourceMatch:
        fails = list(self.static_fails)
        doubts = list(self.doubts)
        for atom in self.atoms:
            result = atom.test(instance)
            if result is Tri.NO:
                fails.append(Check(atom.rule, atom.key, atom.mismatch(instance)))
            elif result is Tri.MAYBE:
                doubts.append(Check("S8", atom.key, f"cannot evaluate {atom.describe()}"))
        status = Tri.NO if fails or self.scope == OTHER else Tri.MAYBE if doubts else Tri.YES
        in_vpc = self.vpc is not None and (
            string_test(self.vpc.operator, self.vpc.value, instance.vpc_id) is Tri.YES)
        return ResourceMatch(status, self.scope, tuple(fails), tuple(doubts), in_vpc)


def read_scope(policy: Policy, service: str, instance_attribute: str,
               account_id: str) -> PolicyScope:
    """Settle what a policy's resource says independently of any instance."""
    fails: list[Check] = []
    doubts: list[Check] = []
    atoms: list[Atom] = []
    vpc: Attribute | None = None
    attrs = policy.resource
    scope = _service_scope(attrs, service, doubts)
    for attr in attrs:
        key = attr.key
        if key in ("serviceName", "serviceType"):
            continue
        if key == "accountId":
            if string_test(attr.operator, attr.value, account_id) is not Tri.YES:
                fails.append(Check(
                    "S1", key, f"accountId '{_text(attr.value)}' is not this account"))
        elif key == instance_attribute:
            atoms.append(Atom("S4", "id", key, attr.operator, attr.value))
        elif key in _INSTANCE_FIELDS:
            field, rule = _INSTANCE_FIELDS[key]
            atoms.append(Atom(rule, field, key, attr.operator, attr.value))
        elif key == "vpcId":
            vpc = attr
            fails.append(Check("S6", key, "a vpcId scope does not reach the instances in the VPC"))
        else:
            doubts.append(Check("S8", key, f"iamcheck does not know the attribute '{key}'"))
    for tag in policy.tags:
        atoms.append(Atom("S7", "access_tags", tag.key, tag.operator, tag.value))
    return PolicyScope(scope, tuple(fails), tuple(doubts), tuple(atoms), vpc)


def _service_scope(attrs: tuple[Attribute, ...], service: str, doubts: list[Check]) -> str:
    names = [a for a in attrs if a.key == "serviceName"]
    if names:
        for attr in names:
            if string_test(attr.operator, attr.value, service) is Tri.YES:
                continue
            values = attr.value if isinstance(attr.value, tuple) else (_text(attr.value) or "",)
            if any(v.startswith(service + ".") for v in values):
                shown = "|".join(values)
                doubts.append(Check("S2", "serviceName",
                                    f"serviceName '{shown}' names a child of '{service}'"))
            else:
                return OTHER
        return SERVICE
    for attr in attrs:
        if attr.key != "serviceType":
            continue
        if string_test(attr.operator, attr.value, "service") is not Tri.YES:
            return OTHER
    return ALL_SERVICES
