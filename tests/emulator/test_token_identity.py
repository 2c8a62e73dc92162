"""IAM token and IAM Identity, through IBM's own SDK over real HTTP."""

from __future__ import annotations

import time

import jwt
import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services import IamIdentityV1, ResourceManagerV2

from tests.conftest import MINI_KEY, Emulator


def test_token_carries_iam_id_and_account(emulator: Emulator) -> None:
    token = emulator.authenticator().token_manager.get_token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iam_id"] == "IBMid-100000AAAA"
    assert claims["account"]["bss"] == emulator.backend.account_id
    assert claims["exp"] > time.time()


def test_wrong_key_gets_iam_400(emulator: Emulator) -> None:
    with pytest.raises(ApiException) as info:
        emulator.authenticator("not-a-real-key-000").token_manager.get_token()
    assert info.value.status_code == 400
    assert "could not be found" in info.value.message


def test_api_key_details_names_the_owner(emulator: Emulator) -> None:
    identity = emulator.client(IamIdentityV1)
    details = identity.get_api_keys_details(iam_api_key=MINI_KEY).get_result()
    assert details["iam_id"] == "IBMid-100000AAAA"
    assert details["account_id"] == emulator.backend.account_id
    assert MINI_KEY not in str(details)


def test_every_endpoint_needs_a_token(emulator: Emulator) -> None:
    import requests

    response = requests.get(f"{emulator.url}/v2/resource_groups", timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 401 and body["errors"][0]["code"] == "missing_token"
    assert body["trace"]
    forged = requests.get(
        f"{emulator.url}/v2/resource_groups",
        headers={
            "Authorization": "Bearer " + jwt.encode({"iam_id": "x"}, "k" * 32, algorithm="HS256")
        },
        timeout=5,
    )
    assert forged.status_code == 401 and forged.json()["errors"][0]["code"] == "invalid_token"


def test_expired_token_is_refused(emulator: Emulator) -> None:
    import requests

    backend = emulator.backend
    backend.signer.ttl_seconds = -30
    try:
        token, _, _ = backend.signer.issue("IBMid-100000AAAA", backend.account_id, "User")
    finally:
        backend.signer.ttl_seconds = 3600
    response = requests.get(
        f"{emulator.url}/v2/resource_groups",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "token_expired"


def test_resource_groups_list(emulator: Emulator) -> None:
    manager = emulator.client(ResourceManagerV2)
    result = manager.list_resource_groups(account_id=emulator.backend.account_id).get_result()
    assert [g["name"] for g in result["resources"]] == ["default"]
    assert result["resources"][0]["default"] is True
