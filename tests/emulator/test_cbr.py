"""Context-based restrictions through IBM's ContextBasedRestrictionsV1, and their enforcement
on VPC's console token endpoint (the client is loopback, on the public endpoint)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from ibm_cloud_sdk_core import ApiException
from ibm_platform_services.context_based_restrictions_v1 import ContextBasedRestrictionsV1
from ibm_vpc import VpcV1

from tests.conftest import MINI_KEY, Emulator
from tests.emulator.rev2_seed import ACCOUNT, DISABLED, FED_DEV, INSTANCE, RG, key_of, rev2_seed
from tests.emulator.test_console_token import refusal

ELSEWHERE = {"id": "zone-office", "name": "office",
             "addresses": [{"type": "subnet", "value": "10.0.0.0/8"},
                           {"type": "ipRange", "value": "192.168.0.1-192.168.0.9"}]}
LOOPBACK = {"id": "zone-loopback", "name": "loopback",
            "addresses": [{"type": "ipRange", "value": "127.0.0.1-127.0.0.9"}]}


def rule(zone: str, mode: str = "enabled", *, extra: list[dict[str, str]] | None = None,
         endpoint: str | None = None) -> dict[str, Any]:
    context = [{"name": "networkZoneId", "value": zone}]
    if endpoint:
        context.append({"name": "endpointType", "value": endpoint})
    return {"id": f"rule-{zone}-{mode}", "description": "console only from the office",
            "contexts": [{"attributes": context}],
            "resources": [{"attributes": [{"name": "accountId", "value": ACCOUNT},
                                          {"name": "serviceName", "value": "is"},
                                          *(extra or [])]}],
            "enforcement_mode": mode}


def load(emu: Emulator, *rules: dict[str, Any], zones: list[dict[str, Any]] | None = None,
         ) -> None:
    seed = rev2_seed()
    seed["cbr_zones"] = zones if zones is not None else [ELSEWHERE, LOOPBACK]
    seed["cbr_rules"] = list(rules)
    emu.load(seed)


def cbr(emu: Emulator, apikey: str = MINI_KEY) -> Any:
    return emu.client(ContextBasedRestrictionsV1, apikey)


def console(emu: Emulator) -> Any:
    """Ask for a console token as a user whom IAM allows (DISABLED_CLASSIC, own policy)."""
    client = emu.client(VpcV1, key_of(DISABLED))
    client.set_service_url(f"{emu.url}/vpc/us-south/v1")
    return lambda: client.create_instance_console_access_token(INSTANCE, "serial")


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    load(emulator, rule("zone-office"), rule("zone-loopback", "report"))
    return emulator


def test_rules_and_zones_read_through_the_sdk(emu: Emulator) -> None:
    client = cbr(emu)
    rules = client.list_rules(account_id=ACCOUNT, service_name="is").get_result()
    assert rules["count"] == 2 and {r["enforcement_mode"] for r in rules["rules"]} == {
        "enabled", "report"}
    only = client.list_rules(account_id=ACCOUNT, zone_id="zone-loopback").get_result()
    assert [r["id"] for r in only["rules"]] == ["rule-zone-loopback-report"]
    assert client.list_rules(account_id=ACCOUNT, service_name="iam-groups").get_result()[
        "count"] == 0
    one = client.get_rule(rule_id="rule-zone-office-enabled")
    assert one.get_headers()["ETag"] and one.get_result()["crn"].endswith(
        "::rule:rule-zone-office-enabled")
    zones = client.list_zones(account_id=ACCOUNT).get_result()
    assert zones["count"] == 2 and zones["zones"][0]["addresses_preview"]
    zone = client.get_zone(zone_id="zone-office").get_result()
    assert zone["address_count"] == 2 and zone["addresses"][0]["type"] == "subnet"


def test_missing_account_id_unknown_ids_and_non_readers(emu: Emulator) -> None:
    assert requests.get(f"{emu.url}/v1/rules", timeout=5, headers={
        "Authorization": f"Bearer {emu.authenticator().token_manager.get_token()}"},
    ).status_code == 400
    with pytest.raises(ApiException) as info:
        cbr(emu).get_rule(rule_id="nope")
    assert info.value.status_code == 404
    with pytest.raises(ApiException) as info:
        cbr(emu, key_of(FED_DEV)).list_rules(account_id=ACCOUNT)
    assert info.value.status_code == 403


def test_writes_through_the_sdk(emu: Emulator) -> None:
    client = cbr(emu)
    zone = client.create_zone(name="lab", account_id=ACCOUNT,
                              addresses=[{"type": "ipAddress", "value": "10.1.1.1"}]).get_result()
    made = client.create_rule(
        description="lab only", contexts=[{"attributes": [
            {"name": "networkZoneId", "value": zone["id"]}]}],
        resources=[{"attributes": [{"name": "accountId", "value": ACCOUNT},
                                   {"name": "serviceName", "value": "is"}]}],
        enforcement_mode="disabled").get_result()
    assert client.get_rule(rule_id=made["id"]).get_result()["description"] == "lab only"
    with pytest.raises(ApiException) as info:
        client.delete_zone(zone_id=zone["id"])
    assert info.value.status_code == 409
    client.delete_rule(rule_id=made["id"])
    client.delete_zone(zone_id=zone["id"])
    assert client.list_zones(account_id=ACCOUNT).get_result()["count"] == 2


def test_enforced_rule_refuses_a_client_outside_its_zones(emu: Emulator) -> None:
    status, error = refusal(console(emu))
    assert status == 403 and error["code"] == "not_authorized"
    assert "rule-zone-office-enabled" in error["message"]


def test_client_inside_the_zone_passes_and_report_mode_only_logs(emulator: Emulator) -> None:
    load(emulator, rule("zone-loopback"), rule("zone-office", "report"))
    assert console(emulator)().get_status_code() == 200
    reports = requests.get(f"{emulator.url}/_emulator/cbr_reports", timeout=5).json()["reports"]
    assert [r["rule_id"] for r in reports] == ["rule-zone-office-report"]
    assert reports[0]["client"] == "127.0.0.1"


def test_disabled_and_other_instances_rules_do_not_apply(emulator: Emulator) -> None:
    load(emulator, rule("zone-office", "disabled"),
         rule("zone-office", extra=[{"name": "instanceId", "value": "0717_other"}]),
         rule("zone-office", extra=[{"name": "region", "value": "eu-de"}]))
    assert console(emulator)().get_status_code() == 200


def test_rule_naming_the_instance_or_its_group_applies(emulator: Emulator) -> None:
    for extra in ([{"name": "instanceId", "value": INSTANCE}],
                  [{"name": "resourceGroupId", "value": RG}, {"name": "region",
                                                             "value": "us-south"}],
                  [{"name": "instanceId", "value": "0717_*", "operator": "stringMatch"}]):
        load(emulator, rule("zone-office", extra=extra))
        assert refusal(console(emulator))[0] == 403, extra


def test_endpoint_type_and_excluded_addresses(emulator: Emulator) -> None:
    load(emulator, rule("zone-loopback", endpoint="private"))
    assert refusal(console(emulator))[0] == 403  # only the private endpoint would pass
    load(emulator, rule("zone-loopback", endpoint="private,public"))
    assert console(emulator)().get_status_code() == 200
    holed = {**LOOPBACK, "excluded": [{"type": "ipAddress", "value": "127.0.0.1"}]}
    load(emulator, rule("zone-loopback"), zones=[holed])
    assert refusal(console(emulator))[0] == 403


def role_on(seed: dict[str, Any], iam_id: str, service: str, role: str) -> None:
    seed["policies"].append({
        "type": "access",
        "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals", "value": iam_id}]},
        "resource": {"attributes": [
            {"key": "accountId", "operator": "stringEquals", "value": ACCOUNT},
            {"key": "serviceName", "operator": "stringEquals", "value": service}]},
        "control": {"grant": {"roles": [{"role_id": f"crn:v1:bluemix:public:iam::::role:{role}"}]}},
    })


@pytest.mark.parametrize(("role", "writes"), [
    ("Viewer", False), ("Editor", True), ("Administrator", True)])
def test_cbr_roles_read_and_write(emulator: Emulator, role: str, writes: bool) -> None:
    seed = rev2_seed()
    role_on(seed, FED_DEV, "context-based-restrictions", role)
    emulator.load(seed)
    client = cbr(emulator, key_of(FED_DEV))
    assert client.list_zones(account_id=ACCOUNT).get_result()["count"] == 0
    try:
        client.create_zone(name="lab", account_id=ACCOUNT,
                           addresses=[{"type": "ipAddress", "value": "10.1.1.1"}])
        wrote = True
    except ApiException as err:
        assert err.status_code == 403
        wrote = False
    assert wrote is writes
