"""JUnit XML: the audit as test results for CI (GitHub test reporters, GitLab, Jenkins).

The suite says what the exit code says, by construction: both come from the document's `gate`
(AuditReport.exit_code). One testcase per finding (failing when it fails the gate, that is when
it matches --fail-on; passing with its text in system-out otherwise), one per expectation
violation and one per gap in the data read (all failing: an undecided expectation and partial
data are exit 3, and JUnit has no "unknown" that every reporter shows as not passed), and one
"audit completed" case that fails when the gate fails for a reason no other case shows. So the
suite has a failure exactly when the exit code is not 0.

Account text is shown escaped (safe_text.for_xml): readers show these files to people, and any
input gives well-formed XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from iamcheck.formats._text import Index, summary
from iamcheck.safe_text import for_xml

MESSAGE_CHARS = 200  # reporters show the message attribute as a one-line title


def _clean(text: str) -> str:
    """One line, escaped for people and for XML (a newline in account text stays visible)."""
    return for_xml(text)


def _message(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= MESSAGE_CHARS else first[:MESSAGE_CHARS - 3] + "..."


class _Suite:
    def __init__(self, name: str) -> None:
        self.element = ET.Element("testsuite", name=name)
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def case(self, classname: str, name: str) -> ET.Element:
        self.counts["tests"] += 1
        return ET.SubElement(self.element, "testcase", classname=_clean(classname),
                             name=_clean(name), time="0")

    def outcome(self, case: ET.Element, tag: str, text: str, kind: str) -> None:
        self.counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]] += 1
        child = ET.SubElement(case, tag, message=_clean(_message(text)))
        if tag != "skipped":  # the JUnit schema gives <skipped> a message only
            child.set("type", kind)
        child.text = _clean(text)

    def output(self, case: ET.Element, *lines: str) -> None:
        ET.SubElement(case, "system-out").text = "\n".join(map(_clean, lines))


def render_audit(doc: dict[str, Any]) -> str:
    idx = Index(doc)
    req = (doc.get("requirement") or {}).get("id", "")
    suite = _Suite(f"iamcheck audit {doc.get('account_id', '')} {req}".strip())
    props = ET.SubElement(suite.element, "properties")
    for key in ("account_id", "evaluated_at", "read_at"):
        ET.SubElement(props, "property", name=key, value=_clean(str(doc.get(key, ""))))
    ET.SubElement(props, "property", name="requirement", value=str(req))

    done = suite.case("iamcheck.audit", "audit completed")
    suite.output(done, *summary(doc))
    for f in doc.get("findings", []):
        case = suite.case(f"iamcheck.finding.{f.get('kind', '')}",
                          f"{f.get('rule') or f.get('kind', '')} policy {f.get('policy_id', '')} "
                          f"on {idx.who(f.get('subject', ''))}")
        if f.get("fails_gate"):
            suite.outcome(case, "failure", f.get("detail", ""), str(f.get("severity", "")))
        else:
            suite.output(case, f"{f.get('severity', '')}: {f.get('detail', '')}")
    for v in (doc.get("expectations") or {}).get("violations", []):
        kind = v.get("kind", "")
        case = suite.case(f"iamcheck.expectation.{kind}",
                          f"{idx.who(v.get('subject', ''))} on {idx.name(v.get('instance_id', ''))}"
                          f" ({v.get('instance_id', '')})")
        text = f"{idx.who(v.get('subject', ''))}: {v.get('detail', '')}"
        suite.outcome(case, "failure", text, kind)
    for g in doc.get("gaps", []):
        case = suite.case("iamcheck.gap", f"not read in full: {g.get('what', '')}")
        suite.outcome(case, "failure", f"{g.get('what', '')}: {g.get('reason', '')}; verdicts "
                      "it touches are unknown (exit 3)", "gap")
    gate = doc.get("gate") or {}
    if gate.get("exit_code", 0) and not suite.counts["failures"]:
        suite.outcome(done, "failure", f"the audit's gate is {gate.get('result')} "
                      f"(exit {gate.get('exit_code')})", str(gate.get("result", "")))

    for key, value in suite.counts.items():
        suite.element.set(key, str(value))
    suite.element.set("time", "0")
    root = ET.Element("testsuites", {"name": "iamcheck", "time": "0",
                                     **{k: str(v) for k, v in suite.counts.items()}})
    root.append(suite.element)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
