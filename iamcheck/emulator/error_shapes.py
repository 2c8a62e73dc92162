"""Each service answers errors in its own IBM shape, whatever raised them: a handler, the
token check, or the framework (unknown path, wrong method, trailing slash)."""

from __future__ import annotations

import re
from typing import Literal

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from iamcheck.emulator.backend.vpc import VpcError
from iamcheck.emulator.errors import IbmError, IdentityError

Shape = Literal["platform", "vpc", "token"]
VPC_APIS = frozenset({"VPC"})
TOKEN_APIS = frozenset({"IAM token"})
# VPC's regional paths, and its collections at the SDK's default URL.
_VPC_PATH = re.compile(r"^/(vpc/|v1/(instances|regions|images|volumes|vpcs|subnets|zones|"
                       r"floating_ips|security_groups|keys|network_interfaces)(/|$))")


def shape_of_api(api: str) -> Shape:
    return "vpc" if api in VPC_APIS else "token" if api in TOKEN_APIS else "platform"


def shape_of_path(path: str) -> Shape:
    if path.startswith("/identity/"):
        return "token"
    return "vpc" if _VPC_PATH.match(path) else "platform"


def reshape(err: IbmError, shape: Shape) -> IbmError:
    """`err` in `shape`'s envelope (a VPC route's 401 is VPC's, not the platform's)."""
    if shape == "vpc" and not isinstance(err, VpcError):
        out: IbmError = VpcError(err.status, err.code, err.message)
    elif shape == "token" and not isinstance(err, IdentityError):
        out = IdentityError(err.status, err.code, err.message)
    else:
        return err
    out.headers = err.headers
    return out


_FRAMEWORK = {404: ("not_found", "No such API: {method} {path}."),
              405: ("method_not_allowed", "Method {method} is not allowed on {path}.")}
_TOKEN_CODES = {404: "BXNIM0102E", 405: "BXNIM0103E"}


async def framework_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404/405 (no route, wrong method) as the service at that path says it."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code, text = _FRAMEWORK.get(status, ("internal_error", "Internal error."))
    shape = shape_of_path(request.url.path)
    if shape == "token":
        code = _TOKEN_CODES.get(status, code)
    message = text.format(method=request.method, path=request.url.path)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    err = reshape(IbmError(status, code, message, headers=headers), shape)
    return err.response()
