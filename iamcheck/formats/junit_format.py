"""JUnit XML: the audit as test results for CI (GitHub test reporters, GitLab, Jenkins).

One testcase per finding (a warning fails, an info passes with its text in system-out), one per
expectation violation, and one passing "audit completed" so that a clean run still shows a test.
A violation of kind "unknown" (iamcheck cannot decide the pair) is *skipped*, not an error: JUnit
means by error that the test itself broke, which Jenkins and GitLab show as a crashed test and
some reporters as a failed build; skipped is shown by all of them as "not passed, not failed",
which is what undecided means. The exit code, not this file, decides whether the job fails.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from iamcheck.formats._text import Index, summary

FAILING_VIOLATIONS = {"missing", "unexpected"}
MESSAGE_CHARS = 200  # reporters show the message attribute as a one-line title


# Characters XML 1.0 cannot carry at all; names read from IBM could hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


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

    def output(self, case: ET.Element, text: str) -> None:
        ET.SubElement(case, "system-out").text = _clean(text)


def render_audit(doc: dict[str, Any]) -> str:
    idx = Index(doc)
    req = (doc.get("requirement") or {}).get("id", "")
    suite = _Suite(f"iamcheck audit {doc.get('account_id', '')} {req}".strip())
    props = ET.SubElement(suite.element, "properties")
    for key in ("account_id", "evaluated_at", "read_at"):
        ET.SubElement(props, "property", name=key, value=_clean(str(doc.get(key, ""))))
    ET.SubElement(props, "property", name="requirement", value=str(req))

    done = suite.case("iamcheck.audit", "audit completed")
    suite.output(done, "\n".join(summary(doc)))
    for f in doc.get("findings", []):
        case = suite.case(f"iamcheck.finding.{f.get('kind', '')}",
                          f"{f.get('rule') or f.get('kind', '')} policy {f.get('policy_id', '')} "
                          f"on {idx.who(f.get('subject', ''))}")
        if f.get("severity") == "info":
            suite.output(case, f.get("detail", ""))
        else:
            suite.outcome(case, "failure", f.get("detail", ""), str(f.get("severity", "")))
    for v in (doc.get("expectations") or {}).get("violations", []):
        kind = v.get("kind", "")
        case = suite.case(f"iamcheck.expectation.{kind}",
                          f"{idx.who(v.get('subject', ''))} on {idx.name(v.get('instance_id', ''))}"
                          f" ({v.get('instance_id', '')})")
        text = f"{idx.who(v.get('subject', ''))}: {v.get('detail', '')}"
        suite.outcome(case, "failure" if kind in FAILING_VIOLATIONS else "skipped", text, kind)

    for key, value in suite.counts.items():
        suite.element.set(key, str(value))
    suite.element.set("time", "0")
    root = ET.Element("testsuites", {"name": "iamcheck", "time": "0",
                                     **{k: str(v) for k, v in suite.counts.items()}})
    root.append(suite.element)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
