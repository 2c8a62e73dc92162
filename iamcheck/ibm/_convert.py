"""Turning IBM's JSON into model values; a malformed answer becomes one clear ApiFailure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from iamcheck.errors import ApiFailure

T = TypeVar("T")


@contextmanager
def reading(what: str) -> Iterator[None]:
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ApiFailure(
            f"{what}: IBM Cloud sent an answer iamcheck cannot read "
            f"({type(err).__name__}: {str(err)[:80]})"
        ) from None


def item_key(item: Any) -> str | None:
    """What identifies a listed item: its id (members and users: their iam_id; regions: their
    name)."""
    if isinstance(item, dict):
        for name in ("id", "iam_id", "crn", "name"):
            value = item.get(name)
            if isinstance(value, str) and value:
                return value
    return None


def unique(items: list[Any]) -> list[Any]:
    """`items` with an item IBM listed twice (the same id) kept once."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item_key(item)
        if key is None or key not in seen:
            out.append(item)
        if key is not None:
            seen.add(key)
    return out


def convert_all(what: str, items: Any, fn: Callable[[dict[str, Any]], T]) -> list[T]:
    with reading(what):
        return [fn(item) for item in items]


def convert_list(
    what: str, result: Any, key: str, fn: Callable[[dict[str, Any]], T]
) -> list[T]:
    """`fn` over the list IBM answers under `key`; a missing list is a bad answer, not an empty
    one (an empty read could hide access, or invent a deny)."""
    with reading(what):
        items = result[key]
        if not isinstance(items, list):
            raise TypeError(f"'{key}' is not a list")
        return [fn(item) for item in unique(items)]
