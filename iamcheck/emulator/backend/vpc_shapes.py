"""VPC records rendered as the wire JSON of IBM's VPC API (the shapes ibm_vpc's models parse).

`root` is the API root the client reached: the emulator's base URL for the default (us-south)
endpoint, or `<base>/vpc/<region>` for a regional one. Every href points back at it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def region_json(name: str, base: str, root: str) -> dict[str, Any]:
    return {"endpoint": f"{base}/vpc/{name}", "href": f"{root}/v1/regions/{name}",
            "name": name, "status": "available"}


def _zone(record: dict[str, Any], root: str) -> dict[str, str]:
    return {"href": f"{root}/v1/regions/{record['region']}/zones/{record['zone']}",
            "name": record["zone"]}


def _resource_group(group: dict[str, str], base: str) -> dict[str, str]:
    return {"href": f"{base}/v2/resource_groups/{group['id']}", "id": group["id"],
            "name": group["name"]}


def image_reference(image: dict[str, Any], root: str) -> dict[str, Any]:
    return {"crn": image["crn"], "href": f"{root}/v1/images/{image['id']}", "id": image["id"],
            "name": image["name"], "resource_type": "image"}


def _os_json(os_info: dict[str, Any], root: str) -> dict[str, Any]:
    return {**os_info, "href": f"{root}/v1/operating_systems/{os_info['name']}"}


def _boot_attachment(record: dict[str, Any], root: str) -> dict[str, Any]:
    volume = record["boot_volume"]
    return {
        "device": {"id": f"{volume['attachment_id']}-vda"},
        "href": f"{root}/v1/instances/{record['id']}/volume_attachments/{volume['attachment_id']}",
        "id": volume["attachment_id"],
        "name": volume["attachment_name"],
        "volume": {"crn": volume["crn"], "href": f"{root}/v1/volumes/{volume['id']}",
                   "id": volume["id"], "name": volume["name"], "resource_type": "volume"},
    }


def _network_interface(record: dict[str, Any], root: str) -> dict[str, Any]:
    net = record["network"]
    subnet = net["subnet"]
    return {
        "href": f"{root}/v1/instances/{record['id']}/network_interfaces/{net['interface_id']}",
        "id": net["interface_id"],
        "name": "eth0",
        "primary_ip": {"address": net["address"],
                       "href": f"{root}/v1/subnets/{subnet['id']}/reserved_ips/{net['ip_id']}",
                       "id": net["ip_id"], "name": f"ip-{net['address'].replace('.', '-')}",
                       "resource_type": "subnet_reserved_ip"},
        "resource_type": "network_interface",
        "subnet": {"crn": subnet["crn"], "href": f"{root}/v1/subnets/{subnet['id']}",
                   "id": subnet["id"], "name": subnet["name"], "resource_type": "subnet"},
    }


def _state(status: str) -> tuple[str, str]:
    """(lifecycle_state, health_state) that go with an instance status."""
    lifecycle = status if status in ("deleting", "failed", "pending") else "stable"
    health = {"failed": "faulted", "deleting": "inapplicable", "pending": "inapplicable"}
    return lifecycle, health.get(status, "ok")


def instance_json(record: dict[str, Any], base: str, root: str) -> dict[str, Any]:
    """Everything VpcV1's `Instance.from_dict` requires, and the optional parts iamcheck reads."""
    lifecycle, health = _state(record["status"])
    interface = _network_interface(record, root)
    boot = _boot_attachment(record, root)
    vpc = record["vpc"]
    return {
        "availability": {"class": "standard"},
        "availability_policy": {"host_failure": "restart", "preemption": "stop"},
        "bandwidth": 4000,
        "boot_volume_attachment": boot,
        "cluster_network_attachments": [],
        "confidential_compute_mode": record["confidential_compute_mode"],
        "created_at": record["created_at"],
        "crn": record["crn"],
        "disks": [],
        "enable_secure_boot": False,
        "health_reasons": [],
        "health_state": health,
        "href": f"{root}/v1/instances/{record['id']}",
        "id": record["id"],
        "image": image_reference(record["image"], root),
        "lifecycle_reasons": [],
        "lifecycle_state": lifecycle,
        "memory": record["memory"],
        "metadata_service": {"enabled": False, "protocol": "http", "response_hop_limit": 1},
        "name": record["name"],
        "network_attachments": [],
        "network_interfaces": [interface],
        "numa_count": 1,
        "primary_network_interface": interface,
        "profile": {"href": f"{root}/v1/instance/profiles/{record['profile']}",
                    "name": record["profile"], "resource_type": "instance_profile"},
        "reservation_affinity": {"policy": "disabled", "pool": []},
        "resource_group": _resource_group(record["resource_group"], base),
        "resource_type": "instance",
        "software_attachments": [],
        "startable": record["status"] in ("stopped", "failed"),
        "status": record["status"],
        "status_reasons": [],
        "threads_per_core": 2,
        "total_network_bandwidth": 3000,
        "total_volume_bandwidth": 1000,
        "vcpu": {**record["vcpu"], "percentage": 100},
        "volume_attachments": [boot],
        "volume_bandwidth_qos_mode": "pooled",
        "vpc": {"crn": vpc["crn"], "href": f"{root}/v1/vpcs/{vpc['id']}", "id": vpc["id"],
                "name": vpc["name"], "resource_type": "vpc"},
        "zone": _zone(record, root),
    }


def image_json(image: dict[str, Any], base: str, root: str) -> dict[str, Any]:
    """An image (stock or custom), with the operating_system a client reads to detect z/OS."""
    return {
        **image_reference(image, root),
        "allowed_use": {"api_version": "true", "bare_metal_server": "true", "instance": "true"},
        "catalog_offering": {"managed": False},
        "created_at": image["created_at"],
        "encryption": "none",
        "file": {"size": 10},
        "minimum_provisioned_size": 100,
        "operating_system": _os_json(image["operating_system"], root),
        "resource_group": _resource_group(image["resource_group"], base),
        "status": "available",
        "status_reasons": [],
        "user_data_format": image["operating_system"]["user_data_format"],
        "visibility": image["visibility"],
        "zones": [],
    }


def volume_json(record: dict[str, Any], base: str, root: str) -> dict[str, Any]:
    """An instance's boot volume; it keeps the operating_system even if the image goes."""
    volume = record["boot_volume"]
    attachment = _boot_attachment(record, root)
    return {
        "active": record["status"] == "running",
        "adjustable_capacity_states": ["attached"],
        "adjustable_iops_states": [],
        "attachment_state": "attached",
        "bandwidth": 393,
        "busy": False,
        "capacity": 100,
        "created_at": record["created_at"],
        "crn": volume["crn"],
        "encryption": "provider_managed",
        "health_reasons": [],
        "health_state": "ok",
        "href": f"{root}/v1/volumes/{volume['id']}",
        "id": volume["id"],
        "iops": 3000,
        "name": volume["name"],
        "operating_system": _os_json(record["operating_system"], root),
        "profile": {"href": f"{root}/v1/volume/profiles/general-purpose",
                    "name": "general-purpose"},
        "resource_group": _resource_group(record["resource_group"], base),
        "resource_type": "volume",
        "software_attachments": [],
        "source_image": image_reference(record["image"], root),
        "status": "available",
        "status_reasons": [],
        "storage_generation": 1,
        "user_tags": [],
        "volume_attachments": [{
            "delete_volume_on_instance_delete": True,
            "device": attachment["device"],
            "href": attachment["href"],
            "id": attachment["id"],
            "instance": {"crn": record["crn"], "href": f"{root}/v1/instances/{record['id']}",
                         "id": record["id"], "name": record["name"]},
            "name": attachment["name"],
            "type": "boot",
        }],
        "zone": _zone(record, root),
    }


# Global Search: what a VPC instance document offers, by field name.
SEARCH_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "crn": lambda r: r["crn"],
    "name": lambda r: r["name"],
    "resource_id": lambda r: r["id"],
    "family": lambda r: "is",
    "type": lambda r: "instance",
    "service_name": lambda r: "is",
    "region": lambda r: r["region"],
    "resource_group_id": lambda r: r["resource_group"]["id"],
    "account_id": lambda r: r["account_id"],
    "access_tags": lambda r: list(r["access_tags"]),
    "tags": lambda r: list(r["user_tags"]),
    "service_tags": lambda r: [],
}
DEFAULT_SEARCH_FIELDS = ("account_id", "name", "type", "family", "crn")


def search_item(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """A Global Search result item: the requested fields (crn always), default ones if none."""
    wanted = DEFAULT_SEARCH_FIELDS if not fields else SEARCH_FIELDS if "*" in fields else fields
    item = {"crn": record["crn"]}
    item.update({f: SEARCH_FIELDS[f](record) for f in wanted if f in SEARCH_FIELDS})
    return item
