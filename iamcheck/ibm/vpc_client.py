"""The six VPC API calls iamcheck makes, on IBM's SDK core (`ibm_cloud_sdk_core.BaseService`).

IBM's VPC SDK (`ibm_vpc`) is one module of some 200,000 lines, and importing it costs more CPU
than the rest of a `check` (issue 17). These methods build the same requests its `VpcV1` does
(`version` and `generation` query parameters, the SDK's headers, IBM's paging by `start`), and
the SDK core sends them: authentication, retries, TLS and errors (`ApiException`) are the
official SDK's. tests/emulator compare both clients on the same answers.
"""

from __future__ import annotations

import json
import platform
import uuid
from functools import cache
from importlib import metadata
from typing import Any

from ibm_cloud_sdk_core import BaseService, DetailedResponse
from ibm_cloud_sdk_core.authenticators import Authenticator
from ibm_cloud_sdk_core.utils import get_query_param

API_VERSION = "2026-10-06"  # the date ibm_vpc's VpcV1 sends by default


@cache
def _user_agent() -> str:
    try:
        version = metadata.version("ibm-vpc")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency of iamcheck
        version = "unknown"
    system = (f"lang=python; arch={platform.machine()}; os={platform.system()}; "
              f"python.version={platform.python_version()}")
    return f"vpc-python-sdk/{version} ({system})"


class VpcV1(BaseService):  # type: ignore[misc]
    """The calls of ibm_vpc.VpcV1 that iamcheck uses, with the same signatures."""

    DEFAULT_SERVICE_URL = "https://us-south.iaas.cloud.ibm.com/v1"
    DEFAULT_SERVICE_NAME = "vpc"

    def __init__(self, version: str = API_VERSION, authenticator: Authenticator | None = None,
                 generation: int = 2) -> None:
        BaseService.__init__(self, service_url=self.DEFAULT_SERVICE_URL,
                             authenticator=authenticator)
        self.version = version
        self.generation = generation

    def _send(self, method: str, path: str, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None) -> DetailedResponse:
        headers = {"X-Request-Id": str(uuid.uuid4()), "User-Agent": _user_agent(),
                   "Accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        query = {"version": self.version, "generation": self.generation, **(params or {})}
        request = self.prepare_request(method=method, url=path, headers=headers, params=query,
                                       data=json.dumps(body) if body is not None else None)
        return self.send(request)

    def _path(self, template: str, *values: str) -> str:
        return template.format(*self.encode_path_vars(*values))

    def list_regions(self) -> DetailedResponse:
        return self._send("GET", "/regions")

    def list_instances(self, *, start: str | None = None, limit: int | None = None,
                       resource_group_id: str | None = None) -> DetailedResponse:
        return self._send("GET", "/instances", {"start": start, "limit": limit,
                                                "resource_group.id": resource_group_id})

    def get_instance(self, id: str) -> DetailedResponse:
        return self._send("GET", self._path("/instances/{}", id))

    def get_image(self, id: str) -> DetailedResponse:
        return self._send("GET", self._path("/images/{}", id))

    def get_volume(self, id: str) -> DetailedResponse:
        return self._send("GET", self._path("/volumes/{}", id))

    def create_instance_console_access_token(self, instance_id: str, console_type: str, *,
                                             force: bool | None = None) -> DetailedResponse:
        if not instance_id:
            raise ValueError("instance_id must be provided")
        return self._send("POST", self._path("/instances/{}/console_access_token", instance_id),
                          body={"console_type": console_type, "force": force})


class InstancesPager:
    """ibm_vpc's InstancesPager: one page of instances a call, following `next.href`'s start."""

    def __init__(self, *, client: VpcV1, limit: int | None = None,
                 resource_group_id: str | None = None) -> None:
        self._client = client
        self._limit = limit
        self._resource_group_id = resource_group_id
        self._next: str | None = None
        self._has_next = True

    def has_next(self) -> bool:
        return self._has_next

    def get_next(self) -> list[dict[str, Any]]:
        if not self._has_next:
            raise StopIteration("No more results available")
        result = self._client.list_instances(start=self._next, limit=self._limit,
                                             resource_group_id=self._resource_group_id
                                             ).get_result()
        href = (result.get("next") or {}).get("href")
        start = get_query_param(href, "start") if href else None
        self._next, self._has_next = start, start is not None
        return list(result.get("instances") or [])


__all__ = ["API_VERSION", "InstancesPager", "VpcV1"]
