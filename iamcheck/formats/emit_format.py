"""`grant --emit`: the planned policies of a grant document as Terraform HCL (with an `import`
block for each policy the grant created), as ibmcloud commands, or as v2 bodies (JSON Lines).
Functions of the document alone, like every format; the HCL itself is iamcheck/terraform.py's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iamcheck import terraform
from iamcheck.errors import BadInput
from iamcheck.formats.json_format import write


def _planned(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each subject that has a planned policy (a subject already allowed has none)."""
    for entry in doc["subjects"]:
        if entry.get("policy") is not None:
            yield entry


def _created_id(entry: dict[str, Any]) -> str | None:
    done = entry.get("result")
    return str(done["policy_id"]) if done and done["outcome"] == "created" else None


def _kind(name: str) -> terraform.SubjectKind:
    for kind in terraform.RESOURCE_TYPES:
        if kind == name:
            return kind
    raise BadInput(f"--emit terraform: no policy resource for a subject of kind {name!r}")


def render_terraform(doc: dict[str, Any]) -> str:
    """HCL for each planned policy; after an apply, its `import` block too (Terraform 1.5+), so
    that the policy grant created is adopted rather than created twice."""
    scope = doc["scope"]
    where = scope.get("name") or scope.get("id") or scope["kind"]
    blocks = []
    for entry in _planned(doc):
        subject, policy = entry["subject"], entry["policy"]
        kind = _kind(subject["kind"])
        ref = terraform.subject_ref(kind, subject["id"],
                                    subject["label"] if kind == "user" else "")
        name = f"{subject['label'] or subject['id']}_{where}"
        text = terraform.policy_hcl(policy["body"], kind, ref,
                                    [role["name"] for role in policy["roles"]], name)
        created = _created_id(entry)
        if created is not None:
            text += terraform.import_block(kind, ref, created, name)
        blocks.append(text)
    return "\n".join(blocks)


def render_ibmcloud(doc: dict[str, Any]) -> str:
    """The ibmcloud command for each planned policy; a command that reads its body from a file
    says so (write it with --emit json)."""
    lines = []
    for entry in _planned(doc):
        policy = entry["policy"]
        if policy["cli_reads_body_from_file"]:
            lines.append("# policy.json: the v2 body, from: iamcheck grant ... --emit json")
        lines.append(policy["cli"])
    return "".join(line + "\n" for line in lines)


def render_body(doc: dict[str, Any]) -> str:
    """One v2 body (POST /v2/policies) per line."""
    return "".join(write(entry["policy"]["body"], "line") for entry in _planned(doc))
