"""Where VPC refuses a request that IAM allowed: an enforced context-based restriction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamcheck.emulator.backend.vpc import VpcError

if TYPE_CHECKING:
    from iamcheck.emulator.backend import Backend


def enforce_cbr(backend: Backend, instance: dict[str, Any], client: str | None) -> None:
    """Raise VPC's 403 `not_authorized` when an `enabled` CBR rule covering the instance does
    not allow the client's context; `report` rules are only logged (backend.cbr.reports)."""
    target = {"accountId": backend.account_id, "serviceName": "is",
              "instanceId": instance["id"], "resourceGroupId": instance["resource_group"]["id"],
              "region": instance["region"]}
    verdict = backend.cbr.decide(target, client)
    if not verdict.allowed:
        raise VpcError(403, "not_authorized", "The provided token is not authorized to access "
                       "this instance: the request's context is not allowed by the context-based "
                       f"restriction rule {verdict.denied_by[0]}.")
