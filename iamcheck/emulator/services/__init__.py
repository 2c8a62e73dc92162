"""Every emulated IBM API: one module each, each with its ENDPOINTS table."""

from __future__ import annotations

from starlette.routing import BaseRoute

from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services import (
    access_groups,
    account_management,
    cbr,
    console,
    control,
    control_compute,
    iam_identity,
    iam_policy,
    iam_token,
    metadata,
    resource_manager,
    tagging,
    trusted_profiles,
    user_management,
    vpc,
)

ENDPOINTS: list[Endpoint] = [
    *iam_token.ENDPOINTS,
    *iam_identity.ENDPOINTS,
    *trusted_profiles.ENDPOINTS,
    *iam_policy.ENDPOINTS,
    *access_groups.ENDPOINTS,
    *user_management.ENDPOINTS,
    *account_management.ENDPOINTS,
    *resource_manager.ENDPOINTS,
    *vpc.ENDPOINTS,
    *console.ENDPOINTS,
    *tagging.ENDPOINTS,
    *cbr.ENDPOINTS,
    *metadata.ENDPOINTS,
    *control.ENDPOINTS,
    *control_compute.ENDPOINTS,
]

WEBSOCKETS: list[BaseRoute] = [*console.WEBSOCKETS]
