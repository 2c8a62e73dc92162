"""Trusted profiles through IBM's IamIdentityV1, and acting as one through IBM's authenticators
(assume, container CR token, VPC instance metadata): the profile's policies then decide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import (
    Authenticator,
    ContainerAuthenticator,
    IAMAssumeAuthenticator,
    VPCInstanceAuthenticator,
)
from ibm_platform_services import IamIdentityV1
from ibm_vpc import VpcV1

from tests.conftest import MINI_KEY, Emulator
from tests.emulator.rev2_seed import (
    ACCOUNT,
    CLUSTER_CRN,
    FED_DEV,
    FED_SRE,
    INSTANCE,
    OTHER_PROFILE,
    PROFILE,
    PROFILE_IAM,
    SERVICE_KEY,
    key_of,
    rev2_seed,
)


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    emulator.load(rev2_seed())
    yield emulator
    emulator.backend.settings.metadata_instance = None


def identity(emu: Emulator, apikey: str = MINI_KEY) -> Any:
    return emu.client(IamIdentityV1, apikey)


def console_status(emu: Emulator, auth: Authenticator) -> int:
    vpc = VpcV1(authenticator=auth)
    vpc.set_service_url(f"{emu.url}/vpc/us-south/v1")
    try:
        return int(vpc.create_instance_console_access_token(INSTANCE, "serial").get_status_code())
    except ApiException as err:
        return int(err.status_code)


def test_profiles_listed_with_paging(emu: Emulator) -> None:
    client = identity(emu)
    first = client.list_profiles(account_id=ACCOUNT, pagesize=1).get_result()
    assert [p["name"] for p in first["profiles"]] == ["auditors"]
    token = first["next"].split("pagetoken=")[1]
    second = client.list_profiles(account_id=ACCOUNT, pagesize=1, pagetoken=token).get_result()
    assert [p["id"] for p in second["profiles"]] == [PROFILE]
    assert second["profiles"][0]["iam_id"] == PROFILE_IAM
    assert "next" not in second and second["offset"] == 1
    assert client.list_profiles(account_id="0" * 32).get_result()["profiles"] == []


def test_profile_rules_and_links(emu: Emulator) -> None:
    client = identity(emu)
    profile = client.get_profile(profile_id=PROFILE).get_result()
    assert profile["crn"].endswith(f"::profile:{PROFILE}") and profile["account_id"] == ACCOUNT
    rules = client.list_claim_rules(profile_id=PROFILE).get_result()["rules"]
    assert rules[0]["realm_name"].startswith("https://") and rules[0]["type"] == "Profile-SAML"
    assert rules[0]["conditions"] == [
        {"claim": "dept", "operator": "EQUALS_IGNORE_CASE", "value": "sre"}]
    one = client.get_claim_rule(profile_id=PROFILE, rule_id=rules[0]["id"]).get_result()
    assert one == rules[0]
    links = client.list_links(profile_id=PROFILE).get_result()["links"]
    assert {link["cr_type"] for link in links} == {"VSI", "IKS_SA"}
    pod = next(link for link in links if link["cr_type"] == "IKS_SA")
    assert pod["link"] == {"crn": CLUSTER_CRN, "namespace": "ci", "name": "runner"}
    assert client.list_links(profile_id=OTHER_PROFILE).get_result()["links"] == []


def test_links_can_be_added_and_removed(emu: Emulator) -> None:
    client = identity(emu)
    made = client.create_link(profile_id=OTHER_PROFILE, cr_type="CE",
                              link={"crn": "crn:v1:bluemix:public:codeengine:us-south:a/x::"
                                    "project:p1"}, name="ce").get_result()
    assert made["id"].startswith("ProfileLink-")
    assert len(client.list_links(profile_id=OTHER_PROFILE).get_result()["links"]) == 1
    client.delete_link(profile_id=OTHER_PROFILE, link_id=made["id"])
    assert client.list_links(profile_id=OTHER_PROFILE).get_result()["links"] == []


def test_unknown_profile_is_404_and_non_readers_403(emu: Emulator) -> None:
    with pytest.raises(ApiException) as info:
        identity(emu).get_profile(profile_id="Profile-nope")
    assert info.value.status_code == 404
    with pytest.raises(ApiException) as info:
        identity(emu, key_of(FED_DEV)).list_profiles(account_id=ACCOUNT)
    assert info.value.status_code == 403


def test_reading_role_on_iam_identity_lets_a_user_read(emu: Emulator) -> None:
    seed = rev2_seed()
    seed["policies"].append({
        "type": "access",
        "subject": {"attributes": [{"key": "iam_id", "value": FED_DEV}]},
        "resource": {"attributes": [{"key": "accountId", "value": ACCOUNT},
                                    {"key": "serviceName", "value": "iam-identity"}]},
        "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}},
    })
    for a in seed["policies"][-1]["subject"]["attributes"] + seed["policies"][-1]["resource"][
            "attributes"]:
        a["operator"] = "stringEquals"
    emu.load(seed)
    listed = identity(emu, key_of(FED_DEV)).list_profiles(account_id=ACCOUNT).get_result()
    assert len(listed["profiles"]) == 2


def test_assume_as_an_identity_of_the_profile(emu: Emulator) -> None:
    auth = IAMAssumeAuthenticator(SERVICE_KEY, iam_profile_id=PROFILE, url=emu.url)
    claims = jwt.decode(auth.token_manager.get_token(), options={"verify_signature": False})
    assert claims["iam_id"] == PROFILE_IAM and claims["sub_type"] == "Profile"
    assert console_status(emu, auth) == 200  # the profile's own policy grants the console


def test_assume_by_name_and_by_claims(emu: Emulator) -> None:
    # FED_SRE signed in with dept=SRE, which the profile's claim rule accepts (ignoring case)
    auth = IAMAssumeAuthenticator(key_of(FED_SRE), iam_profile_name="sre-oncall",
                                  iam_account_id=ACCOUNT, url=emu.url)
    assert jwt.decode(auth.token_manager.get_token(),
                      options={"verify_signature": False})["iam_id"] == PROFILE_IAM


def test_assume_refused_for_a_stranger(emu: Emulator) -> None:
    auth = IAMAssumeAuthenticator(key_of(FED_DEV), iam_profile_id=PROFILE, url=emu.url)
    with pytest.raises(ApiException) as info:
        auth.token_manager.get_token()
    assert info.value.status_code == 403
    unknown = IAMAssumeAuthenticator(SERVICE_KEY, iam_profile_id="Profile-none", url=emu.url)
    with pytest.raises(ApiException) as info:
        unknown.token_manager.get_token()
    assert info.value.status_code == 400


def mint(emu: Emulator, **body: str) -> str:
    response = requests.post(f"{emu.url}/_emulator/cr_tokens", json=body, timeout=5)
    assert response.status_code == 201
    return str(response.json()["cr_token"])


def test_container_authenticator_with_a_linked_pod(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "sa-token"
    path.write_text(mint(emu, crn=CLUSTER_CRN, namespace="ci", name="runner"))
    auth = ContainerAuthenticator(cr_token_filename=str(path), iam_profile_id=PROFILE,
                                  url=emu.url)
    assert console_status(emu, auth) == 200


def test_container_authenticator_refused_for_another_pod(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "sa-token"
    path.write_text(mint(emu, crn=CLUSTER_CRN, namespace="ci", name="someone-else"))
    auth = ContainerAuthenticator(cr_token_filename=str(path), iam_profile_name="sre-oncall",
                                  url=emu.url)
    with pytest.raises(ApiException) as info:
        auth.token_manager.get_token()
    assert info.value.status_code == 403
    path.write_text("not-a-cr-token")
    with pytest.raises(ApiException) as info:
        ContainerAuthenticator(cr_token_filename=str(path), iam_profile_id=PROFILE,
                               url=emu.url).token_manager.get_token()
    assert info.value.status_code == 400


@pytest.mark.parametrize("version", [None, "2025-08-26"])  # the metadata API's two path sets
def test_vpc_instance_authenticator_on_the_linked_instance(emu: Emulator,
                                                           version: str | None) -> None:
    emu.backend.settings.metadata_instance = INSTANCE
    auth = VPCInstanceAuthenticator(iam_profile_id=PROFILE, url=emu.url, service_version=version)
    assert console_status(emu, auth) == 200
    default = VPCInstanceAuthenticator(url=emu.url)  # the instance's only profile
    assert jwt.decode(default.token_manager.get_token(),
                      options={"verify_signature": False})["iam_id"] == PROFILE_IAM
    other = VPCInstanceAuthenticator(iam_profile_id=OTHER_PROFILE, url=emu.url)
    with pytest.raises(ApiException) as info:
        other.token_manager.get_token()
    assert info.value.status_code == 400


def test_metadata_service_needs_an_instance_and_its_header(emu: Emulator) -> None:
    with pytest.raises(ApiException) as info:
        VPCInstanceAuthenticator(iam_profile_id=PROFILE, url=emu.url).token_manager.get_token()
    assert info.value.status_code == 404
    emu.backend.settings.metadata_instance = INSTANCE
    bare = requests.put(f"{emu.url}/instance_identity/v1/token?version=2022-03-01", json={},
                        timeout=5)
    assert bare.status_code == 400
    made = requests.put(f"{emu.url}/instance_identity/v1/token?version=2022-03-01",
                        json={"expires_in": 60}, headers={"Metadata-Flavor": "ibm"}, timeout=5)
    assert made.status_code == 200 and made.json()["expires_in"] == 60
    as_bearer = requests.get(f"{emu.url}/v2/resource_groups", timeout=5, headers={
        "Authorization": f"Bearer {made.json()['access_token']}"})
    assert as_bearer.status_code == 401  # an instance identity token is not an IAM token


@pytest.mark.parametrize(("role", "writes"), [("Viewer", False), ("Operator", True)])
def test_profile_link_writes_need_operator(emu: Emulator, role: str, writes: bool) -> None:
    seed = rev2_seed()
    seed["policies"].append({
        "type": "access",
        "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                    "value": FED_DEV}]},
        "resource": {"attributes": [
            {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
            {"key": "serviceName", "operator": "stringEquals", "value": "iam-identity"}]},
        "control": {"grant": {"roles": [{"role_id": f"crn:v1:bluemix:public:iam::::role:{role}"}]}},
    })
    emu.load(seed)
    client = identity(emu, key_of(FED_DEV))
    assert client.list_links(profile_id=PROFILE).get_result()["links"]
    link = {"crn": "crn:v1:bluemix:public:codeengine:us-south:a/x::project:p2"}
    if writes:
        assert client.create_link(profile_id=OTHER_PROFILE, cr_type="CE", link=link,
                                  ).get_status_code() == 201
    else:
        with pytest.raises(ApiException) as info:
            client.create_link(profile_id=OTHER_PROFILE, cr_type="CE", link=link)
        assert info.value.status_code == 403
