"""Policy attributes and rules in IBM's v2 JSON form, which the snapshot keeps as well."""

from __future__ import annotations

from typing import Any

from iamcheck.model import Attribute, Condition, ConditionGroup, Rule


def as_value(raw: Any) -> Any:
    """JSON arrays become tuples so that model values stay hashable."""
    return tuple(raw) if isinstance(raw, list) else raw


def attributes_from_json(raw: list[dict[str, Any]] | None) -> tuple[Attribute, ...]:
    return tuple(Attribute(a["key"], a["operator"], as_value(a["value"])) for a in raw or ())


def rule_from_json(raw: dict[str, Any]) -> Rule:
    if "conditions" in raw:
        return ConditionGroup(raw["operator"], tuple(rule_from_json(c) for c in raw["conditions"]))
    return Condition(raw["key"], raw["operator"], as_value(raw["value"]))
