"""CSV: one row per (subject, instance) pair that is allowed, uncertain or one role short.

Every pair is listed, never summarised: this is the format for spreadsheets and scripts. The rows
are written as they are expanded from the document (which grows with subjects, instances and
scopes, never with pairs), so memory holds the document, the instances' cells, one subject's set
of instance ids, a bounded cache and the writer's buffer, whatever the number of rows. Every
cell goes through safe_text.for_csv.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, TextIO

from iamcheck.safe_text import for_csv

# The same lists of policy ids fill many rows: each is made safe once (a bounded cache, so that
# memory stays independent of the number of rows).
_cell = lru_cache(maxsize=1 << 12)(for_csv)

COLUMNS = ["subject_iam_id", "subject_email", "instance_id", "instance_name", "region",
           "resource_group", "verdict", "lacks", "through_policy_ids"]


def _pairs(doc: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str, str, list[str]]]:
    """(subject, instance id, verdict, lacks, through policy ids), subjects in document order."""
    listed = doc.get("instances", [])  # scopes name instances by place in this list
    scopes = {s["id"]: s["instances"] for s in doc.get("scopes", [])}

    def ids(scope_id: str) -> Iterator[str]:
        for k in scopes[scope_id]:
            yield listed[k]["id"]

    for subject in doc.get("subjects", []):
        seen: set[str] = set()
        for entry in subject.get("can_open") or []:
            policies = list(dict.fromkeys(t["policy_id"] for t in entry.get("through", [])))
            for instance_id in _new(ids(entry["scope"]), seen):
                # the first scope that contains it supplies it
                yield subject, instance_id, "allow", "", policies
        for instance_id in _new(_each(ids, subject.get("unknown") or []), set()):
            yield subject, instance_id, "unknown", "", []
        for action, refs in (subject.get("one_short") or {}).items():
            for instance_id in _new(_each(ids, refs), set()):
                yield subject, instance_id, "one_short", action, []


def _each(ids: Any, refs: list[str]) -> Iterator[str]:
    for ref in refs:
        yield from ids(ref)


def _new(instance_ids: Iterable[str], seen: set[str]) -> Iterator[str]:
    """Each id once: scopes may overlap (a region and a resource group)."""
    for instance_id in instance_ids:
        if instance_id not in seen:
            seen.add(instance_id)
            yield instance_id


def stream_audit(doc: dict[str, Any], out: TextIO) -> None:
    """Write the CSV to `out` row by row."""
    places: dict[str, tuple[str, ...]] = {}  # instance id -> its four cells, made safe once
    for inst in doc.get("instances", []):
        rg = inst.get("resource_group") or {}
        places.setdefault(inst["id"], tuple(for_csv(str(c)) for c in (
            inst["id"], inst.get("name", ""), inst.get("region", ""),
            rg.get("name") or rg.get("id", ""))))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    who: tuple[str, ...] = ()
    last: dict[str, Any] | None = None
    for subject, instance_id, verdict, lacks, policies in _pairs(doc):
        if subject is not last:
            last, who = subject, (for_csv(str(subject.get("iam_id", ""))),
                                  for_csv(str(subject.get("email", ""))))
        place = places.get(instance_id) or (for_csv(instance_id), "", "", "")
        writer.writerow((*who, *place, verdict, for_csv(lacks), _cell(";".join(policies))))


def render_audit(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    stream_audit(doc, out)
    return out.getvalue()
