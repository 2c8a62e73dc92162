"""`iamcheck console` against the served demo account, with its ordinary users' keys: every
pre-flight failure with the fix it names, the token, the URLs, and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
from ibm_vpc import VpcV1
from websockets.sync.client import ClientConnection, connect

from iamcheck.emulator import demo_seed
from iamcheck.errors import ExitCode
from tests.cli.conftest import Invoke, Run
from tests.conftest import Emulator

ONCALL = "demo-oncall-key-not-a-secret-0002"  # may open every console
ANALYST = "demo-analyst-key-not-a-secret-0003"  # no console anywhere
RUNNING, STOPPED, TDX, ZOS = "pay-api-01", "pay-staging-01", "plat-vault-tdx", "zos-ledger-dev"
PAY_API_01 = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a301"
PAY_STAGING_01 = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a304"


def _console(against: Invoke, *args: str, key: str = ONCALL) -> Run:
    return against("console", *args, apikey=key)


def _items(run: Run) -> dict[str, dict[str, str]]:
    return {item["check"]: item for item in run.json()["preflight"]}


def test_preflight_passes_for_the_on_call_user(against: Invoke) -> None:
    run = _console(against, RUNNING, "--preflight-only", "--format", "json")
    assert run.exit_code == ExitCode.OK, run.stderr
    doc = run.json()
    assert doc["result"] == "pass" and doc["console"] is None
    assert doc["user"]["email"] == "ravi.lindqvist@example.com"
    assert {i["check"]: i["status"] for i in doc["preflight"]} == {
        "access": "pass", "running": "pass", "console_type": "pass", "password": "warn"}


@pytest.fixture
def rules_readable(demo: Emulator) -> Emulator:
    """The demo, with the analyst allowed to read access groups (Viewer on IAM Access Groups):
    under rule P3 (rev 2) every dynamic rule is a path for every user, so a caller who cannot
    read the rules cannot be told "no" (V5)."""
    seed = demo_seed()
    seed["policies"].append({
        "id": "7b3e0001-2f1a-4c6d-9e8b-5a0c7d2e09aa", "type": "access", "state": "active",
        "subject": {"attributes": [{"key": "iam_id", "operator": "stringEquals",
                                    "value": "IBMid-6650001003"}]},
        "resource": {"attributes": [
            {"key": "accountId", "operator": "stringEquals", "value": seed["account_id"]},
            {"key": "serviceName", "operator": "stringEquals", "value": "iam-groups"}]},
        "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}},
    })
    demo.load(seed)
    return demo


def test_a_caller_who_cannot_read_dynamic_rules_is_undecided(against: Invoke) -> None:
    run = _console(against, RUNNING, "--preflight-only", key=ANALYST)
    assert run.exit_code == ExitCode.UNKNOWN
    assert "cannot tell whether juniper.abara@example.com may open the console" in run.stdout
    assert "dynamic rule" in run.stdout


def test_not_allowed_prints_the_exact_grant_command(against: Invoke,
                                                   rules_readable: Emulator) -> None:
    demo = rules_readable
    run = _console(against, RUNNING, "--preflight-only", key=ANALYST)
    assert run.exit_code == ExitCode.FINDING
    crn = demo.backend.vpc.instance("us-south", PAY_API_01)["crn"]
    command = f"iamcheck grant juniper.abara@example.com --instance {crn}"
    assert f"\n             {command}\n" in run.stdout  # on a line of its own, whole
    assert "FAIL  juniper.abara@example.com may not open the console of pay-api-01" in run.stdout
    assert "is.instance.instance.console (needs Console Administrator)" in run.stdout


def test_not_allowed_stops_before_any_token(against: Invoke, rules_readable: Emulator) -> None:
    demo = rules_readable
    run = _console(against, RUNNING, "--url-only", key=ANALYST)
    assert run.exit_code == ExitCode.FINDING and run.stdout == ""
    assert "pre-flight failed" in run.stderr
    assert not any("console_access_token" in route for route in demo.request_counts())


def test_a_stopped_instance_fails_with_the_command_that_starts_it(against: Invoke) -> None:
    run = _console(against, STOPPED, "--preflight-only", "--format", "json")
    assert run.exit_code == ExitCode.FINDING
    running = _items(run)["running"]
    assert running["status"] == "fail" and "stopped" in running["what"]
    assert running["command"] == f"ibmcloud is instance-start {PAY_STAGING_01}"


@pytest.mark.parametrize(("instance", "why"), [(TDX, "TDX"), (ZOS, "z/OS")])
def test_vnc_is_refused_on_tdx_and_zos_and_serial_offered(
    against: Invoke, instance: str, why: str
) -> None:
    vnc = _console(against, instance, "--vnc", "--preflight-only", "--format", "json")
    assert vnc.exit_code == ExitCode.FINDING
    item = _items(vnc)["console_type"]
    assert item["status"] == "fail" and why in item["what"]
    assert item["command"] == f"iamcheck console {instance} --serial"
    serial = _console(against, instance, "--serial", "--preflight-only", "--format", "json")
    assert serial.exit_code == ExitCode.OK
    assert _items(serial)["console_type"]["status"] == "pass"


def test_stock_images_remind_that_no_password_is_set(against: Invoke) -> None:
    run = _console(against, RUNNING, "--preflight-only")
    assert "WARN  IBM stock image ibm-redhat-9-4-minimal-amd64-3: no user has a password" in (
        run.stdout)
    assert "sudo passwd" in run.stdout


def test_a_custom_image_warns_that_the_kernel_needs_console_ttys0(
    against: Invoke, demo: Emulator
) -> None:
    # The demo has only stock images: boot the running instance from an imported one.
    seed = demo_seed()
    instance = next(i for i in seed["instances"] if i["name"] == RUNNING)
    instance["image"] = {"name": "acme-golden-rhel9"}
    demo.load(seed)
    run = _console(against, RUNNING, "--preflight-only", "--format", "json")
    assert run.exit_code == ExitCode.OK  # a warning, not a failure
    items = _items(run)
    assert "console=ttyS0" in items["serial_kernel"]["what"]
    assert items["serial_kernel"]["status"] == "warn" and "password" not in items
    vnc = _console(against, RUNNING, "--vnc", "--preflight-only", "--format", "json")
    assert "serial_kernel" not in _items(vnc)


def test_vnc_prints_a_novnc_url_with_every_setting_and_the_token_in_the_fragment(
    against: Invoke, demo: Emulator
) -> None:
    run = against("console", RUNNING, "--vnc", "--novnc-url", "http://127.0.0.1:1/vnc.html",
                  apikey=ONCALL)
    assert run.exit_code == ExitCode.OK, run.stderr
    url = run.stdout.strip()
    page, _, fragment = url.partition("#")
    assert page == "http://127.0.0.1:1/vnc.html"
    settings = dict(part.split("=", 1) for part in fragment.split("&"))
    port = urlsplit(demo.url).port
    assert (settings["host"], settings["port"], settings["encrypt"], settings["autoconnect"]) == (
        "127.0.0.1", str(port), "0", "1")
    path = unquote(settings["path"])
    assert path.startswith(f"vpc/us-south/v1/instances/{PAY_API_01}/console?access_token=")
    assert path.endswith("&generation=2") and "version=" in path
    assert "single-use token, valid 3 minutes" in run.stderr


def test_the_environment_sets_the_novnc_page(against: Invoke, demo: Emulator,
                                             cli: Invoke) -> None:
    env = {"IBMCLOUD_API_KEY": ONCALL, "IAMCHECK_ENDPOINT": demo.url,
           "IAMCHECK_NOVNC_URL": "https://novnc.example.com/vnc.html"}
    run = cli("console", RUNNING, "--vnc", env=env)
    assert run.stdout.startswith("https://novnc.example.com/vnc.html#host=127.0.0.1&")


def test_demo_vnc_keeps_its_emulator_serving_until_enter(cli: Invoke) -> None:
    run = cli("console", "--demo", "pay-api-01", "--vnc", input="\n")
    assert run.exit_code == ExitCode.OK, run.stderr
    assert run.stdout.startswith("https://novnc.com/noVNC/vnc.html#host=127.0.0.1&port=")
    assert "serves this console until you press Enter" in run.stderr
    assert "as ravi.lindqvist@example.com" in run.stderr  # the demo's on-call user, not admin


def test_open_hands_the_url_to_the_browser(against: Invoke,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0: opened.append(url) or True)
    run = _console(against, RUNNING, "--vnc", "--open")
    assert run.exit_code == ExitCode.OK
    assert opened == [run.stdout.strip()]


def test_url_only_prints_the_websocket_url_that_the_console_accepts(against: Invoke) -> None:
    run = _console(against, RUNNING, "--url-only")
    assert run.exit_code == ExitCode.OK
    url = run.stdout.strip()
    assert url.startswith("ws://127.0.0.1:") and "\n" not in url
    assert "--binary" in run.stderr and "single-use" in run.stderr
    with connect(url) as ws:
        assert b"pay-api-01 login: " in ws.recv(timeout=5)


def test_json_with_vnc_carries_both_urls(against: Invoke) -> None:
    run = _console(against, RUNNING, "--vnc", "--format", "json")
    console = run.json()["console"]
    assert console["websocket_url"].startswith("ws://")
    assert console["novnc_url"].startswith("https://novnc.com/noVNC/vnc.html#host=")
    assert console["single_use"] is True and console["expires_at"]


@contextmanager
def _serial_session(demo: Emulator) -> Iterator[ClientConnection]:
    """Someone else on the serial console of pay-api-01."""
    vpc = demo.client(VpcV1, apikey=ONCALL)
    vpc.set_service_url(f"{demo.url}/v1")
    href = vpc.create_instance_console_access_token(PAY_API_01, "serial").get_result()["href"]
    with connect(href) as ws:
        ws.recv(timeout=5)
        yield ws


def test_a_busy_serial_console_is_explained_with_force(against: Invoke, demo: Emulator) -> None:
    with _serial_session(demo):
        run = _console(against, RUNNING, "--url-only")
    assert run.exit_code == ExitCode.FINDING
    assert "in use by another session" in run.stderr and "--force" in run.stderr
    assert "--yes" in run.stderr


def test_force_without_a_terminal_needs_yes(against: Invoke, demo: Emulator) -> None:
    run = _console(against, RUNNING, "--url-only", "--force")
    assert run.exit_code == ExitCode.BAD_INPUT and "--yes" in run.stderr
    assert demo.request_counts() == {}  # refused before any IBM call


def test_force_with_yes_takes_the_serial_console_over(against: Invoke, demo: Emulator) -> None:
    with _serial_session(demo) as other:
        run = _console(against, RUNNING, "--url-only", "--force", "--yes")
        assert run.exit_code == ExitCode.OK, run.stderr
        with connect(run.stdout.strip()) as mine:
            assert b"login: " in mine.recv(timeout=5)
            with pytest.raises(Exception) as closed:
                while True:
                    other.recv(timeout=5)
    assert "took over" in str(closed.value)


def test_a_token_refused_after_an_allowing_preflight_is_exit_4(
    against: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # IAM allows, VPC still refuses (a policy not yet in effect, a context-based restriction).
    monkeypatch.setattr("iamcheck.emulator.services.console.may_open_console",
                        lambda *args, **kwargs: False)
    # --wait-propagation 0: no retrying (the wait: tests/tmux/test_propagation_tmux.py)
    run = _console(against, RUNNING, "--url-only", "--wait-propagation", "0")
    assert run.exit_code == ExitCode.NOT_AUTHORIZED
    assert "IAM policies allow the console" in run.stderr and "403" in run.stderr


def test_unreadable_access_is_undecided_and_vpc_decides(
    against: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamcheck.ibm.errors import Refused

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise Refused("list policies: IBM Cloud answered 403 (forbidden)")

    monkeypatch.setattr("iamcheck.console.run.run_check", refused)
    pre = _console(against, RUNNING, "--preflight-only", "--format", "json", key=ANALYST)
    assert pre.exit_code == ExitCode.UNKNOWN
    assert _items(pre)["access"]["status"] == "warn"
    assert "403 (forbidden)" in _items(pre)["access"]["what"]
    tried = _console(against, RUNNING, "--url-only", key=ANALYST)
    assert tried.exit_code == ExitCode.NOT_AUTHORIZED  # VPC said no when asked for the token
    assert "You may not open this console" in tried.stderr


def test_an_instance_stopped_after_the_preflight_is_explained(
    against: Invoke, demo: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamcheck.console import run as flow

    run_preflight = flow.run_preflight

    def then_stop(*args: Any) -> Any:
        pre = run_preflight(*args)
        requests.post(f"{demo.url}/_emulator/instances/{PAY_API_01}/stop", timeout=5)
        return pre

    monkeypatch.setattr(flow, "run_preflight", then_stop)
    run = _console(against, RUNNING, "--url-only")
    assert run.exit_code == ExitCode.FINDING
    assert "ibmcloud is instance-start" in run.stderr and "in use" not in run.stderr


def test_api_failures_are_exit_5(against: Invoke, demo: Emulator) -> None:
    demo.backend.faults.rate = 1.0
    run = against("console", RUNNING, "--preflight-only", "--timeout", "1", apikey=ONCALL)
    assert run.exit_code == ExitCode.API_FAILURE


@pytest.mark.parametrize(("args", "culprit"), [
    (("--open",), "--open"),
    (("--vnc", "--open", "--url-only"), "--url-only"),
    (("--format", "json"), "--format json"),
    (("not a name!",), "INSTANCE"),
])
def test_bad_invocations_are_exit_2_before_any_call(
    against: Invoke, demo: Emulator, args: tuple[str, ...], culprit: str
) -> None:
    run = _console(against, *((RUNNING, *args) if args[0].startswith("-") else args))
    assert run.exit_code == ExitCode.BAD_INPUT and culprit in run.stderr
    assert demo.request_counts() == {}


def test_the_json_document_is_stable(against: Invoke) -> None:
    doc = _console(against, ZOS, "--vnc", "--preflight-only", "--format", "json").json()
    assert doc["kind"] == "iamcheck-console" and doc["schema_version"] == 1
    assert doc["image"]["operating_system"]["architecture"] == "s390x"
    assert json.loads(json.dumps(doc)) == doc
