"""VPC: regions (each with its own endpoint) and the virtual server instances in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import InstancesPager

from iamcheck.ibm._convert import convert_all, reading
from iamcheck.ibm.session import IbmSession, NotFound
from iamcheck.model import Instance

IBM_VPC_URL = "https://us-south.iaas.cloud.ibm.com/v1"
PAGE = 100


@dataclass(frozen=True)
class Region:
    name: str
    endpoint: str  # e.g. https://us-south.iaas.cloud.ibm.com (no /v1)


def list_regions(session: IbmSession) -> list[Region]:
    base = f"{session.settings.endpoint}/v1" if session.settings.endpoint else None
    client = session.client(VpcV1, base)
    what = "list VPC regions"
    result = session.call(what, client.list_regions).get_result()
    return convert_all(
        what,
        result["regions"],
        lambda r: Region(name=r["name"], endpoint=r["endpoint"].rstrip("/")),
    )


def _regional(session: IbmSession, region: Region) -> VpcV1:
    return session.client(VpcV1, f"{region.endpoint}/v1")


def list_instances(
    session: IbmSession,
    region: Region,
    resource_group_id: str | None = None,
) -> list[Instance]:
    pager = InstancesPager(
        client=_regional(session, region), limit=PAGE, resource_group_id=resource_group_id
    )
    what = f"list instances in {region.name}"
    return convert_all(
        what, session.pages(what, pager), lambda i: instance_from_json(i, region.name)
    )


def get_instance(session: IbmSession, region: Region, instance_id: str) -> Instance | None:
    client = _regional(session, region)
    what = f"read instance {instance_id} in {region.name}"
    try:
        raw = session.call(what, client.get_instance, id=instance_id).get_result()
    except NotFound:
        return None
    with reading(what):
        return instance_from_json(raw, region.name)


def instance_from_json(raw: dict[str, Any], region: str) -> Instance:
    zone = raw["zone"]["name"]
    return Instance(
        id=raw["id"],
        crn=raw["crn"],
        name=raw["name"],
        region=region,
        zone=zone,
        resource_group_id=raw["resource_group"]["id"],
        vpc_id=raw["vpc"]["id"],
        status=raw["status"],
        confidential_compute_mode=raw.get("confidential_compute_mode") or "disabled",
        image_name=(raw.get("image") or {}).get("name", ""),
        architecture=(raw.get("vcpu") or {}).get("architecture", ""),
    )
