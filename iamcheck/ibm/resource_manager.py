"""Resource Manager: the account's resource groups."""

from __future__ import annotations

from typing import Any

from ibm_platform_services.resource_manager_v2 import ResourceManagerV2

from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_list
from iamcheck.ibm.session import IbmSession
from iamcheck.model import ResourceGroup


def list_resource_groups(session: IbmSession, account_id: str) -> list[ResourceGroup]:
    client = session.client(ResourceManagerV2)
    what = "list resource groups"
    result = session.call(what, client.list_resource_groups, account_id=account_id).get_result()
    return convert_list(
        what, result, "resources", lambda g: _group(
            validate.item(g, validate.RESOURCE_GROUP, what, validate.RESOURCE_GROUPS, "resources"))
    )


def _group(raw: dict[str, Any]) -> ResourceGroup:
    return ResourceGroup(id=raw["id"], name=raw["name"])
