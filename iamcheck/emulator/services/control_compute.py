"""Control API for compute resources and CBR: mint a pod's CR token, read report-mode CBR hits."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.errors import bad_request
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, json_body, ok

API = "Emulator control"


async def mint_cr_token(request: Request) -> Response:
    body = await json_body(request)
    crn, namespace, name = body.get("crn"), body.get("namespace"), body.get("name")
    if not isinstance(crn, str) or not crn:
        raise bad_request("'crn' (the compute resource's CRN) is required.")
    if (namespace is None) != (name is None) or not all(
            v is None or isinstance(v, str) for v in (namespace, name)):
        raise bad_request("'namespace' and 'name' (a service account) go together.")
    token = backend_of(request).compute.cr_token(crn, namespace, name)
    return ok({"cr_token": token}, status=201)


async def cbr_reports(request: Request) -> Response:
    backend = backend_of(request)
    with backend.lock:
        return ok({"reports": list(backend.cbr.reports)})


ENDPOINTS = [
    Endpoint(API, "POST", "/_emulator/cr_tokens", mint_cr_token,
             "Mint a compute resource (CR) token for `crn` (a pod: plus `namespace` and service "
             "account `name`), for the cr-token grant and ContainerAuthenticator",
             auth=False, ibm=False),
    Endpoint(API, "GET", "/_emulator/cbr_reports", cbr_reports,
             "Requests that report-mode CBR rules would have denied", auth=False, ibm=False),
]
