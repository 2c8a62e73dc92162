"""iamcheck's VPC client on IBM's SDK core (iamcheck/ibm/vpc_client.py) sends the requests that
IBM's VpcV1 sends, and reads the same answers, over real HTTP (issue 17: it spares `check` and
`console` the import of ibm_vpc's 200,000-line module)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_vpc import VpcV1 as SdkVpc
from ibm_vpc.vpc_v1 import InstancesPager as SdkPager

from iamcheck.ibm.vpc_client import InstancesPager, VpcV1
from tests.conftest import Emulator
from tests.emulator.test_vpc import KEY, RG_OPS, SEED

Sent = list[tuple[str, str, dict[str, list[str]], Any, str, str]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """What each request carried: method, path, query, body, Accept, content-type."""
    seen: Sent = []
    send = requests.Session.send

    def recording(self: requests.Session, request: requests.PreparedRequest, **kw: Any) -> Any:
        url = urlparse(request.url or "")
        if "/identity/token" not in url.path:
            body = json.loads(request.body) if request.body else None
            seen.append((request.method or "", url.path, parse_qs(url.query), body,
                         request.headers.get("Accept", ""),
                         request.headers.get("content-type", "")))
            assert request.headers["User-Agent"].startswith("vpc-python-sdk/")
            assert request.headers["X-Request-Id"]
        return send(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", recording)
    return seen


def both(emu: Emulator, region: str) -> tuple[Any, Any]:
    emu.load(SEED)
    emu.apikey = KEY
    out = []
    for cls in (SdkVpc, VpcV1):
        client = emu.client(cls)
        client.set_service_url(f"{emu.url}/vpc/{region}/v1")
        out.append(client)
    return out[0], out[1]


def test_the_core_client_sends_and_reads_what_ibm_s_sdk_does(emulator: Emulator,
                                                              sent: Sent) -> None:
    sdk, core = both(emulator, "us-south")
    results = []
    for client, pager in ((sdk, SdkPager), (core, InstancesPager)):
        sent.clear()
        listed: list[dict[str, Any]] = []
        paged = pager(client=client, limit=40, resource_group_id=RG_OPS)
        while paged.has_next():
            listed += paged.get_next()
        every = pager(client=client, limit=50)
        while every.has_next():
            listed += every.get_next()
        first = listed[0]
        got = [client.list_regions().get_result(), listed,
               client.get_instance(id=first["id"]).get_result()]
        if first.get("image"):
            got.append(client.get_image(id=first["image"]["id"]).get_result())
        volume = (first.get("boot_volume_attachment") or {}).get("volume") or {}
        if volume:
            got.append(client.get_volume(id=volume["id"]).get_result())
        try:  # the seed's key holds no console policy: the refusal must be the same
            token = client.create_instance_console_access_token(first["id"], "serial", force=True)
            got.append(sorted(token.get_result()))
        except ApiException as err:
            got.append((err.status_code, err.message))
        results.append((got, list(sent)))
    (sdk_got, sdk_sent), (core_got, core_sent) = results
    assert core_got == sdk_got
    assert len(sdk_got[1]) > 100  # more than one page was followed
    assert core_sent == sdk_sent  # same methods, paths, queries, bodies and headers
    assert any(q.get("start") for _, _, q, _, _, _ in core_sent)


def test_the_core_client_raises_the_sdk_s_errors(emulator: Emulator) -> None:
    sdk, core = both(emulator, "us-south")
    codes = []
    for client in (sdk, core):
        with pytest.raises(ApiException) as info:
            client.get_instance(id="0717_no-such-instance")
        codes.append((info.value.status_code, info.value.message))
    assert codes[0] == codes[1] and codes[0][0] == 404
