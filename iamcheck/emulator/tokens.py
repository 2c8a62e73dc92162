"""IAM access tokens: signed JWTs carrying `iam_id` and `account.bss`, with an enforced expiry."""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass

import jwt

from iamcheck.emulator.errors import IbmError

ISSUER = "https://iam.cloud.ibm.com/identity"


@dataclass(frozen=True)
class Caller:
    iam_id: str
    account_id: str


class TokenSigner:
    """Issues and verifies tokens with a key that lives only in this process."""

    def __init__(self, ttl_seconds: int = 3600) -> None:
        self._key = secrets.token_bytes(32)
        self.ttl_seconds = ttl_seconds
        # The latest tokens issued, so that a test can search everything iamcheck wrote for them.
        self.issued: deque[str] = deque(maxlen=256)

    def issue(self, iam_id: str, account_id: str, sub_type: str) -> tuple[str, int, int]:
        """Return (token, expires_in, expiration)."""
        now = int(time.time())
        exp = now + self.ttl_seconds
        claims = {
            "iam_id": iam_id,
            "id": iam_id,
            "sub": iam_id,
            "sub_type": sub_type,
            "account": {"bss": account_id, "valid": True},
            "iat": now,
            "exp": exp,
            "iss": ISSUER,
            "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
            "scope": "ibm openid",
            "client_id": "default",
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        self.issued.append(token)
        return token, self.ttl_seconds, exp

    def verify(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise IbmError(
                401, "missing_token", "An Authorization header with a bearer token is required."
            )
        token = authorization[7:].strip()
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER)
        except jwt.ExpiredSignatureError:
            raise IbmError(401, "token_expired", "The provided token has expired.") from None
        except jwt.PyJWTError:
            raise IbmError(401, "invalid_token", "The provided token is invalid.") from None
        return Caller(iam_id=str(claims["iam_id"]), account_id=str(claims["account"]["bss"]))
