"""`--auth trusted-profile` end to end: the real CLI signs in as a trusted profile through IBM's
VPCInstanceAuthenticator (the emulator's metadata service) and ContainerAuthenticator (a CR
token file), and the profile's access decides what it may read. --debug names the source."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ibm_platform_services import IamIdentityV1
from ibm_vpc import VpcV1

from iamcheck.emulator import demo_seed
from tests.cli.conftest import Invoke
from tests.conftest import Emulator

PROFILE = "Profile-5e1d0c2b-7a3f-4e6d-9b8c-000000000001"
ADMINS = "AccessGroupId-3f1a7c2e-0b4d-4e8f-9a6b-000000000001"  # platform-admins: reads everything
VM = "pay-api-02"
CLUSTER = "crn:v1:bluemix:public:containers-kubernetes:us-south:a/x:c0ffee::"
CHECK = ("check", "--user", "ravi.lindqvist@example.com", "--instance", VM, "--format", "json")


def profile_seed() -> dict[str, Any]:
    seed = copy.deepcopy(demo_seed())
    seed["trusted_profiles"] = [{
        "id": PROFILE, "iam_id": "iam-" + PROFILE, "name": "ci-runner",
        "links": [{"name": "ci pod", "cr_type": "IKS_SA",
                   "link": {"crn": CLUSTER, "namespace": "ci", "name": "runner"}}]}]
    group = next(g for g in seed["access_groups"] if g["id"] == ADMINS)
    group["members"].append({"iam_id": "iam-" + PROFILE, "type": "profile"})
    return seed


@pytest.fixture
def served(demo: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulator]:
    for name in ("IC_API_KEY", "IBM_CREDENTIALS_FILE", "IAMCHECK_APIKEY", "IAMCHECK_AUTH_TYPE",
                 "IAMCHECK_CR_TOKEN_FILENAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    demo.load(profile_seed())
    yield demo
    demo.backend.settings.metadata_instance = None


def _instance(emu: Emulator) -> dict[str, Any]:
    vpc = emu.client(VpcV1)
    vpc.set_service_url(f"{emu.url}/vpc/us-south/v1")
    found = vpc.list_instances(name=VM).get_result()["instances"]
    assert len(found) == 1
    return dict(found[0])


def _link_instance(emu: Emulator) -> str:
    """Link the profile to the demo instance, as an admin would; the instance's id."""
    vm = _instance(emu)
    emu.client(IamIdentityV1).create_link(profile_id=PROFILE, cr_type="VSI",
                                          link={"crn": vm["crn"]}, name=VM)
    return str(vm["id"])


def _cr_token(emu: Emulator, path: Path, name: str = "runner") -> Path:
    answer = requests.post(f"{emu.url}/_emulator/cr_tokens", timeout=5,
                           json={"crn": CLUSTER, "namespace": "ci", "name": name})
    assert answer.status_code == 201
    path.write_text(answer.json()["cr_token"])
    return path


def test_on_a_vpc_instance_through_its_metadata_service(served: Emulator, cli: Invoke) -> None:
    served.backend.settings.metadata_instance = _link_instance(served)
    run = cli(*CHECK, "--endpoint", served.url, "--auth", "trusted-profile", "--profile-id",
              PROFILE, "--debug")
    assert run.exit_code == 0, run.stderr
    assert run.json()["verdict"] == "allow"
    assert f"credentials from trusted profile {PROFILE} (VPC instance metadata)" in run.stderr
    assert served.request_counts().get("POST /instance_identity/v1/iam_token", 0) >= 1


def test_by_name_and_by_crn_too(served: Emulator, cli: Invoke) -> None:
    served.backend.settings.metadata_instance = _link_instance(served)
    crn = served.client(IamIdentityV1).get_profile(profile_id=PROFILE).get_result()["crn"]
    for given in ("ci-runner", crn):
        run = cli(*CHECK, "--endpoint", served.url, "--auth", "trusted-profile",
                  "--profile-id", given)
        assert run.exit_code == 0, (given, run.stderr)


def test_an_instance_the_profile_does_not_link_is_refused(served: Emulator, cli: Invoke) -> None:
    served.backend.settings.metadata_instance = _instance(served)["id"]  # not linked
    run = cli(*CHECK, "--endpoint", served.url, "--auth", "trusted-profile", "--profile-id",
              PROFILE)
    assert run.exit_code in (4, 5) and run.stdout == ""
    assert "Traceback" not in run.stderr


def test_in_a_pod_through_its_cr_token(served: Emulator, cli: Invoke, tmp_path: Path) -> None:
    token = _cr_token(served, tmp_path / "sa-token")
    run = cli(*CHECK, "--endpoint", served.url, "--auth", "trusted-profile", "--profile-id",
              PROFILE, "--debug", env={"IAMCHECK_CR_TOKEN_FILENAME": str(token)})
    assert run.exit_code == 0, run.stderr
    assert run.json()["verdict"] == "allow"
    assert "(compute resource token)" in run.stderr
    assert token.read_text() not in run.stderr + run.stdout  # the token itself never shows


def test_another_pod_is_refused(served: Emulator, cli: Invoke, tmp_path: Path) -> None:
    token = _cr_token(served, tmp_path / "sa-token", name="someone-else")
    run = cli(*CHECK, "--endpoint", served.url, "--auth", "trusted-profile", "--profile-id",
              "ci-runner", env={"IAMCHECK_CR_TOKEN_FILENAME": str(token)})
    assert run.exit_code in (4, 5) and run.stdout == ""


def test_the_sdk_configuration_names_the_profile(served: Emulator, cli: Invoke,
                                                 tmp_path: Path) -> None:
    token = _cr_token(served, tmp_path / "sa-token")
    env_file = tmp_path / "ibm-credentials.env"
    env_file.write_text(f"IAMCHECK_AUTH_TYPE=container\nIAMCHECK_IAM_PROFILE_ID={PROFILE}\n"
                        f"IAMCHECK_CR_TOKEN_FILENAME={token}\n")
    run = cli(*CHECK, "--endpoint", served.url, env={"IBM_CREDENTIALS_FILE": str(env_file)})
    assert run.exit_code == 0, run.stderr


def test_bad_combinations_are_exit_2_before_any_call(served: Emulator, cli: Invoke,
                                                     tmp_path: Path) -> None:
    before = served.request_counts()
    key = tmp_path / "key"
    key.write_text("k" * 44)
    for args in (("--auth", "trusted-profile"),  # no profile named
                 ("--profile-id", PROFILE),  # without --auth trusted-profile
                 ("--auth", "trusted-profile", "--profile-id", PROFILE, "--apikey-file",
                  str(key))):
        run = cli(*CHECK, "--endpoint", served.url, *args)
        assert run.exit_code == 2, args
        assert len(run.stderr.strip().splitlines()) == 1
    assert served.request_counts() == before
