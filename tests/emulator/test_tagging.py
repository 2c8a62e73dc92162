"""Global Tagging and Global Search over the account's VPC instances, through IBM's own SDKs."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import GlobalSearchV2, GlobalTaggingV1
from ibm_platform_services.global_search_v2 import ScanResult
from ibm_platform_services.global_tagging_v1 import TagList

from iamcheck.emulator.seed import validate_seed
from tests.conftest import Emulator

ACCOUNT = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
KEY = "tag-reader-key-0001"
RG = "rg0000000000000000000000000000t1"
REGIONS = ["us-south", "us-east", "jp-tok", "br-sao", "eu-de", "ca-tor"]


def tag_seed(count: int = 40) -> dict[str, Any]:
    instances = []
    for i in range(count):
        region = REGIONS[i % len(REGIONS)]
        instances.append({
            "id": f"02c7_tag-{i:04d}", "name": f"host-{i:04d}", "region": region,
            "zone": f"{region}-1", "status": "running", "resource_group": RG, "vpc": "r006-v1",
            "access_tags": [f"env:{'prod' if i % 3 else 'test'}", f"team:t{i % 4}"][: 1 + i % 2],
            "user_tags": [f"cost-center:{100 + i % 5}"] if i % 5 else [],
        })
    seed = {
        "account_id": ACCOUNT,
        "api_keys": [{"apikey": KEY, "iam_id": "IBMid-300000CCCC"}],
        "users": [{"iam_id": "IBMid-300000CCCC", "email": "tags@example.com", "state": "ACTIVE"}],
        "resource_groups": [{"id": RG, "name": "tagged"}],
        "instances": instances,
    }
    validate_seed(seed)
    return seed


SEED = tag_seed()


def crn_of(instance: dict[str, Any]) -> str:
    return f"crn:v1:bluemix:public:is:{instance['zone']}:a/{ACCOUNT}::instance:{instance['id']}"


@pytest.fixture
def tagged(emulator: Emulator) -> Emulator:
    emulator.load(SEED)
    emulator.apikey = KEY
    return emulator


def test_tags_attached_to_an_instance(tagged: Emulator) -> None:
    tagging = tagged.client(GlobalTaggingV1)
    for instance in SEED["instances"][:8]:
        access = tagging.list_tags(attached_to=crn_of(instance), tag_type="access").get_result()
        TagList.from_dict(access)
        assert [t["name"] for t in access["items"]] == sorted(instance["access_tags"])
        assert access["total_count"] == len(instance["access_tags"])
        user = tagging.list_tags(attached_to=crn_of(instance)).get_result()  # user by default
        assert [t["name"] for t in user["items"]] == instance["user_tags"]
    unknown = tagging.list_tags(attached_to=crn_of({"zone": "us-south-1", "id": "0717_gone"}),
                                tag_type="access").get_result()
    assert unknown["items"] == [] and unknown["total_count"] == 0


def test_account_tags_page_with_offset_and_limit(tagged: Emulator) -> None:
    tagging = tagged.client(GlobalTaggingV1)
    every = sorted({t for i in SEED["instances"] for t in i["access_tags"]})
    names: list[str] = []
    for offset in range(0, len(every), 2):
        page = tagging.list_tags(tag_type="access", offset=offset, limit=2,
                                 account_id=ACCOUNT).get_result()
        assert page["offset"] == offset and page["limit"] == 2 and page["total_count"] == len(every)
        names += [t["name"] for t in page["items"]]
    assert names == every
    newest_first = tagging.list_tags(tag_type="access", order_by_name="desc").get_result()
    assert [t["name"] for t in newest_first["items"]] == every[::-1]
    assert tagging.list_tags(tag_type="service").get_result()["items"] == []
    with pytest.raises(ApiException) as info:
        tagging.list_tags(tag_type="secret")
    assert info.value.status_code == 400


def search_all(search: Any, limit: int, query: str,
               fields: list[str] | None) -> list[dict[str, Any]]:
    """Every item, following search_cursor as IBM's docs say: a cursor on every call, and an
    empty page marks the end (IBM's own integration test loops so)."""
    page = search.search(query=query, fields=fields, limit=limit).get_result()
    items: list[dict[str, Any]] = []
    short = False
    while True:
        ScanResult.from_dict(page)
        assert page["limit"] == limit and len(page["items"]) <= limit
        assert "search_cursor" in page
        if not page["items"]:
            return items
        assert not short, "only the last non-empty page may be short"
        short = len(page["items"]) < limit
        items += page["items"]
        page = search.search(search_cursor=page["search_cursor"], limit=limit).get_result()


@pytest.mark.parametrize("limit", [1, 3, 7, 1000])
@pytest.mark.parametrize("query", ["type:instance AND family:is", "family:is AND type:instance"])
def test_search_pages_every_instance_once(tagged: Emulator, limit: int, query: str) -> None:
    search = tagged.client(GlobalSearchV2)
    items = search_all(search, limit, query, ["crn", "access_tags"])
    assert [i["crn"] for i in items] == [crn_of(i) for i in SEED["instances"]]
    assert [i["access_tags"] for i in items] == [i["access_tags"] for i in SEED["instances"]]
    assert all(set(i) == {"crn", "access_tags"} for i in items)


def test_search_fields_and_filters(tagged: Emulator) -> None:
    search = tagged.client(GlobalSearchV2)
    first = SEED["instances"][0]
    default = search.search(query="type:instance").get_result()
    assert len(default["items"]) == 10  # IBM's default limit
    assert default["items"][0] == {"crn": crn_of(first), "account_id": ACCOUNT,
                                   "name": first["name"], "type": "instance", "family": "is"}
    everything = search.search(query=f"name:{first['name']}", fields=["*"]).get_result()["items"]
    assert len(everything) == 1
    assert everything[0]["region"] == first["region"]
    assert everything[0]["resource_group_id"] == RG
    assert everything[0]["tags"] == first["user_tags"]
    assert everything[0]["resource_id"] == first["id"]
    by_id = search.search(query=f"family:is AND resource_id:{first['id']}").get_result()
    assert [i["crn"] for i in by_id["items"]] == [crn_of(first)]
    prod = search_all(search, 5, 'family:is AND access_tags:"env:prod"', ["crn"])
    assert [i["crn"] for i in prod] == [crn_of(i) for i in SEED["instances"]
                                        if "env:prod" in i["access_tags"]]
    escaped = search_all(search, 5, r"access_tags:env\:prod AND region:us-south", ["name"])
    assert [i["name"] for i in escaped] == [
        i["name"] for i in SEED["instances"]
        if "env:prod" in i["access_tags"] and i["region"] == "us-south"
    ]
    prefix = search_all(search, 50, "name:host-000*", ["name"])
    assert [i["name"] for i in prefix] == [f"host-{n:04d}" for n in range(10)]
    elsewhere = search.search(query="*", account_id="0" * 32).get_result()
    assert elsewhere["items"] == [] and "search_cursor" in elsewhere
    free = search_all(search, 2, "host-000*", ["name"])  # free text: any field's value
    assert [i["name"] for i in free] == [f"host-{n:04d}" for n in range(10)]
    assert search.search(query="no-such-thing*").get_result()["items"] == []


@pytest.mark.parametrize("query", [
    "kind:instance", "type:instance OR family:is", "type:instance AND",
    "type:instance family:is", "access_tags:env:prod", 'name:"open', "(type:instance)",
])
def test_search_refuses_what_it_cannot_read(tagged: Emulator, query: str) -> None:
    with pytest.raises(ApiException) as info:
        tagged.client(GlobalSearchV2).search(query=query)
    assert info.value.status_code == 400


def test_search_refuses_a_forged_cursor(tagged: Emulator) -> None:
    search = tagged.client(GlobalSearchV2)
    for cursor in ("not-a-cursor", "eyJvZmZzZXQiOiAxfQ"):  # the second lacks the query
        with pytest.raises(ApiException) as info:
            search.search(search_cursor=cursor)
        assert info.value.status_code == 400
    with pytest.raises(ApiException) as info:
        search.search(query="*", limit=1001)
    assert info.value.status_code == 400
