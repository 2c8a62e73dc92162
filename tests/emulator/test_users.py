"""User Management through IBM's own SDK over real HTTP; every answer parsed by SDK models."""

from __future__ import annotations

from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException, get_query_param
from ibm_platform_services import UserManagementV1
from ibm_platform_services.user_management_v1 import UserList, UserProfile, UsersPager

from iamcheck.emulator.seed import validate_seed
from tests.conftest import Emulator, mini_seed

ACCOUNT = mini_seed()["account_id"]
STATES = ["ACTIVE", "PENDING", "SUSPENDED", "VPN_ONLY", "PROCESSING"]
PROFILE_FIELDS = {"id", "iam_id", "realm", "user_id", "firstname", "lastname", "state", "email",
                  "phonenumber", "altphonenumber", "photo", "account_id", "added_on"}


def build_seed(n_users: int = 120) -> dict[str, Any]:
    """The mini account plus `n_users` invented users: every 5th in another state, a few SL."""
    seed = mini_seed()
    for i in range(n_users):
        domain = "example.com" if i % 2 else "example.org"
        seed["users"].append({
            "iam_id": f"IBMid-3000{i:04d}ZZ", "email": f"Person.{i:03d}@{domain}",
            "state": STATES[i % 5], "firstname": f"Given{i:03d}", "lastname": f"Family{i % 7}",
            "realm": "SL" if i % 10 == 3 else "IBMid"})
    return seed


SEED = build_seed()
EVERY_ID = {u["iam_id"] for u in SEED["users"]}
PAGE_SIZES = [1, 2, 3, 7, 50, 100]


@pytest.fixture
def users(emulator: Emulator) -> UserManagementV1:
    emulator.load(SEED)
    return emulator.client(UserManagementV1)


def api_error(call: Any) -> ApiException:
    with pytest.raises(ApiException) as info:
        call()
    return info.value


def drain(pager: UsersPager, pages: int) -> list[dict[str, Any]]:
    """Everything a pager yields, failing (not hanging) if it needs more than `pages` pages."""
    items: list[dict[str, Any]] = []
    for _ in range(pages):
        items += pager.get_next()
        if not pager.has_next():
            return items
    raise AssertionError(f"the pager was not done after {pages} pages")


def search(client: UserManagementV1, query: str) -> set[str]:
    pager = UsersPager(client=client, account_id=ACCOUNT, search=query)
    return {u["iam_id"] for u in drain(pager, 5)}


def test_seed_is_valid() -> None:
    validate_seed(SEED)


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_users_pager_sees_every_user_once(users: UserManagementV1, size: int) -> None:
    pager = UsersPager(client=users, account_id=ACCOUNT, limit=size)
    items = drain(pager, len(EVERY_ID) // size + 1)
    ids = [UserProfile.from_dict(u).iam_id for u in items]
    assert len(ids) == len(set(ids)) == len(EVERY_ID) and set(ids) == EVERY_ID


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_user_pages_by_hand(users: UserManagementV1, size: int) -> None:
    seen: list[str] = []
    start: str | None = None
    for _ in range(len(EVERY_ID) // size + 1):
        page = UserList.from_dict(users.list_users(ACCOUNT, limit=size, start=start).get_result())
        assert (page.limit, page.total_results) == (size, len(EVERY_ID))
        assert page.first_url.startswith(f"/v2/accounts/{ACCOUNT}/users?")
        assert get_query_param(page.first_url, "_start") is None
        seen += [u.iam_id for u in page.resources]
        if page.next_url is None:
            break
        assert page.next_url.startswith("/v2/accounts/") and len(page.resources) == size
        start = get_query_param(page.next_url, "_start")
    else:
        raise AssertionError("paging did not end")
    assert len(seen) == len(set(seen)) == len(EVERY_ID)


def test_default_page_is_100_and_limits_are_checked(users: UserManagementV1) -> None:
    first = users.list_users(ACCOUNT).get_result()
    assert first["limit"] == 100 and len(first["resources"]) == 100 and first["next_url"]
    for bad in (0, 101):
        assert api_error(lambda b=bad: users.list_users(ACCOUNT, limit=b)).status_code == 400
    assert api_error(lambda: users.list_users(ACCOUNT, start="not-a-token")).status_code == 400


def test_profile_has_every_field(users: UserManagementV1) -> None:
    profile = users.get_user_profile(ACCOUNT, "IBMid-30000003ZZ").get_result()
    assert set(profile) == PROFILE_FIELDS
    parsed = UserProfile.from_dict(profile)
    assert (parsed.email, parsed.state) == ("Person.003@example.com", "VPN_ONLY")
    assert parsed.realm == "SL"
    assert (parsed.account_id, parsed.user_id, parsed.firstname) == (
        ACCOUNT, "Person.003@example.com", "Given003")
    assert parsed.id and parsed.added_on
    listed = users.list_users(ACCOUNT, search="iam_id:IBMid-30000003ZZ").get_result()["resources"]
    assert listed == [profile]


def test_unknown_user_and_wrong_account(users: UserManagementV1) -> None:
    missing = api_error(lambda: users.get_user_profile(ACCOUNT, "IBMid-NOBODY"))
    body = missing.http_response.json()
    assert missing.status_code == body["status_code"] == 404
    assert body["errors"][0]["code"] == "not_found" and body["trace"]
    other = "f" * 32
    assert api_error(lambda: users.list_users(other)).status_code == 403
    assert api_error(lambda: users.get_user_profile(other, "IBMid-100000AAAA")).status_code == 403


def test_search_filters(users: UserManagementV1) -> None:
    people = SEED["users"]

    def expect(pred: Any) -> set[str]:
        return {u["iam_id"] for u in people if pred(u)}

    assert search(users, "email:person.007@EXAMPLE.com") == {"IBMid-30000007ZZ"}
    assert search(users, "email:ADMIN@example.com") == {"IBMid-100000AAAA"}
    assert search(users, "email:example.org") == expect(lambda u: u["email"].endswith(".org"))
    assert search(users, "state:SUSPENDED") == expect(lambda u: u["state"] == "SUSPENDED")
    assert search(users, "realm:SL") == expect(lambda u: u.get("realm") == "SL")
    assert search(users, "lastname:Family6") == expect(lambda u: u["lastname"] == "Family6")
    given12 = expect(lambda u: u["firstname"].startswith("Given12"))
    assert search(users, "firstname:Given12") == given12
    assert search(users, "userId:person.042@example.org") == {"IBMid-30000042ZZ"}
    either = search(users, "state:PENDING,email:person.000@example.org")
    assert either == expect(lambda u: u["state"] == "PENDING") | {"IBMid-30000000ZZ"}
    assert search(users, "state:NO_SUCH_STATE") == set()
    paged = drain(UsersPager(client=users, account_id=ACCOUNT, search="state:ACTIVE", limit=7), 5)
    assert {u["iam_id"] for u in paged} == expect(lambda u: u["state"] == "ACTIVE")
    assert len(paged) == len({u["iam_id"] for u in paged})
    exact = users.list_users(ACCOUNT, user_id="Person.010@example.org").get_result()
    assert [u["iam_id"] for u in exact["resources"]] == ["IBMid-30000010ZZ"]
    assert api_error(lambda: users.list_users(ACCOUNT, search="colour:red")).status_code == 400
