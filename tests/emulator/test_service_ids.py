"""IAM Identity's service ID list through IBM's own SDK client: every page valid for the SDK's
models, IBM's token paging, account_id required, 403 without a reading role on IAM Identity."""

from __future__ import annotations

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamIdentityV1
from ibm_platform_services.iam_identity_v1 import ServiceIdList

from iamcheck.emulator import demo_seed
from tests.conftest import Emulator

ANALYST_KEY = "demo-analyst-key-not-a-secret-0003"  # no role on IAM Identity


def test_every_service_id_is_listed_page_by_page(demo: Emulator) -> None:
    seed = demo_seed()
    client = demo.client(IamIdentityV1, demo.apikey)
    seen: list[str] = []
    token = None
    while True:
        page = client.list_service_ids(account_id=seed["account_id"], pagesize=1,
                                       pagetoken=token).get_result()
        ServiceIdList.from_dict(page)  # the SDK's model: every required field is there
        assert len(page["serviceids"]) == 1
        seen += [s["iam_id"] for s in page["serviceids"]]
        if "next" not in page:
            break
        token = page["next"].split("pagetoken=")[1]
    assert sorted(seen) == sorted(s["iam_id"] for s in seed["service_ids"])
    names = [s["name"] for s in client.list_service_ids(
        account_id=seed["account_id"]).get_result()["serviceids"]]
    assert names == sorted(names)
    other = client.list_service_ids(account_id="0" * 32).get_result()
    assert other["serviceids"] == []


def test_the_list_needs_an_account_and_a_reading_role(demo: Emulator) -> None:
    with pytest.raises(ApiException) as missing:
        demo.client(IamIdentityV1, demo.apikey).list_service_ids()
    assert missing.value.status_code == 400
    with pytest.raises(ApiException) as refused:
        demo.client(IamIdentityV1, ANALYST_KEY).list_service_ids(
            account_id=demo_seed()["account_id"])
    assert refused.value.status_code == 403
