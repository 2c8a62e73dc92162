"""One way to record a read IBM refused (403): as the Gap it leaves, which keeps the verdicts it
touches unknown (V5). A gap whose reach is known when the read is made names it; one whose reach
depends on what the rest of the read finds (every other subject, every instance) says `Later`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from iamcheck.ibm.errors import Refused
from iamcheck.model import AccountData, Gap

if TYPE_CHECKING:
    from iamcheck.read.rights import OwnAccess

T = TypeVar("T")


@dataclass(frozen=True)
class Later:
    """A gap whose reach is known only once the account is read: every subject but iamcheck's
    own identity ("others"), or every instance read ("instances")."""

    what: str
    reach: Literal["others", "instances"]


class Refusals:
    """The gaps refused reads left during one run, in the order they were found."""

    def __init__(self) -> None:
        self._found: list[tuple[Gap | Later, str]] = []
        self._lock = threading.Lock()

    def read(self, gap: Gap | Later, fn: Callable[..., T], *args: Any, default: T,
             **kwargs: Any) -> T:
        """`fn(...)`, or `default` and `gap` (IBM's refusal as its reason) when refused."""
        try:
            return fn(*args, **kwargs)
        except Refused as err:
            self.add(gap, str(err))
            return default

    def add(self, gap: Gap | Later, reason: str = "") -> None:
        with self._lock:
            self._found.append((gap, reason or (gap.reason if isinstance(gap, Gap) else "")))

    def gaps(self, data: AccountData | None = None,
             access: OwnAccess | None = None) -> tuple[Gap, ...]:
        """Every gap, `Later` ones scoped by `data` (and, for "others", by `access`)."""
        out = []
        for gap, reason in list(self._found):
            if isinstance(gap, Gap):
                out.append(replace(gap, reason=reason))
            elif gap.reach == "instances":
                ids = frozenset(i.id for i in data.instances) if data else frozenset()
                out.append(Gap(gap.what, reason, instances=ids))
            else:
                others = access.others(data) if data and access else frozenset()
                out.append(Gap(gap.what, reason, subjects=others))
        return tuple(out)
