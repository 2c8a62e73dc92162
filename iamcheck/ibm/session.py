"""One authenticated session: IBM's SDK clients, each call retried and its errors translated.

Every IBM call in iamcheck goes through `IbmSession.call` or `IbmSession.pages`.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import requests
from ibm_cloud_sdk_core import ApiException, DetailedResponse
from ibm_cloud_sdk_core.authenticators import Authenticator, IAMAuthenticator

from iamcheck.errors import ApiFailure, BadInput, Interrupted, NotAuthorized
from iamcheck.ibm._convert import item_key, reading
from iamcheck.ibm._tls import share_tls_context
from iamcheck.ibm.errors import Conflict, NotFound, Refused
from iamcheck.ibm.retry import RETRYABLE_STATUS, Backoff, Slots, parse_retry_after
from iamcheck.interrupt import CANCELLED
from iamcheck.redact import RUN, guard_logger, scrubbed
from iamcheck.settings import Settings, check_endpoint

T = TypeVar("T")
share_tls_context()  # before any client is built
IBM_IAM_URL = "https://iam.cloud.ibm.com"
ENV_IAM_URL = "IAM_IDENTITY_URL"


def iam_url() -> str:
    """IAM's token service: IBM's, unless IAM_IDENTITY_URL (the SDK's variable) says otherwise."""
    return check_endpoint(os.environ.get(ENV_IAM_URL) or IBM_IAM_URL)


class _Unreadable(Exception):
    """An answer that cannot be read (the IAM token's, for now); `call` says which."""


class _HugeNumber(_Unreadable):
    """An answer holding an integer Python refuses to convert."""


# A connection that broke mid-answer (reset, cut short) is worth another try, like a timeout.
TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class Caller:
    iam_id: str
    account_id: str


class IbmSession:
    def __init__(self, settings: Settings, authenticator: Authenticator | None = None) -> None:
        self.settings = settings
        self.backoff = Backoff(settings.timeout)
        RUN.add(settings.apikey.reveal())  # out of every message, log line and --debug trace
        for name in ("ibm_cloud_sdk_core", "urllib3", "requests"):
            guard_logger(name)
        # A trusted profile's authenticator (iamcheck/credentials.py), else the API key's
        self.authenticator: Any = authenticator or IAMAuthenticator(
            settings.apikey.reveal(), url=settings.endpoint or iam_url()
        )
        # A request that hangs gives up in time for a retry within the run's deadline: after a
        # quarter of it, at least 5 s (IBM can be slow), at most 60 s (the SDK's default).
        self.http_config = {"timeout": min(60.0, settings.timeout, max(5.0, settings.timeout / 4))}
        self.authenticator.token_manager.http_config = self.http_config
        _guard(self.authenticator.token_manager)
        self._clients: dict[tuple[type[Any], str | None], Any] = {}
        self._lock = threading.Lock()
        self.requests = 0
        # --concurrency bounds the calls in flight, whatever threads the commands use
        self._in_flight = Slots(settings.concurrency)

    def client(self, cls: type[T], url: str | None = None) -> T:
        """The SDK client of `cls`, pointed at `url`, the endpoint, or IBM's (env may override).
        Building one costs ~50 ms (its TLS context), so a client for another URL (a VPC
        region) is a shallow copy of the first: same HTTP session, own URL."""
        with self._lock:
            if (cls, None) not in self._clients:
                service = cls(authenticator=self.authenticator)  # type: ignore[call-arg]
                if self.settings.endpoint:
                    service.set_service_url(self.settings.endpoint)  # type: ignore[attr-defined]
                else:
                    service.configure_service(cls.DEFAULT_SERVICE_NAME)  # type: ignore[attr-defined]
                    name = str(cls.DEFAULT_SERVICE_NAME).upper()  # type: ignore[attr-defined]
                    check_endpoint(service.service_url, source=f"{name}_URL")  # type: ignore[attr-defined]
                _refuse_insecure(service, cls, None)
                service.set_http_config(dict(self.http_config))  # type: ignore[attr-defined]
                self._clients[cls, None] = service
            if (cls, url) not in self._clients:
                service = copy.copy(self._clients[cls, None])
                service.set_service_url(url)
                _refuse_insecure(service, cls, url)
                self._clients[cls, url] = service
            return self._clients[cls, url]  # type: ignore[no-any-return]

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
                with self._in_flight:
                    result = self._bounded(what, fn, *args, **kwargs)
                self._debug(what, "ok", started)
                if isinstance(result, DetailedResponse) and not _readable(result):
                    raise _Unreadable("not a JSON object")
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
            except (
                _Unreadable, jwt.PyJWTError, requests.exceptions.JSONDecodeError, RecursionError,
            ) as err:
                self._debug(what, "unreadable answer", started)
                raise ApiFailure(
                    f"{what}: IBM Cloud sent an answer iamcheck cannot read ({str(err)[:80]})"
                ) from None
            except requests.exceptions.SSLError:
                self._debug(what, "SSLError", started)
                raise ApiFailure(
                    f"{what}: the endpoint's TLS certificate could not be verified; "
                    "iamcheck never turns verification off (check the network or the CA bundle)"
                ) from None
            except TRANSIENT as err:
                self._debug(what, type(err).__name__, started)
                wait = self.backoff.delay(attempt, None)
                if wait is None:
                    raise ApiFailure(
                        f"{what}: cannot reach IBM Cloud ({type(err).__name__}) and retries are "
                        "spent; check the network or --endpoint, or raise --timeout"
                    ) from None
            except requests.RequestException as err:
                self._debug(what, type(err).__name__, started)
                raise ApiFailure(
                    f"{what}: cannot reach IBM Cloud ({type(err).__name__}); check --endpoint"
                ) from None
            time.sleep(wait)
            attempt += 1

    def _bounded(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn` in a thread of its own, waited for until the run's deadline or Ctrl-C: the
        SDK's read timeout restarts on every byte, so an answer that trickles would not end."""
        if CANCELLED.is_set():
            raise Interrupted("interrupted")
        box: list[Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                box.append((True, fn(*args, **kwargs)))
            except BaseException as err:  # handed to the caller's thread, raised there
                box.append((False, err))
            done.set()

        threading.Thread(target=work, name=f"iamcheck: {what[:40]}", daemon=True).start()
        while not done.wait(0.05):
            if CANCELLED.is_set():
                raise Interrupted("interrupted")
            if self.backoff.out_of_time():
                raise ApiFailure(
                    f"{what}: no answer within --timeout ({self.settings.timeout:g} s for the "
                    "whole run); raise --timeout or try again later"
                )
        ok, value = box[0]
        if not ok:
            if isinstance(value, ValueError) and "digits" in str(value):
                # a number past Python's 4,300 digits in an answer the SDK parsed: json.loads
                # raises a bare ValueError for it, not a JSONDecodeError
                raise _HugeNumber("a number of more than 4,300 digits") from None
            raise value
        return value  # type: ignore[no-any-return]

    def optional(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any | None:
        """The result of a read whose 404 means "there is none" (None), not a failure."""
        try:
            return self.call(what, fn, **kwargs).get_result()
        except NotFound:
            return None

    def pages(self, what: str, pager: Any) -> Iterator[dict[str, Any]]:
        """Every item of an SDK pager; a failed page is retried, losing or repeating nothing.
        Items are keyed by id: one served twice is dropped (said with --debug); a `next` that
        was already followed would loop forever, so it ends the run (exit 5)."""
        followed: set[str] = set()
        seen: set[str] = set()
        while pager.has_next():
            with reading(what):
                items = self.call(what, pager.get_next)
                if not isinstance(items, list):
                    raise TypeError("the page holds no list of items")
            for item in items:
                key = item_key(item)
                if key is not None and key in seen:
                    self.note(f"{what}: item {key} came twice; the repeat is dropped")
                    continue
                if key is not None:
                    seen.add(key)
                yield item
            start = getattr(pager, "_page_context", {}).get("next")
            if start is not None:
                if str(start) in followed:
                    raise ApiFailure(f"{what}: IBM Cloud's next page link points back to a "
                                     "page already read; the list cannot be trusted")
                followed.add(str(start))

    def note(self, text: str) -> None:
        """A --debug line (redacted)."""
        if self.settings.debug:
            print(f"iamcheck: debug: {scrubbed(text)}", file=sys.stderr)

    def _debug(self, what: str, outcome: str, started: float) -> None:
        if self.settings.debug:
            elapsed = (time.monotonic() - started) * 1000
            line = scrubbed(f"{what}: {outcome} in {elapsed:.0f} ms")
            print(f"iamcheck: debug: {line}", file=sys.stderr)


def _readable(response: DetailedResponse) -> bool:
    """IBM answers JSON objects; 202 and 204 may have no body at all."""
    result = response.get_result()
    return isinstance(result, dict) or (result is None and response.get_status_code() in (202, 204))


def _guard(manager: Any) -> None:
    """Make the SDK's token manager safe to retry. After a failed fetch it would make every
    later caller wait 60 s for a request still "in flight"; and a token answer it cannot
    decode would surface as a bare JWT or type error."""
    request_token, save = manager.request_token, manager._save_token_info

    def request() -> Any:
        try:
            return request_token()
        except BaseException:
            manager.request_time = 0
            raise

    def save_info(response: Any) -> None:
        try:
            save(response)
            for name in ("access_token", "refresh_token"):  # out of every message from now on
                RUN.add(str(getattr(manager, name, "") or ""))
        except (jwt.PyJWTError, KeyError, TypeError, ValueError, AttributeError) as err:
            manager.request_time = 0
            raise _Unreadable(f"the IAM token answer: {type(err).__name__}") from None

    manager.request_token, manager._save_token_info = request, save_info


def _refuse_insecure(service: Any, cls: type[Any], url: str | None) -> None:
    """TLS verification is never off, and a URL an API answered is never plain http."""
    if service.disable_ssl_verification:
        name = str(cls.DEFAULT_SERVICE_NAME).upper()
        raise BadInput(
            f"{name}_DISABLE_SSL (in the environment or an ibm-credentials.env file) turns off "
            "TLS certificate verification; iamcheck never does: unset it"
        )
    if url:
        try:
            check_endpoint(url, source="an endpoint IBM Cloud named")
        except BadInput as err:
            raise ApiFailure(str(err)) from None


def _translate(what: str, err: ApiException) -> Exception:
    status = err.status_code
    # IBM's message is relayed, without anything that looks like a secret (a server may echo
    # the key back)
    detail = scrubbed((err.message or "").splitlines()[0])[:200] if err.message else ""
    if status == 404:
        return NotFound(f"{what}: IBM Cloud answered 404 ({detail})")
    if status == 409:
        try:
            body = err.http_response.json() if err.http_response is not None else None
        except ValueError:
            body = None
        return Conflict(f"{what}: IBM Cloud answered 409 ({detail})",
                        body if isinstance(body, dict) else None)
    if status == 401 or (status == 400 and "api key" in detail.lower()):
        return NotAuthorized(
            f"{what}: IBM Cloud refused the API key ({detail}); "
            "check IBMCLOUD_API_KEY or --apikey-file"
        )
    if status == 403:
        return Refused(
            f"{what}: the API key's identity may not do this ({detail}); "
            "see 'Permissions iamcheck needs' in the README"
        )
    if 200 <= status < 300:  # the SDK could not parse a success answer
        return ApiFailure(f"{what}: IBM Cloud sent an answer iamcheck cannot read (not JSON)")
    return ApiFailure(f"{what}: IBM Cloud answered {status} ({detail})")
