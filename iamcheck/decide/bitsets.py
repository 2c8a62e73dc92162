"""Sets of instances as Python ints (bit i = the i-th instance), computed once per policy scope.

The whole-account evaluation reasons per scope, never per pair: a scope (resource group, region,
instance ids, tags ...) becomes two bitsets, the instances it surely covers and those it may
cover, and a subject's access is the union/intersection of a few of them.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterator

from iamcheck.decide.matching import EQUALS, EQUALS_ANY, MATCH, MATCH_ANY, Atom, PolicyScope
from iamcheck.decide.tri import Tri
from iamcheck.model import Instance

Bits = int
_FIELDS = ("id", "resource_group_id", "region")


# The set positions of each byte value: members() reads an int a byte at a time, since
# peeling bits off a 10,000-bit int one by one costs a copy of the int per bit.
_BYTE_POSITIONS = tuple(tuple(i for i in range(8) if value >> i & 1) for value in range(256))


def members(bits: Bits) -> Iterator[int]:
    """The positions set in `bits`, lowest first."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(data):
        if byte:
            base = index * 8
            for offset in _BYTE_POSITIONS[byte]:
                yield base + offset


class InstanceIndex:
    """Positions of the instances under evaluation, and bitsets of their attribute values."""

    def __init__(self, instances: tuple[Instance, ...]) -> None:
        self.instances = instances
        self.all: Bits = (1 << len(instances)) - 1
        self.position: dict[str, int] = {}
        self.by_value: dict[str, dict[str, Bits]] = {f: defaultdict(int) for f in _FIELDS}
        self.by_tag: dict[str, Bits] = defaultdict(int)
        self.by_tag_key: dict[str, Bits] = defaultdict(int)
        for i, inst in enumerate(instances):
            bit = 1 << i
            self.position.setdefault(inst.id, i)
            for name in _FIELDS:
                self.by_value[name][getattr(inst, name)] |= bit
            for tag in inst.access_tags:
                self.by_tag[tag] |= bit
                if ":" in tag:
                    self.by_tag_key[tag.split(":", 1)[0]] |= bit
        self._ids = [inst.id for inst in instances]
        self._atoms: dict[tuple[object, ...], tuple[Bits, Bits]] = {}
        self._sorted = {name: sorted(table) for name, table in self.by_value.items()}

    def bits_of(self, instance_ids: frozenset[str] | set[str]) -> Bits:
        out = 0
        for instance_id in instance_ids:
            if (i := self.position.get(instance_id)) is not None:
                out |= 1 << i
        return out

    def ids(self, bits: Bits) -> tuple[str, ...]:
        return tuple(map(self._ids.__getitem__, members(bits)))

    def atom_bits(self, atom: Atom) -> tuple[Bits, Bits]:
        """(instances where the atom surely holds, instances where it may hold)."""
        key = (atom.field, atom.key, atom.operator, atom.value)
        found = self._atoms.get(key)
        if found is None:
            found = self._fast(atom) or self._scan(atom)
            self._atoms[key] = found
        return found

    def _lookup(self, atom: Atom, value: str, star: bool = True) -> Bits:
        """Instances whose field equals `value`; "*" is every value when `star` (S4)."""
        if atom.field == "access_tags":
            return self.by_tag_key.get(atom.key, 0) if value == "*" else self.by_tag.get(
                f"{atom.key}:{value}", 0)
        if star and value == "*":
            return self.all
        return self.by_value[atom.field].get(value, 0)

    def _fast(self, atom: Atom) -> tuple[Bits, Bits] | None:
        # stringEquals (and its AnyOf) by index; everything else by the shared Atom.test.
        if atom.operator == EQUALS and isinstance(atom.value, str):
            bits = self._lookup(atom, atom.value)
            return bits, bits
        if (atom.operator == EQUALS_ANY and atom.field != "access_tags"
                and isinstance(atom.value, tuple)
                and all(isinstance(v, str) for v in atom.value)):
            bits = 0
            for value in atom.value:
                bits |= self._lookup(atom, value, star=False)  # literal inside AnyOf
            return bits, bits
        return None

    def _candidates(self, atom: Atom) -> Bits:
        """Instances an atom can hold for at all; the others surely fail it.

        A stringMatch can only match values that start with its literal prefix, and a tag
        condition only instances that carry the tag key. Anything else: every instance.
        """
        if atom.field == "access_tags":
            return self.by_tag_key.get(atom.key, 0) if atom.operator in (EQUALS, MATCH) \
                and isinstance(atom.value, str) else self.all
        if atom.operator not in (MATCH, MATCH_ANY):
            return self.all
        patterns = atom.value if isinstance(atom.value, tuple) else (atom.value,)
        if not all(isinstance(p, str) for p in patterns):
            return self.all
        values, table = self._sorted[atom.field], self.by_value[atom.field]
        out = 0
        for pattern in patterns:
            prefix = re.split(r"[*?{]", str(pattern), maxsplit=1)[0]
            start = bisect.bisect_left(values, prefix)
            for value in values[start:]:
                if not value.startswith(prefix):
                    break
                out |= table[value]
        return out

    def _scan(self, atom: Atom) -> tuple[Bits, Bits]:
        yes = maybe = 0
        for i in members(self._candidates(atom)):
            result = atom.test(self.instances[i])
            if result is Tri.YES:
                yes |= 1 << i
            elif result is Tri.MAYBE:
                maybe |= 1 << i
        return yes, yes | maybe

    def scope_bits(self, scope: PolicyScope) -> tuple[Bits, Bits]:
        """(instances the scope surely covers, instances it may cover): S1-S8 as bitsets."""
        static = scope.static_status
        if static is Tri.NO:
            return 0, 0
        yes = possible = self.all
        for atom in scope.atoms:
            atom_yes, atom_possible = self.atom_bits(atom)
            yes &= atom_yes
            possible &= atom_possible
        return (0 if static is Tri.MAYBE else yes), possible
