"""VPC: regions (each with its own endpoint) and the virtual server instances in them."""

from __future__ import annotations

from typing import Any

from ibm_cloud_sdk_core import ApiException

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_all, convert_list, reading
from iamcheck.ibm.session import IbmSession
from iamcheck.ibm.vpc_client import InstancesPager, VpcV1  # not ibm_vpc's 200,000 lines
from iamcheck.ibm.vpc_values import ConsoleToken, ConsoleType, ImageInfo, Region
from iamcheck.model import Instance

__all__ = ["ConsoleToken", "ImageInfo", "Region", "TokenRefused"]

PAGE = 100


def list_regions(session: IbmSession) -> list[Region]:
    base = f"{session.settings.endpoint}/v1" if session.settings.endpoint else None
    client = session.client(VpcV1, base)
    what = "list VPC regions"
    result = session.call(what, client.list_regions).get_result()
    return convert_list(
        what,
        result,
        "regions",
        lambda r: _region(validate.item(r, validate.REGION, what, validate.REGIONS, "regions")),
    )


def _region(raw: dict[str, Any]) -> Region:
    return Region(name=raw["name"], endpoint=raw["endpoint"].rstrip("/"))


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
        what, session.pages(what, pager),
        lambda i: instance_from_json(validate.instance(i, what, region.name), region.name),
    )


def get_instance(session: IbmSession, region: Region, instance_id: str) -> Instance | None:
    client = _regional(session, region)
    what = f"read instance {instance_id} in {region.name}"
    raw = session.optional(what, client.get_instance, id=instance_id)
    if raw is None:
        return None
    validate.instance(raw, what, region.name)
    if raw["id"] != instance_id:
        raise validate.InvalidAnswer(f"{what}: IBM Cloud answered with another instance")
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
        image_id=(raw.get("image") or {}).get("id", ""),
        boot_volume_id=((raw.get("boot_volume_attachment") or {}).get("volume") or {}).get(
            "id", ""
        ),
        architecture=(raw.get("vcpu") or {}).get("architecture", ""),
    )


# Console: the image an instance boots from, and single-use console access tokens.


class TokenRefused(Exception):
    """VPC refused to create a console access token: a 4xx that the caller explains."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _image_info(raw: dict[str, Any], name: str, visibility: str) -> ImageInfo:
    os_info = raw.get("operating_system") or {}
    return ImageInfo(
        name=name,
        visibility=visibility,
        os_name=os_info.get("name", ""),
        os_family=os_info.get("family", ""),
        os_display_name=os_info.get("display_name", ""),
        architecture=os_info.get("architecture", ""),
    )


def get_boot_image(session: IbmSession, region: Region, instance: Instance) -> ImageInfo | None:
    """The instance's image with its operating system; from the boot volume if the image was
    deleted (visibility then unknown). None when neither can be read."""
    client = _regional(session, region)
    volume_id = instance.boot_volume_id
    if instance.image_id:
        what = f"read image {instance.image_id} in {region.name}"
        image = session.optional(what, client.get_image, id=instance.image_id)
        if image is not None:
            with reading(what):
                return _image_info(image, image["name"], image.get("visibility", ""))
    if volume_id:
        what = f"read boot volume {volume_id} in {region.name}"
        volume = session.optional(what, client.get_volume, id=volume_id)
        if volume is None:
            return None
        with reading(what):
            return _image_info(volume, instance.image_name, "")
    return None


def create_console_token(
    session: IbmSession, region: Region, instance_id: str, console_type: ConsoleType, force: bool
) -> ConsoleToken:
    """POST /instances/{id}/console_access_token; refusals other than 401/404 raise
    TokenRefused so that the caller can say what they mean for a console."""
    client = _regional(session, region)

    def create() -> Any:
        try:
            return client.create_instance_console_access_token(
                instance_id, console_type, force=force
            )
        except ApiException as err:
            if 400 <= err.status_code < 500 and err.status_code not in (401, 404, 429):
                raise TokenRefused(err.status_code, _error_code(err), err.message or "") from None
            raise

    what = f"create a {console_type} console access token for instance {instance_id}"
    raw = session.call(what, create).get_result()
    with reading(what):
        return ConsoleToken(
            access_token=raw["access_token"],
            console_type=raw["console_type"],
            created_at=raw["created_at"],
            expires_at=raw["expires_at"],
            force=bool(raw["force"]),
            href=raw["href"],
            version=str(client.version),
        )


def _error_code(err: ApiException) -> str:
    try:
        body = err.http_response.json() if err.http_response is not None else {}
        return str(body["errors"][0]["code"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
