"""The IAM token service's trusted-profile grants: `assume` (a caller's IAM token for a
profile's) and `cr-token` (a compute resource's token for a profile linked to it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator.errors import IbmError, IdentityError
from iamcheck.emulator.services._http import backend_of, ok

ASSUME_GRANT = "urn:ibm:params:oauth:grant-type:assume"
CR_TOKEN_GRANT = "urn:ibm:params:oauth:grant-type:cr-token"


def _form(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _missing(name: str) -> IdentityError:
    return IdentityError(400, "BXNIM0109E", f"Property missing or empty. Property name: {name}")


def _token_answer(request: Request, iam_id: str) -> Response:
    backend = backend_of(request)
    token, expires_in, expiration = backend.signer.issue(iam_id, backend.account_id, "Profile")
    return ok({"access_token": token, "refresh_token": "not_supported", "ims_user_id": 0,
               "token_type": "Bearer", "expires_in": expires_in, "expiration": expiration,
               "scope": "ibm openid"})


async def assume(request: Request, form: FormData) -> Response:
    """The caller (its IAM token in `access_token`) acts as the profile when it is one of the
    profile's identities or a user whose federated login satisfies one of its claim rules."""
    fields = _form(form)
    if not fields.get("access_token"):
        raise _missing("access_token")
    backend = backend_of(request)
    try:
        caller = backend.signer.verify("Bearer " + fields["access_token"])
    except IbmError:
        raise IdentityError(400, "BXNIM0407E", "The access token is invalid or expired.") from None
    with backend.lock:
        profile = backend.profiles.find(fields)
        user = next((u for u in backend.seed.get("users", []) if u["iam_id"] == caller.iam_id),
                    None)
        if caller.account_id != backend.account_id or not backend.profiles.may_assume(
                profile, caller.iam_id, user.get("login") if user else None):
            raise IdentityError(403, "BXNIM0514E",
                                "The caller is not allowed to assume the trusted profile.")
        return _token_answer(request, profile.iam_id)


async def cr_token(request: Request, form: FormData) -> Response:
    """A compute resource's token (minted by the emulator's control API) for a profile that
    links it (VSI / CE by CRN; IKS_SA / ROKS_SA by cluster CRN, namespace and name)."""
    fields = _form(form)
    if not fields.get("cr_token"):
        raise _missing("cr_token")
    if not (fields.get("profile_id") or fields.get("profile_name")):
        raise _missing("profile_id")
    backend = backend_of(request)
    resource = backend.compute.read_cr_token(fields["cr_token"].strip())
    if resource is None:
        raise IdentityError(400, "BXNIM0438E", "The compute resource token is invalid or expired.")
    with backend.lock:
        profile = backend.profiles.find(fields)
        if not backend.profiles.linked(profile, *resource):
            raise IdentityError(403, "BXNIM0514E",
                                "The compute resource is not linked to the trusted profile.")
        return _token_answer(request, profile.iam_id)


GRANTS: dict[str, Callable[[Request, FormData], Awaitable[Response]]] = {
    ASSUME_GRANT: assume, CR_TOKEN_GRANT: cr_token}
