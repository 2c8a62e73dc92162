"""Three-valued logic: a policy part can hold, fail, or be impossible to tell (uncertain)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Tri(IntEnum):
    """Ordered so that `and` is min and `or` is max."""

    NO = 0
    MAYBE = 1
    YES = 2


def all_of(values: Iterable[Tri]) -> Tri:
    return min(values, default=Tri.YES)


def any_of(values: Iterable[Tri]) -> Tri:
    return max(values, default=Tri.NO)


def tri(flag: bool) -> Tri:
    return Tri.YES if flag else Tri.NO
