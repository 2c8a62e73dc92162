"""IAM Identity: the account's trusted profiles, their claim rules and their compute-resource
links (P5), and its service IDs, through `IamIdentityV1`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from ibm_platform_services.iam_identity_v1 import IamIdentityV1

from iamcheck.errors import ApiFailure
from iamcheck.ibm import validate
from iamcheck.ibm._convert import convert_list, reading
from iamcheck.ibm.session import IbmSession
from iamcheck.model import ProfileLink, ProfileRule, RuleClaim, ServiceId, TrustedProfile

T = TypeVar("T")
PAGE = 100
MAX_PAGES = 10_000  # a pager that never ends is a bad answer, not an endless loop


def list_profiles(session: IbmSession, account_id: str) -> list[TrustedProfile]:
    """Every trusted profile of the account, without rules or links (see `with_details`)."""
    return _account_list(session, account_id, "list trusted profiles", "list_profiles",
                         "profiles", validate.PROFILE, validate.PROFILES, _profile)


def list_service_ids(session: IbmSession, account_id: str) -> list[ServiceId]:
    """Every service ID of the account: one with no policy and no group can still hold access
    through Public Access (P3), so the audit lists them all."""
    return _account_list(session, account_id, "list service IDs", "list_service_ids",
                         "serviceids", validate.SERVICE_ID, validate.SERVICE_IDS, _service_id)


def _account_list(session: IbmSession, account_id: str, what: str, method: str, key: str,
                  spec: Any, route: str, convert: Callable[[dict[str, Any]], T]) -> list[T]:
    """One of the account's IAM Identity lists, every page, each item validated."""
    call = getattr(session.client(IamIdentityV1), method)
    return _pages(what, lambda token: session.call(
        what, call, account_id=account_id, pagesize=PAGE, pagetoken=token).get_result(), key,
        lambda raw: convert(validate.item(raw, spec, what, route, key)))


def _pages(what: str, page: Callable[[str | None], Any], key: str,
           convert: Callable[[dict[str, Any]], T]) -> list[T]:
    """IAM Identity's token paging, read to the end; a token seen twice is a bad answer."""
    out: list[T] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        result = page(token)
        out += convert_list(what, result, key, convert)
        token = _next_token(what, result)
        if token is None:
            return out
        if token in seen:
            raise ApiFailure(f"{what}: IBM Cloud sent the same page token twice")
        seen.add(token)
    raise ApiFailure(f"{what}: more than {MAX_PAGES} pages")


def list_claim_rules(session: IbmSession, profile: TrustedProfile) -> list[ProfileRule]:
    return _of_profile(session, profile, "claim rules", "list_claim_rules", "rules",
                       validate.PROFILE_RULE, validate.PROFILE_RULES, _rule)


def list_links(session: IbmSession, profile: TrustedProfile) -> list[ProfileLink]:
    return _of_profile(session, profile, "links", "list_links", "links",
                       validate.PROFILE_LINK, validate.PROFILE_LINKS, _link)


def _of_profile(session: IbmSession, profile: TrustedProfile, noun: str, method: str, key: str,
                spec: Any, route: str, convert: Callable[[dict[str, Any]], T]) -> list[T]:
    """One unpaged list of a profile's (IBM returns all its rules or links at once)."""
    client = session.client(IamIdentityV1)
    what = f"list the {noun} of trusted profile '{profile.name or profile.id}'"
    result = session.call(what, getattr(client, method), profile_id=profile.id).get_result()
    return convert_list(what, result, key, lambda raw: convert(
        validate.item(raw, spec, what, route, key)))


def _next_token(what: str, result: Any) -> str | None:
    with reading(what):
        url = result.get("next")
        if not url:
            return None
        tokens = parse_qs(urlsplit(str(url)).query).get("pagetoken")
        if not tokens:
            raise ValueError("'next' names no pagetoken")
        return tokens[0]


def _service_id(raw: dict[str, Any]) -> ServiceId:
    return ServiceId(iam_id=str(raw["iam_id"]), name=str(raw.get("name") or ""),
                     id=str(raw["id"]))


def _profile(raw: dict[str, Any]) -> TrustedProfile:
    return TrustedProfile(id=str(raw["id"]), iam_id=str(raw["iam_id"]),
                          name=str(raw.get("name") or ""),
                          description=str(raw.get("description") or ""))


def _rule(raw: dict[str, Any]) -> ProfileRule:
    return ProfileRule(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        type=str(raw["type"]),
        realm_name=str(raw.get("realm_name") or ""),
        expiration_hours=int(raw.get("expiration") or 0),
        conditions=tuple(RuleClaim(str(c["claim"]), str(c["operator"]), str(c["value"]))
                         for c in raw.get("conditions") or ()),
        cr_type=str(raw.get("cr_type") or ""),
    )


def _link(raw: dict[str, Any]) -> ProfileLink:
    link = raw["link"]
    return ProfileLink(
        cr_type=str(raw["cr_type"]),
        crn=str(link["crn"]),
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        namespace=str(link.get("namespace") or ""),
        resource_name=str(link.get("name") or ""),
    )
