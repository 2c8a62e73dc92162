"""VPC infrastructure of the account: the 13 regions and the seeded instances, completed with
what IBM keeps beside an instance (its VPC, subnet, image and boot volume)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from iamcheck.emulator.errors import IbmError

REGIONS = (
    "au-syd", "br-sao", "ca-mon", "ca-tor", "eu-de", "eu-es", "eu-gb",
    "in-che", "in-mum", "jp-osa", "jp-tok", "us-east", "us-south",
)
DEFAULT_REGION = "us-south"  # what VpcV1's default service URL points at
MORE_INFO = "https://cloud.ibm.com/docs/vpc?topic=vpc-rias-error-messages"
_IDS = uuid.UUID("6f1c3f0e-2b1a-4d8e-9a52-7c0e4b1d9a10")  # namespace for derived ids
_EPOCH = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

# Known operating system name prefixes -> (family, vendor), to complete a partial seed.
_OS_FAMILIES = {
    "zos": ("IBM z/OS", "IBM"),
    "ubuntu": ("Ubuntu Linux", "Canonical"),
    "rhel": ("Red Hat Enterprise Linux", "Red Hat"),
    "red": ("Red Hat Enterprise Linux", "Red Hat"),
    "centos": ("CentOS Stream", "CentOS"),
    "rocky": ("Rocky Linux", "Rocky Enterprise Software Foundation"),
    "debian": ("Debian GNU/Linux", "Debian"),
    "sles": ("SUSE Linux Enterprise Server", "SUSE"),
    "windows": ("Windows Server", "Microsoft"),
}
_DEFAULT_OS = {"name": "ubuntu-24-04-amd64", "version": "24.04 LTS Noble Numbat Minimal Install"}
_DEFAULT_IMAGE = "ibm-ubuntu-24-04-6-minimal-amd64-1"
_MANUFACTURERS = {"s390x": "ibm", "arm64": "ampere"}


class VpcError(IbmError):
    """VPC's envelope: errors[{code, message, more_info, target?}], trace, status_code."""

    def __init__(self, status: int, code: str, message: str,
                 target: dict[str, str] | None = None) -> None:
        super().__init__(status, code, message)
        self.target = target

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message,
                                 "more_info": f"{MORE_INFO}#{self.code}"}
        if self.target is not None:
            error["target"] = self.target
        return {"errors": [error], "trace": str(uuid.uuid4()), "status_code": self.status}


def vpc_not_found(what: str, ident: str, param: str = "id") -> VpcError:
    return VpcError(404, "not_found", f"{what} not found",
                    {"name": param, "type": "parameter", "value": ident})


def derived_id(kind: str, key: str) -> str:
    """A stable id for something the seed does not name (same seed, same ids)."""
    return str(uuid.uuid5(_IDS, f"{kind}:{key}"))


def slug(text: str, limit: int = 63) -> str:
    """A valid VPC resource name: lower case, digits and dashes, starting with a letter."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"r-{cleaned}"
    return cleaned[:limit].rstrip("-")


def looks_like_zos(*texts: str) -> bool:
    """z/OS shows as `zos` in stock image/OS names and `z/OS` in families and display names."""
    return any(re.search(r"\bz/?os\b", text.lower()) for text in texts)


def complete_os(seeded: dict[str, Any] | None, image_name: str | None) -> dict[str, Any]:
    """Every field of VPC's OperatingSystem (but href), from whatever the seed gave."""
    given = dict(seeded) if seeded else {}
    if "name" not in given:
        stock = re.fullmatch(r"ibm-(.+?)(?:-\d+)?", image_name or "")
        given.setdefault("name", stock.group(1) if stock else _DEFAULT_OS["name"])
        if not image_name:
            given.setdefault("version", _DEFAULT_OS["version"])
    name: str = given["name"]
    zos = looks_like_zos(name, given.get("family", ""), given.get("display_name", ""),
                         image_name or "")
    prefix = "zos" if zos else name.split("-")[0].lower()
    family, vendor = _OS_FAMILIES.get(prefix, (name, "Unknown"))
    architecture = given.get("architecture") or (
        "s390x" if zos or "s390x" in f"{name} {image_name}" else "amd64")
    digits = re.findall(r"\d+", name.replace("s390x", "").replace("amd64", ""))
    version = given.get("version") or (".".join(digits[:2]) if digits else "unknown")
    family = given.get("family") or family
    return {
        "allow_user_image_creation": not zos,
        "architecture": architecture,
        "dedicated_host_only": False,
        "display_name": given.get("display_name") or f"{family} {version} ({architecture})",
        "family": family,
        "name": name,
        "user_data_format": "cloud_init",
        "vendor": given.get("vendor") or vendor,
        "version": version,
    }


def _profile(seeded: str | None, architecture: str, zos: bool) -> tuple[str, int, int]:
    name = seeded or ("mz2o-2x16" if zos else "bz2-2x8" if architecture == "s390x" else "bx2-2x8")
    sizes = re.search(r"-(\d+)x(\d+)$", name)
    vcpus, memory = (int(sizes.group(1)), int(sizes.group(2))) if sizes else (2, 8)
    return name, vcpus, memory


class VpcStore:
    """Instances by region and id, plus the images and boot volumes derived from them.

    Records are the emulator's own view (plain dicts); backend.vpc_shapes renders them
    as the wire JSON for the URL a client reached.
    """

    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        groups = {g["id"]: g["name"] for g in seed.get("resource_groups", [])}
        self._instances: list[dict[str, Any]] = []
        self._by_region: dict[str, list[dict[str, Any]]] = {r: [] for r in REGIONS}
        self._by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_crn: dict[str, dict[str, Any]] = {}
        self._images: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_volume: dict[tuple[str, str], dict[str, Any]] = {}
        for index, seeded in enumerate(seed.get("instances", [])):
            record = self._complete(seeded, index, groups)
            self._instances.append(record)
            self._by_region.setdefault(record["region"], []).append(record)
            self._by_key[(record["region"], record["id"])] = record
            self._by_crn[record["crn"]] = record
            self._by_volume[(record["region"], record["boot_volume"]["id"])] = record

    def _crn(self, scope: str, kind: str, ident: str) -> str:
        return f"crn:v1:bluemix:public:is:{scope}:a/{self.account_id}::{kind}:{ident}"

    def _complete(self, seeded: dict[str, Any], index: int,
                  groups: dict[str, str]) -> dict[str, Any]:
        iid, region, zone = seeded["id"], seeded["region"], seeded["zone"]
        image_name = seeded.get("image", {}).get("name")
        if image_name is None and "operating_system" not in seeded:
            image_name = _DEFAULT_IMAGE
        os_info = complete_os(seeded.get("operating_system"), image_name)
        image_name = image_name or f"ibm-{os_info['name']}-1"
        zos = looks_like_zos(os_info["name"], os_info["family"], os_info["display_name"],
                             image_name)
        profile, vcpus, memory = _profile(seeded.get("profile"), os_info["architecture"], zos)
        vpc_id = seeded["vpc"]
        vpc_name = slug(f"vpc-{vpc_id}")
        created = (_EPOCH + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        image = self._image(region, seeded.get("image", {}).get("id"), image_name, os_info,
                            created, seeded["resource_group"], groups)
        subnet_id = derived_id("subnet", f"{vpc_id}:{zone}")
        volume_id = derived_id("volume", iid)
        return {
            "id": iid,
            "account_id": self.account_id,
            "crn": seeded.get("crn") or self._crn(zone, "instance", iid),
            "name": seeded["name"],
            "region": region,
            "zone": zone,
            "status": seeded["status"],
            "created_at": created,
            "confidential_compute_mode": seeded.get("confidential_compute_mode", "disabled"),
            "resource_group": {"id": seeded["resource_group"],
                               "name": groups.get(seeded["resource_group"], "")},
            "vpc": {"id": vpc_id, "crn": self._crn(region, "vpc", vpc_id), "name": vpc_name},
            "profile": profile,
            "vcpu": {"architecture": os_info["architecture"], "count": vcpus,
                     "manufacturer": _MANUFACTURERS.get(os_info["architecture"], "intel")},
            "memory": memory,
            "image": {k: image[k] for k in ("id", "crn", "name")},
            "operating_system": os_info,
            "boot_volume": {
                "id": volume_id,
                "crn": self._crn(zone, "volume", volume_id),
                "name": slug(f"{seeded['name']}-boot-{volume_id[:8]}"),
                "attachment_id": derived_id("volume-attachment", iid),
                "attachment_name": slug(f"{seeded['name']}-boot-attachment"),
            },
            "network": {
                "interface_id": derived_id("network-interface", iid),
                "ip_id": derived_id("reserved-ip", iid),
                "address": f"10.{index // 64000 % 256}.{index // 250 % 256}.{index % 250 + 4}",
                "subnet": {"id": subnet_id, "crn": self._crn(zone, "subnet", subnet_id),
                           "name": slug(f"{vpc_name}-{zone}")},
            },
            "access_tags": list(seeded.get("access_tags", [])),
            "user_tags": list(seeded.get("user_tags", [])),
        }

    def _image(self, region: str, image_id: str | None, name: str, os_info: dict[str, Any],
               created: str, group_id: str, groups: dict[str, str]) -> dict[str, Any]:
        """The regional image an instance boots from; instances naming the same image share it."""
        iid = image_id or derived_id("image", f"{region}:{name}:{os_info['name']}")
        return self._images.setdefault((region, iid), {
            "id": iid, "crn": self._crn(region, "image", iid), "name": name, "region": region,
            "operating_system": os_info, "created_at": created,
            # IBM's stock images are all named ibm-...; anything else was imported (custom)
            "visibility": "public" if name.startswith("ibm-") else "private",
            "resource_group": {"id": group_id, "name": groups.get(group_id, "")},
        })

    # Plain accessors (handlers and later features build on these).

    def regions(self) -> tuple[str, ...]:
        return REGIONS

    def instances(self) -> list[dict[str, Any]]:
        """Every instance record, in seed order, across regions."""
        return self._instances

    def instances_in(self, region: str) -> list[dict[str, Any]]:
        return self._by_region.get(region, [])

    def instance(self, region: str, instance_id: str) -> dict[str, Any]:
        """The instance in that region; VPC's 404 when it is unknown or elsewhere."""
        record = self._by_key.get((region, instance_id))
        if record is None:
            raise vpc_not_found("Instance", instance_id)
        return record

    def by_crn(self, crn: str) -> dict[str, Any] | None:
        return self._by_crn.get(crn)

    def image(self, region: str, image_id: str) -> dict[str, Any]:
        image = self._images.get((region, image_id))
        if image is None:
            raise vpc_not_found("Image", image_id)
        return image

    def boot_volume(self, region: str, volume_id: str) -> dict[str, Any]:
        """The instance record whose boot volume has that id."""
        record = self._by_volume.get((region, volume_id))
        if record is None:
            raise vpc_not_found("Volume", volume_id)
        return record

    def tags(self, crn: str, tag_type: str) -> list[str]:
        """Tags attached to a resource; none for an unknown CRN (as Global Tagging answers)."""
        record = self._by_crn.get(crn)
        return _tags_of(record, tag_type) if record else []

    def all_tags(self, tag_type: str) -> list[str]:
        """Every distinct tag of that type attached somewhere in the account."""
        return sorted({tag for r in self._instances for tag in _tags_of(r, tag_type)})


def _tags_of(record: dict[str, Any], tag_type: str) -> list[str]:
    key = {"access": "access_tags", "user": "user_tags"}.get(tag_type)
    return list(record[key]) if key else []  # no service tags are seeded
