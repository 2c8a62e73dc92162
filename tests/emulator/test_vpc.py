"""VPC regions, instances, images and boot volumes, through IBM's own VpcV1 over real HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from ibm_cloud_sdk_core import ApiException
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import (
    Image,
    Instance,
    InstanceCollection,
    InstancesPager,
    RegionCollection,
    Volume,
)

from iamcheck.emulator.backend.vpc import VpcStore
from iamcheck.emulator.seed import validate_seed
from tests.conftest import Emulator

ACCOUNT = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
KEY = "vpc-admin-key-0001"
REGIONS = ["au-syd", "br-sao", "ca-mon", "ca-tor", "eu-de", "eu-es", "eu-gb",
           "in-che", "in-mum", "jp-osa", "jp-tok", "us-east", "us-south"]
RG_APPS, RG_OPS = "rg00000000000000000000000000app1", "rg00000000000000000000000000ops1"
ZOS_ID = "0717_zos-000001"
STATUSES = ["running", "stopped", "running", "starting", "running", "failed", "pending"]


def vpc_seed(count: int = 150) -> dict[str, Any]:
    """`count` instances: the first 105 in us-south (so limit 100 pages), the rest spread."""
    instances: list[dict[str, Any]] = []
    for i in range(count):
        region = "us-south" if i < 105 else REGIONS[i % 12]
        instances.append({
            "id": f"0717_inst-{i:05d}", "name": f"vsi-{i:05d}", "region": region,
            "zone": f"{region}-{i % 3 + 1}", "status": STATUSES[i % len(STATUSES)],
            "resource_group": RG_OPS if i % 4 == 0 else RG_APPS, "vpc": f"r006-vpc-{i % 5}",
            "access_tags": [f"env:{'prod' if i % 2 else 'dev'}"], "user_tags": [f"owner:t{i % 3}"],
        })
    instances.append({
        "id": ZOS_ID, "name": "mainframe-1", "region": "us-south", "zone": "us-south-2",
        "status": "running", "resource_group": RG_OPS, "vpc": "r006-vpc-z",
        "image": {"name": "ibm-zos-2-5-s390x-dev-test-wazi-7"},
        "operating_system": {"name": "zos-2-5-s390x-dev-test-wazi", "family": "IBM z/OS"},
    })
    instances.append({
        "id": "0757_tdx-000001", "name": "secret-box", "region": "eu-de", "zone": "eu-de-1",
        "status": "running", "resource_group": RG_APPS, "vpc": "r010-vpc-t",
        "confidential_compute_mode": "tdx", "profile": "bx3dc-2x10",
        "crn": f"crn:v1:bluemix:public:is:eu-de-1:a/{ACCOUNT}::instance:0757_tdx-000001",
        "operating_system": {"name": "rhel-9-4-amd64", "architecture": "amd64", "version": "9.4"},
    })
    seed = {
        "account_id": ACCOUNT,
        "api_keys": [{"apikey": KEY, "iam_id": "IBMid-200000BBBB"}],
        "users": [{"iam_id": "IBMid-200000BBBB", "email": "ops@example.com", "state": "ACTIVE"}],
        "resource_groups": [{"id": RG_APPS, "name": "apps", "default": True},
                            {"id": RG_OPS, "name": "ops"}],
        "instances": instances,
    }
    validate_seed(seed)
    return seed


SEED = vpc_seed()
BY_REGION = {r: [i["id"] for i in SEED["instances"] if i["region"] == r] for r in REGIONS}


@pytest.fixture
def vpc_emulator(emulator: Emulator) -> Emulator:
    emulator.load(SEED)
    emulator.apikey = KEY
    return emulator


def client(emu: Emulator, region: str | None = None) -> Any:
    """VpcV1 set up like a user would: the default (us-south) URL or a region's endpoint."""
    vpc = emu.client(VpcV1)
    vpc.set_service_url(f"{emu.url}/v1" if region is None else f"{emu.url}/vpc/{region}/v1")
    return vpc


def vpc_error(info: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = info.value.http_response.json()
    assert set(body) == {"errors", "trace", "status_code"}
    assert body["status_code"] == info.value.status_code
    error: dict[str, Any] = body["errors"][0]
    assert {"code", "message", "more_info"} <= set(error)
    return error


def test_regions_point_back_at_the_emulator(vpc_emulator: Emulator) -> None:
    vpc = client(vpc_emulator)
    result = vpc.list_regions().get_result()
    RegionCollection.from_dict(result)
    assert sorted(r["name"] for r in result["regions"]) == REGIONS
    for region in result["regions"]:
        assert region["endpoint"] == f"{vpc_emulator.url}/vpc/{region['name']}"
        assert region["status"] == "available"
    assert vpc.get_region("jp-osa").get_result()["endpoint"] == f"{vpc_emulator.url}/vpc/jp-osa"
    with pytest.raises(ApiException) as info:
        vpc.get_region("xx-nowhere")
    assert info.value.status_code == 404
    assert vpc_error(info)["target"]["value"] == "xx-nowhere"


def test_regional_client_set_from_region_endpoint(vpc_emulator: Emulator) -> None:
    default = client(vpc_emulator)
    endpoint = default.get_region("jp-tok").get_result()["endpoint"]
    regional = vpc_emulator.client(VpcV1)
    regional.set_service_url(f"{endpoint}/v1")
    listed = regional.list_instances(limit=100).get_result()
    assert [i["id"] for i in listed["instances"]] == BY_REGION["jp-tok"]
    assert all(i["zone"]["name"].startswith("jp-tok-") for i in listed["instances"])
    assert listed["instances"][0]["href"].startswith(f"{endpoint}/v1/instances/")


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50, 100])
def test_paging_loses_and_repeats_nothing(vpc_emulator: Emulator, limit: int) -> None:
    for region in REGIONS:
        vpc = client(vpc_emulator, region)
        pager = InstancesPager(client=vpc, limit=limit)
        assert [i["id"] for i in pager.get_all()] == BY_REGION[region]
        # The same walk by hand: follow next.href's `start` as IBM's docs tell clients to.
        seen: list[str] = []
        start = None
        while True:
            page = vpc.list_instances(limit=limit, start=start).get_result()
            assert page["limit"] == limit and page["total_count"] == len(BY_REGION[region])
            assert len(page["instances"]) <= limit
            assert parse_qs(urlparse(page["first"]["href"]).query)["limit"] == [str(limit)]
            seen += [i["id"] for i in page["instances"]]
            if "next" not in page:
                break
            start = parse_qs(urlparse(page["next"]["href"]).query)["start"][0]
        assert seen == BY_REGION[region]


def test_default_url_serves_us_south(vpc_emulator: Emulator) -> None:
    default = InstancesPager(client=client(vpc_emulator), limit=100).get_all()
    regional = InstancesPager(client=client(vpc_emulator, "us-south"), limit=100).get_all()
    assert [i["id"] for i in default] == [i["id"] for i in regional] == BY_REGION["us-south"]
    assert default[0]["href"] == f"{vpc_emulator.url}/v1/instances/{default[0]['id']}"
    assert len(BY_REGION["us-south"]) > 100


def test_filters(vpc_emulator: Emulator) -> None:
    vpc = client(vpc_emulator)
    ops = InstancesPager(client=vpc, limit=10, resource_group_id=RG_OPS).get_all()
    expected = [i["id"] for i in SEED["instances"]
                if i["region"] == "us-south" and i["resource_group"] == RG_OPS]
    assert [i["id"] for i in ops] == expected and len(expected) > 10
    assert {i["resource_group"]["name"] for i in ops} == {"ops"}
    one_vpc = vpc.list_instances(vpc_id="r006-vpc-3", limit=100).get_result()["instances"]
    assert one_vpc and {i["vpc"]["id"] for i in one_vpc} == {"r006-vpc-3"}
    by_crn = vpc.list_instances(vpc_crn=one_vpc[0]["vpc"]["crn"]).get_result()
    by_name = vpc.list_instances(vpc_name=one_vpc[0]["vpc"]["name"]).get_result()
    assert by_crn["total_count"] == by_name["total_count"] == len(one_vpc)
    named = vpc.list_instances(name="vsi-00004").get_result()["instances"]
    assert [i["id"] for i in named] == ["0717_inst-00004"]
    assert vpc.list_instances(dedicated_host_id="dh-1").get_result()["total_count"] == 0


def test_every_instance_parses_and_is_complete(vpc_emulator: Emulator) -> None:
    for region in REGIONS:
        vpc = client(vpc_emulator, region)
        page = vpc.list_instances(limit=100).get_result()
        InstanceCollection.from_dict(page)
        for raw in InstancesPager(client=vpc, limit=100).get_all():
            instance = Instance.from_dict(raw)
            seeded = next(i for i in SEED["instances"] if i["id"] == instance.id)
            assert instance.crn == seeded.get("crn", "crn:v1:bluemix:public:is:"
                                              f"{seeded['zone']}:a/{ACCOUNT}::instance:{instance.id}")
            assert instance.status == seeded["status"]
            assert instance.vpc.id == seeded["vpc"]
            assert instance.vpc.crn.endswith(f"::vpc:{seeded['vpc']}")
            assert instance.resource_group.id == seeded["resource_group"]
            assert instance.zone.name == seeded["zone"]
            assert instance.image.id and instance.image.name
            assert instance.confidential_compute_mode == seeded.get(
                "confidential_compute_mode", "disabled")


def test_get_instance_and_404(vpc_emulator: Emulator) -> None:
    vpc = client(vpc_emulator, "us-south")
    zos = vpc.get_instance(ZOS_ID).get_result()
    assert zos["vcpu"]["architecture"] == "s390x" and zos["name"] == "mainframe-1"
    tdx = client(vpc_emulator, "eu-de").get_instance("0757_tdx-000001").get_result()
    assert tdx["vcpu"]["architecture"] == "amd64" and tdx["profile"]["name"] == "bx3dc-2x10"
    assert tdx["vcpu"]["count"] == 2 and tdx["memory"] == 10
    for region, ident in (("us-south", "0717_nope"), ("eu-gb", ZOS_ID)):
        with pytest.raises(ApiException) as info:
            client(vpc_emulator, region).get_instance(ident)
        assert info.value.status_code == 404
        error = vpc_error(info)
        assert error["code"] == "not_found"
        assert error["target"] == {"name": "id", "type": "parameter", "value": ident}


def test_zos_is_detectable_from_image_and_boot_volume(vpc_emulator: Emulator) -> None:
    vpc = client(vpc_emulator, "us-south")
    zos = vpc.get_instance(ZOS_ID).get_result()
    image = Image.from_dict(vpc.get_image(zos["image"]["id"]).get_result())
    assert image.name == "ibm-zos-2-5-s390x-dev-test-wazi-7"
    assert image.operating_system.family == "IBM z/OS"
    assert image.operating_system.architecture == "s390x"
    volume_id = zos["boot_volume_attachment"]["volume"]["id"]
    volume = Volume.from_dict(vpc.get_volume(volume_id).get_result())
    assert volume.operating_system.name == "zos-2-5-s390x-dev-test-wazi"
    assert volume.volume_attachments[0].instance.id == ZOS_ID
    linux = vpc.get_instance("0717_inst-00000").get_result()
    linux_image = vpc.get_image(linux["image"]["id"]).get_result()
    assert linux_image["operating_system"]["architecture"] == "amd64"
    assert "z/OS" not in linux_image["operating_system"]["family"]
    with pytest.raises(ApiException) as info:  # images are regional
        client(vpc_emulator, "eu-gb").get_image(zos["image"]["id"])
    assert info.value.status_code == 404


def test_version_and_generation_are_required(vpc_emulator: Emulator) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"version": None}, "version"),
        ({"generation": None}, "generation"),
        ({"version": "2026-13-01"}, "version"),
        ({"version": "2018-12-31"}, "version"),
        ({"generation": 1}, "generation"),
    ]
    for attrs, param in cases:
        for call in ("list_regions", "list_instances"):
            vpc = client(vpc_emulator, "us-east")
            for name, value in attrs.items():
                setattr(vpc, name, value)
            with pytest.raises(ApiException) as info:
                getattr(vpc, call)()
            assert info.value.status_code == 400, (attrs, call)
            assert vpc_error(info)["target"]["name"] == param


def test_bad_limit_start_and_region(vpc_emulator: Emulator) -> None:
    vpc = client(vpc_emulator, "us-south")
    for kwargs in ({"limit": 0}, {"limit": 101}, {"start": "not-a-page-start"}):
        with pytest.raises(ApiException) as info:
            vpc.list_instances(**kwargs)
        assert info.value.status_code == 400
        vpc_error(info)
    with pytest.raises(ApiException) as info:
        client(vpc_emulator, "mars-north").list_instances()
    assert info.value.status_code == 404
    assert vpc_error(info)["target"]["name"] == "region"


def test_completion_of_sparse_seed_instances() -> None:
    base = {"region": "us-east", "zone": "us-east-1", "status": "running",
            "resource_group": RG_APPS, "vpc": "r014-v"}
    seed = {**SEED, "instances": [
        {**base, "id": "plain", "name": "plain"},
        {**base, "id": "zos-image-only", "name": "zos-image-only",
         "image": {"name": "ibm-zos-3-1-s390x-dev-test-wazi-1"}},
        {**base, "id": "linux-on-z", "name": "linux-on-z",
         "operating_system": {"name": "ubuntu-22-04-s390x"}},
        {**base, "id": "given-arch", "name": "given-arch",
         "operating_system": {"name": "custom-os", "architecture": "arm64", "family": "Custom"}},
    ]}
    validate_seed(seed)
    store = VpcStore(seed)
    plain, zos, linux_z, given = (store.instance("us-east", i) for i in
                                  ("plain", "zos-image-only", "linux-on-z", "given-arch"))
    assert (plain["vcpu"]["architecture"], plain["profile"]) == ("amd64", "bx2-2x8")
    assert plain["operating_system"]["family"] == "Ubuntu Linux"
    assert (zos["vcpu"]["architecture"], zos["profile"]) == ("s390x", "mz2o-2x16")
    assert zos["operating_system"]["family"] == "IBM z/OS"
    assert (linux_z["vcpu"]["architecture"], linux_z["profile"]) == ("s390x", "bz2-2x8")
    assert linux_z["operating_system"]["family"] == "Ubuntu Linux"
    assert given["vcpu"]["architecture"] == "arm64"
    assert given["operating_system"]["family"] == "Custom"
    assert len({r["image"]["id"] for r in store.instances()}) == 4
    assert store.instances() == [plain, zos, linux_z, given]
