"""Compute resources that ask for tokens: the VPC instance behind the metadata service, and pods
with a service-account (CR) token. The emulator cannot see which machine asks, so:

- the metadata service answers for the instance named by the emulator setting
  `metadata_instance` (control API `/_emulator/config`, or `serve --metadata-instance ID`);
  with none set it answers 404;
- a CR token is a JWT the emulator mints (control API `POST /_emulator/cr_tokens` with the
  pod's cluster CRN, namespace and service account name); the cr-token grant reads the compute
  resource from it, so a test writes it to a file for IBM's `ContainerAuthenticator`.
Instance identity tokens and CR tokens are signed with a key of their own: neither is accepted
as an IAM bearer token.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from iamcheck.emulator.errors import IbmError

INSTANCE_ISSUER = "https://metadata.iaas.cloud.ibm.com"
CR_ISSUER = "kubernetes/serviceaccount"


@dataclass
class RuntimeSettings:
    """Emulator settings that outlive a reset or a seed load (serve options set them)."""

    propagation_delay: float = 0.0  # seconds before a new policy counts for VPC (E1)
    metadata_instance: str | None = None  # the instance id the metadata service answers for


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ComputeTokens:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def instance_token(self, instance: dict[str, Any], expires_in: int) -> dict[str, Any]:
        now = int(time.time())
        token = jwt.encode({"sub": instance["crn"], "instance_id": instance["id"],
                            "iss": INSTANCE_ISSUER, "iat": now, "exp": now + expires_in,
                            "jti": uuid.uuid4().hex}, self._key, algorithm="HS256")
        return {"access_token": token, "created_at": iso(now), "expires_at": iso(now + expires_in),
                "expires_in": expires_in}

    def read_instance_token(self, authorization: str | None) -> str:
        """The instance CRN an instance identity token names."""
        token = (authorization or "")[7:].strip() if (authorization or "").lower().startswith(
            "bearer ") else ""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=INSTANCE_ISSUER)
        except jwt.PyJWTError:
            raise IbmError(401, "invalid_token",
                           "The instance identity token is missing, invalid or expired.") from None
        return str(claims["sub"])

    def cr_token(self, crn: str, namespace: str | None, name: str | None,
                 ttl: int = 3600) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": CR_ISSUER, "iat": now, "exp": now + ttl, "crn": crn}
        if namespace is not None and name is not None:
            claims["sub"] = f"system:serviceaccount:{namespace}:{name}"
            claims["kubernetes.io"] = {"namespace": namespace, "serviceaccount": {"name": name}}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def read_cr_token(self, token: str) -> tuple[str, str | None, str | None] | None:
        """(crn, namespace, service account) of a CR token the emulator minted, else None."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=CR_ISSUER)
        except jwt.PyJWTError:
            return None
        pod = claims.get("kubernetes.io") or {}
        return (str(claims["crn"]), pod.get("namespace"),
                (pod.get("serviceaccount") or {}).get("name"))


RUNTIME_KEYS = ("propagation_delay", "metadata_instance")
MAX_DELAY = 3600.0


def check_runtime(key: str, value: Any) -> Any:
    """A valid value for a runtime setting, or ValueError naming the problem."""
    if key == "propagation_delay":
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0 <= value <= MAX_DELAY):
            raise ValueError(f"'{key}' must be a number of seconds from 0 to {MAX_DELAY:g}.")
        return float(value)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"'{key}' must be an instance id or null.")
    return value
