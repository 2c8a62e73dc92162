"""Errors in IBM's wire shape, raised by the backend and rendered by the app."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

MORE_INFO = "https://cloud.ibm.com/docs/account?topic=account-iam-service-access-management"


class IbmError(Exception):
    """An error answer: `trace`, `errors[{code, message, more_info}]`, `status_code`."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "trace": uuid.uuid4().hex,
            "errors": [{"code": self.code, "message": self.message, "more_info": MORE_INFO}],
            "status_code": self.status,
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


class IdentityError(IbmError):
    """The IAM token service answers in its own shape: errorCode, errorMessage, context."""

    def body(self) -> dict[str, Any]:
        return {
            "errorCode": self.code,
            "errorMessage": self.message,
            "context": {"requestId": uuid.uuid4().hex, "requestType": "incoming.OIDC_Token"},
        }


def not_found(what: str, ident: str) -> IbmError:
    return IbmError(404, "not_found", f"{what} '{ident}' was not found.")


def bad_request(message: str, code: str = "invalid_request") -> IbmError:
    return IbmError(400, code, message)
