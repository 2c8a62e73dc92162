"""Sets of people as bitsets over the audit document's subjects: the holders of thousands of
instances are then unions of a few ints, not of long lists, and only the names shown are read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

PEOPLE_CAP = 2  # emails are long: fewer of them


class People:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.order = [s["iam_id"] for s in doc.get("subjects", [])]
        self.position = {iam_id: n for n, iam_id in enumerate(self.order)}

    def bits(self, iam_ids: Iterable[str]) -> int:
        out = 0
        for iam_id in iam_ids:
            if iam_id not in self.position:
                self.position[iam_id] = len(self.order)
                self.order.append(iam_id)
            out |= 1 << self.position[iam_id]
        return out

    def first(self, bits: int, count: int) -> list[str]:
        """The first `count` people of the set, in document order."""
        out: list[str] = []
        while bits and len(out) < count:
            low = bits & -bits
            out.append(self.order[low.bit_length() - 1])
            bits ^= low
        return out

    def names(self, bits: int, who: Callable[[str], str], cap: int | None = PEOPLE_CAP) -> str:
        """`a, b, +N`: the first `cap` people (None: all), then how many more."""
        total = bits.bit_count()
        limit = total if cap is None else cap
        shown = [who(i) for i in self.first(bits, limit)]
        return ", ".join(shown + ([f"+{total - limit}"] if total > limit else []))

    def text(self, bits: int, unit: str, who: Callable[[str], str],
             cap: int | None = PEOPLE_CAP) -> str:
        """`12 holders: a, b, +10`; one person is just named."""
        count = bits.bit_count()
        if count == 1:
            return who(self.first(bits, 1)[0])
        return f"{count} {unit}{'' if count == 1 else 's'}: {self.names(bits, who, cap)}"
