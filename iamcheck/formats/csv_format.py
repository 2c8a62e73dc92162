"""CSV: one row per (subject, instance) pair that is allowed, uncertain or one role short.

Every pair is listed, never summarised: this is the format for spreadsheets and scripts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

COLUMNS = ["subject_iam_id", "subject_email", "instance_id", "instance_name", "region",
           "resource_group", "verdict", "lacks", "through_policy_ids"]


def _pairs(doc: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str, str, list[str]]]:
    """(subject, instance id, verdict, lacks, through policy ids), subjects in document order."""
    listed = doc.get("instances", [])  # scopes name instances by place in this list
    scopes = {s["id"]: [listed[k]["id"] for k in s["instances"]] for s in doc.get("scopes", [])}
    for subject in doc.get("subjects", []):
        seen: set[str] = set()
        for entry in subject.get("can_open") or []:
            policies = list(dict.fromkeys(t["policy_id"] for t in entry.get("through", [])))
            for instance_id in _new(scopes[entry["scope"]], seen):
                # the first scope that contains it supplies it
                yield subject, instance_id, "allow", "", policies
        for instance_id in _new(_each(scopes, subject.get("unknown") or []), set()):
            yield subject, instance_id, "unknown", "", []
        for action, refs in (subject.get("one_short") or {}).items():
            for instance_id in _new(_each(scopes, refs), set()):
                yield subject, instance_id, "one_short", action, []


def _each(scopes: dict[str, list[str]], refs: list[str]) -> Iterator[str]:
    for ref in refs:
        yield from scopes[ref]


def _new(instance_ids: Iterable[str], seen: set[str]) -> Iterator[str]:
    """Each id once: scopes may overlap (a region and a resource group)."""
    for instance_id in instance_ids:
        if instance_id not in seen:
            seen.add(instance_id)
            yield instance_id


def render_audit(doc: dict[str, Any]) -> str:
    instances = {i["id"]: i for i in doc.get("instances", [])}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for subject, instance_id, verdict, lacks, policies in _pairs(doc):
        inst = instances.get(instance_id) or {}
        rg = inst.get("resource_group") or {}
        writer.writerow([subject.get("iam_id", ""), subject.get("email", ""), instance_id,
                         inst.get("name", ""), inst.get("region", ""),
                         rg.get("name") or rg.get("id", ""), verdict, lacks, ";".join(policies)])
    return out.getvalue()
