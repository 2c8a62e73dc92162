"""IAM token service: POST /identity/token with the API-key grant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.errors import IdentityError
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services._http import backend_of, ok
from iamcheck.emulator.services.iam_token_grants import GRANTS

API = "IAM token"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


async def create_token(request: Request) -> Response:
    form = await request.form()
    grant_type = form.get("grant_type")
    if isinstance(grant_type, str) and grant_type in GRANTS:  # trusted profiles
        return await GRANTS[grant_type](request, form)
    apikey = form.get("apikey")
    if grant_type != APIKEY_GRANT:
        raise IdentityError(
            400, "BXNIM0109E", "Property missing or empty. Property name: grant_type"
        )
    if not isinstance(apikey, str) or not apikey:
        raise IdentityError(400, "BXNIM0109E", "Property missing or empty. Property name: apikey")
    backend = backend_of(request)
    iam_id = backend.identity.owner_of(apikey)
    token, expires_in, expiration = backend.signer.issue(
        iam_id, backend.account_id, backend.identity.sub_type(iam_id)
    )
    return ok(
        {
            "access_token": token,
            "refresh_token": "not_supported",
            "ims_user_id": 0,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "expiration": expiration,
            "scope": "ibm openid",
        }
    )


ENDPOINTS = [
    Endpoint(
        API,
        "POST",
        "/identity/token",
        create_token,
        "Exchange an API key for an access token; also the assume and cr-token grants for "
        "trusted profiles",
        auth=False,
    ),
]
