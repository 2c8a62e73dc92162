"""Global Search and Tagging: access tags of many instances in one paged search."""

from __future__ import annotations

from ibm_platform_services.global_search_v2 import GlobalSearchV2
from ibm_platform_services.global_tagging_v1 import GlobalTaggingV1

from iamcheck.errors import ApiFailure
from iamcheck.ibm import validate
from iamcheck.ibm._convert import reading
from iamcheck.ibm.session import IbmSession

PAGE = 1000
INSTANCES = "family:is AND type:instance"


def access_tags_by_crn(
    session: IbmSession,
    account_id: str,
    query: str = INSTANCES,
) -> dict[str, frozenset[str]]:
    """CRN -> access tags, for every VPC instance the search finds (cursor paging)."""
    client = session.client(GlobalSearchV2)
    what = "search VPC instances with their access tags"
    tags: dict[str, frozenset[str]] = {}
    cursor: str | None = None
    followed: set[str] = set()
    while True:
        if cursor is None:
            result = session.call(
                what,
                client.search,
                query=query,
                fields=["crn", "access_tags"],
                account_id=account_id,
                limit=PAGE,
            ).get_result()
        else:
            result = session.call(
                what, client.search, search_cursor=cursor, account_id=account_id, limit=PAGE
            ).get_result()
        validate.check(result, validate.SEARCH_PAGE, what, validate.SEARCH)
        with reading(what):
            items = result["items"]
            for item in items:
                tags[item["crn"]] = frozenset(item.get("access_tags") or ())
            cursor = result.get("search_cursor")
        if not cursor or len(items) < PAGE:
            return tags
        if cursor in followed:  # a cursor already followed would loop forever
            raise ApiFailure(f"{what}: IBM Cloud's search cursor points back to a page "
                             "already read; the list cannot be trusted")
        followed.add(cursor)


def access_tags_of(session: IbmSession, account_id: str, crn: str) -> frozenset[str]:
    """The access tags attached to one resource (Global Tagging)."""
    client = session.client(GlobalTaggingV1)
    what = f"list the access tags of {crn}"
    result = session.call(
        what,
        client.list_tags,
        attached_to=crn,
        tag_type="access",
        account_id=account_id,
        limit=1000,
    ).get_result()
    validate.check(result, validate.TAGS_PAGE, what, validate.TAGS)
    with reading(what):
        return frozenset(item["name"] for item in result["items"])
