"""The diff document (`iamcheck diff`, `audit --plan`, `audit --with-policy`) as text: table,
Markdown, CSV, JUnit and SARIF. JSON goes through json_format, HTML through html_format.

Transitions are grouped per instance, each naming the person, the change of verdict and its
causes (the policy, group, membership or rule that changed). Account text is hostile: each
format escapes it through iamcheck.safe_text.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from typing import Any
from xml.etree import ElementTree as ET

import iamcheck
from iamcheck.formats import json_format
from iamcheck.safe_text import for_csv, for_markdown, for_terminal, for_xml

KINDS = ("gained", "lost", "maybe_gained", "maybe_lost", "cleared")
SHOWN = {"gained": "gained", "lost": "lost", "maybe_gained": "may have gained",
         "maybe_lost": "may have lost", "cleared": "no longer uncertain (deny)"}
CSV_COLUMNS = ["instance_id", "instance_name", "subject", "subject_label", "kind", "before",
               "after", "policy_ids", "causes"]


def _cause(c: dict[str, Any]) -> str:
    """`policy removed: policy 7b3e... (Operator, directly)`."""
    return f"{str(c.get('kind', '')).replace('_', ' ')}: {c.get('detail') or c.get('id') or ''}"


def _causes(t: dict[str, Any]) -> str:
    return "; ".join(_cause(c) for c in t.get("causes") or ())


def _through(t: dict[str, Any]) -> str:
    return ", ".join(dict.fromkeys(str(p.get("policy_id", "")) for p in t.get("paths") or ()))


def _summary_line(doc: dict[str, Any]) -> str:
    counts = doc.get("summary") or {}
    return ", ".join(f"{counts.get(k, 0)} {SHOWN[k]}" for k in KINDS)


def _by_instance(doc: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for t in doc.get("transitions") or ():
        out.setdefault((str(t["instance_id"]), str(t.get("instance_name") or "")), []).append(t)
    return out


def _gate(doc: dict[str, Any]) -> str:
    gate = doc.get("gate") or {}
    if not gate.get("fail_on"):
        return ""
    return f"gate --fail-on {','.join(gate['fail_on'])}: {gate.get('result')}"


def _lines(doc: dict[str, Any], esc: Callable[[str], str], bullet: str) -> list[str]:
    out = [f"Requirement: {esc(str(doc.get('requirement', '')))}",
           f"Old read at: {esc(str(doc.get('old_read_at', '')))}",
           f"New read at: {esc(str(doc.get('new_read_at', '')))}",
           f"Changes: {_summary_line(doc)}"]
    if _gate(doc):
        out.append(esc(_gate(doc)))
    for name in doc.get("unmodelled") or ():
        out.append(f"Not modelled (verdicts it touches are uncertain): {esc(str(name))}")
    return [bullet + line for line in out]


def render_table(doc: dict[str, Any]) -> str:
    out = ["Console access: what changed", *_lines(doc, for_terminal, "  "), ""]
    groups = _by_instance(doc)
    if not groups:
        out.append("Nobody gained or lost console access.")
    for (iid, name), transitions in groups.items():
        out.append(f"{for_terminal(name or iid)} ({for_terminal(iid)})")
        for t in transitions:
            out.append(f"  {SHOWN.get(t['kind'], t['kind']):<27} "
                       f"{for_terminal(str(t.get('subject_label') or t['subject']))}")
            if _through(t):
                out.append(f"    through {for_terminal(_through(t))}")
            for c in t.get("causes") or ():
                out.append(f"    because: {for_terminal(_cause(c))}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_markdown(doc: dict[str, Any]) -> str:
    out = ["## Console access: what changed", "", *_lines(doc, for_markdown, "- "), ""]
    groups = _by_instance(doc)
    if not groups:
        out.append("Nobody gained or lost console access.")
    for (iid, name), transitions in groups.items():
        out += [f"### {for_markdown(name or iid, in_table=False)} ({for_markdown(iid)})", "",
                "| Change | Person | Through | Because |", "|---|---|---|---|"]
        for t in transitions:
            out.append(f"| {SHOWN.get(t['kind'], t['kind'])} | "
                       f"{for_markdown(str(t.get('subject_label') or t['subject']))} | "
                       f"{for_markdown(_through(t))} | {for_markdown(_causes(t))} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_csv(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in doc.get("transitions") or ():
        cells = [t["instance_id"], t.get("instance_name") or "", t["subject"],
                 t.get("subject_label") or "", t["kind"], t["before"], t["after"],
                 _through(t), _causes(t)]
        writer.writerow([for_csv(str(c)) for c in cells])
    return buffer.getvalue()


def _failing(doc: dict[str, Any]) -> set[str]:
    """The kinds the gate fails on, and those that make it unknown."""
    wanted = set((doc.get("gate") or {}).get("fail_on") or ())
    return wanted | {f"maybe_{k}" for k in wanted}


def render_junit(doc: dict[str, Any]) -> str:
    """One test case per transition; with --fail-on, those the gate fails on are failures (and
    the possible ones errors), the others pass."""
    transitions = list(doc.get("transitions") or ())
    failing = _failing(doc)
    suite = ET.Element("testsuite", name="iamcheck diff", tests=str(len(transitions)))
    failures = errors = 0
    for t in transitions:
        label = str(t.get("subject_label") or t["subject"])
        case = ET.SubElement(suite, "testcase", classname=for_xml(str(t["instance_id"])),
                             name=for_xml(f"{label} {SHOWN.get(t['kind'], t['kind'])}"))
        text = for_xml(f"{SHOWN.get(t['kind'], t['kind'])} console access on "
                       f"{t.get('instance_name') or t['instance_id']}: {_causes(t)}")
        if t["kind"] in failing and t["kind"].startswith("maybe_"):
            errors += 1
            ET.SubElement(case, "error", message=text[:500])
        elif t["kind"] in failing:
            failures += 1
            ET.SubElement(case, "failure", message=text[:500])
        else:
            ET.SubElement(case, "system-out").text = text
    for name in doc.get("unmodelled") or ():
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="unmodelled", name=for_xml(str(name)))
        ET.SubElement(case, "error", message=for_xml(f"not modelled: {name}")[:500])
    suite.set("tests", str(len(transitions) + len(doc.get("unmodelled") or ())))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _fingerprint(*parts: str) -> dict[str, str]:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return {"primaryLocationLineHash": digest}


def _rules(kinds: Iterable[str]) -> list[dict[str, Any]]:
    return [{"id": f"diff/{k}", "name": k,
             "shortDescription": {"text": f"Console access {SHOWN[k]}"}} for k in kinds]


def render_sarif(doc: dict[str, Any]) -> str:
    """Gains and losses as SARIF results (warnings; errors for the kinds --fail-on names);
    account text escaped as for the terminal, as code-scanning pages show it verbatim."""
    failing = _failing(doc)
    results = []
    for t in doc.get("transitions") or ():
        iid = str(t["instance_id"])
        label = str(t.get("subject_label") or t["subject"])
        text = (f"{label} {SHOWN.get(t['kind'], t['kind'])} console access on "
                f"{t.get('instance_name') or iid} ({iid})"
                + (f": {_causes(t)}" if _causes(t) else ""))
        results.append({
            "ruleId": f"diff/{t['kind']}", "level": "error" if t["kind"] in failing
            else "warning", "message": {"text": for_terminal(text)},
            "locations": [{"physicalLocation": {"artifactLocation": {
                "uri": f"ibm-cloud/instances/{iid}"}},
                "logicalLocations": [{"name": for_terminal(label), "kind": "object"}]}],
            "partialFingerprints": _fingerprint(t["kind"], iid, str(t["subject"]))})
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "iamcheck", "version": iamcheck.__version__,
                                         "rules": _rules(KINDS)}},
                     "results": results,
                     "properties": {"requirement": doc.get("requirement", ""),
                                    "unmodelled": [for_terminal(str(u)) for u in
                                                   doc.get("unmodelled") or ()]}}]}
    return json_format.write(log)
