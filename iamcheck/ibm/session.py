"""One authenticated session: IBM's SDK clients, each call retried and its errors translated.

Every IBM call in iamcheck goes through `IbmSession.call` or `IbmSession.pages`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

from iamcheck.errors import ApiFailure, NotAuthorized
from iamcheck.ibm.retry import RETRYABLE_STATUS, Backoff, parse_retry_after
from iamcheck.settings import Settings, check_endpoint

T = TypeVar("T")
IBM_IAM_URL = "https://iam.cloud.ibm.com"
ENV_IAM_URL = "IAM_IDENTITY_URL"


def iam_url() -> str:
    """IAM's token service: IBM's, unless IAM_IDENTITY_URL (the SDK's variable) says otherwise."""
    return check_endpoint(os.environ.get(ENV_IAM_URL) or IBM_IAM_URL)


class NotFound(Exception):
    """A 404 that the caller turns into its own message."""


@dataclass(frozen=True)
class Caller:
    iam_id: str
    account_id: str


class IbmSession:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.backoff = Backoff(settings.timeout)
        self.authenticator = IAMAuthenticator(
            settings.apikey.reveal(), url=settings.endpoint or iam_url()
        )
        self._clients: dict[tuple[type[Any], str | None], Any] = {}
        self._lock = threading.Lock()
        self.requests = 0

    def client(self, cls: type[T], url: str | None = None) -> T:
        """The SDK client of `cls`, pointed at `url`, the endpoint, or IBM's (env may override)."""
        key = (cls, url)
        with self._lock:
            if key not in self._clients:
                service = cls(authenticator=self.authenticator)  # type: ignore[call-arg]
                if url:
                    service.set_service_url(url)  # type: ignore[attr-defined]
                elif self.settings.endpoint:
                    service.set_service_url(self.settings.endpoint)  # type: ignore[attr-defined]
                else:
                    service.configure_service(cls.DEFAULT_SERVICE_NAME)  # type: ignore[attr-defined]
                    check_endpoint(service.service_url)  # type: ignore[attr-defined]
                self._clients[key] = service
            return self._clients[key]  # type: ignore[no-any-return]

    def caller(self) -> Caller:
        """Who the API key belongs to, from the claims of its access token."""
        token = self.call("sign in to IBM Cloud IAM", self.authenticator.token_manager.get_token)
        claims = jwt.decode(token, options={"verify_signature": False})
        try:
            return Caller(iam_id=str(claims["iam_id"]), account_id=str(claims["account"]["bss"]))
        except (KeyError, TypeError):
            raise ApiFailure("the IAM access token lacks iam_id or account.bss") from None

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call with retries; raise iamcheck errors that say what failed."""
        attempt = 0
        while True:
            self.backoff.wait_turn()
            started = time.monotonic()
            try:
                with self._lock:
                    self.requests += 1
                result = fn(*args, **kwargs)
                self._debug(what, "ok", started)
                return result
            except ApiException as err:
                self._debug(what, str(err.status_code), started)
                status = err.status_code
                if status not in RETRYABLE_STATUS:
                    raise _translate(what, err) from None
                retry_after = None
                if err.http_response is not None:
                    retry_after = parse_retry_after(err.http_response.headers.get("Retry-After"))
                wait = self.backoff.delay(attempt, retry_after)
                if wait is None:
                    raise ApiFailure(
                        f"{what}: IBM Cloud answered {status} and retries are spent "
                        f"({attempt + 1} attempts); try again later or raise --timeout"
                    ) from None
                if status == 429:
                    self.backoff.hold_everyone(wait)
            except (requests.ConnectionError, requests.Timeout) as err:
                self._debug(what, type(err).__name__, started)
                wait = self.backoff.delay(attempt, None)
                if wait is None:
                    raise ApiFailure(
                        f"{what}: cannot reach IBM Cloud ({type(err).__name__}); "
                        "check the network or --endpoint"
                    ) from None
            time.sleep(wait)
            attempt += 1

    def pages(self, what: str, pager: Any) -> Iterator[dict[str, Any]]:
        """Every item of an SDK pager; a failed page is retried, losing or repeating nothing."""
        while pager.has_next():
            yield from self.call(what, pager.get_next)

    def _debug(self, what: str, outcome: str, started: float) -> None:
        if self.settings.debug:
            elapsed = (time.monotonic() - started) * 1000
            print(f"iamcheck: debug: {what}: {outcome} in {elapsed:.0f} ms", file=sys.stderr)


def _translate(what: str, err: ApiException) -> Exception:
    status = err.status_code
    detail = (err.message or "").splitlines()[0][:200] if err.message else ""
    if status == 404:
        return NotFound(f"{what}: {detail}")
    if status == 401 or (status == 400 and "api key" in detail.lower()):
        return NotAuthorized(
            f"{what}: IBM Cloud refused the API key ({detail}); "
            "check IBMCLOUD_API_KEY or --apikey-file"
        )
    if status == 403:
        return NotAuthorized(
            f"{what}: the API key's identity may not do this ({detail}); "
            "see 'Permissions iamcheck needs' in the README"
        )
    if 200 <= status < 300:
        return ApiFailure(f"{what}: IBM Cloud sent an answer iamcheck cannot read ({detail})")
    return ApiFailure(f"{what}: IBM Cloud answered {status} ({detail})")
