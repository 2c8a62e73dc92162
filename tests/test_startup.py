"""Start-up stays cheap: `--help` imports neither IBM's SDKs nor the emulator's web stack.

What an import costs is measured by the benchmark (bench/run.py); here only which modules a help
text pulls in, which is deterministic. Commands import what they call when they call it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("ibm_platform_services", "ibm_vpc", "ibm_cloud_sdk_core", "starlette", "uvicorn")
PROBE = """
import json, runpy, sys
sys.argv = ["iamcheck", *json.loads(sys.argv[1])]
try:
    runpy.run_module("iamcheck", run_name="__main__")
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}),
      file=sys.stderr)
"""


def _imported(*args: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                         capture_output=True, text=True, timeout=60, check=False)
    last = run.stderr.strip().splitlines()[-1]
    report = json.loads(last)
    assert report["code"] in (0, None), run.stderr
    assert "Usage:" in run.stdout
    return set(report["modules"])


@pytest.mark.parametrize("args", [("--help",), ("check", "--help"), ("audit", "--help"),
                                  ("snapshot", "--help"), ("grant", "--help"),
                                  ("console", "--help"), ("emulator", "serve", "--help")])
def test_help_imports_no_sdk_and_no_web_stack(args: tuple[str, ...]) -> None:
    loaded = _imported(*args)
    assert "iamcheck" in loaded  # the probe ran the command
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_probe_sees_an_sdk_when_one_is_imported() -> None:
    # the same probe, on a command that does talk to IBM (and fails fast without a key)
    run = subprocess.run([sys.executable, "-c", PROBE,
                          json.dumps(["check", "--instance", "web-01",
                                      "--endpoint", "http://127.0.0.1:9", "--timeout", "1"])],
                         capture_output=True, text=True, timeout=60, check=False,
                         env={"PATH": "/usr/bin:/bin", "IBMCLOUD_API_KEY": "k" * 20})
    report = json.loads(run.stderr.strip().splitlines()[-1])
    assert "ibm_cloud_sdk_core" in report["modules"]


@pytest.mark.parametrize("command", [["check", "--instance", "web-01"], ["audit"]])
def test_commands_that_call_vpc_do_not_import_the_vpc_sdk(command: list[str]) -> None:
    """ibm_vpc is one module of some 200,000 lines: the VPC calls go through IBM's SDK core
    (iamcheck/ibm/vpc_client.py), so no command imports it (issue 17)."""
    run = subprocess.run([sys.executable, "-c", PROBE,
                          json.dumps([*command, "--endpoint", "http://127.0.0.1:9",
                                      "--timeout", "1"])],
                         capture_output=True, text=True, timeout=60, check=False,
                         env={"PATH": "/usr/bin:/bin", "IBMCLOUD_API_KEY": "k" * 20})
    report = json.loads(run.stderr.strip().splitlines()[-1])
    assert report["code"] == 5  # it did try to reach IBM (nothing listens there)
    assert "ibm_cloud_sdk_core" in report["modules"]
    assert "ibm_vpc" not in report["modules"]


SDK_MODULES = """
import json, sys
import iamcheck.ibm.iam_identity
def services():
    return sorted(m for m in sys.modules if m.startswith("ibm_platform_services."))
loaded = services()
from ibm_platform_services import IamAccessGroupsV2  # the package as IBM ships it, on demand
print(json.dumps({"loaded": loaded, "whole": IamAccessGroupsV2.__module__,
                  "after": len(services())}))
"""


def test_a_service_module_loads_alone_and_the_package_stays_whole() -> None:
    """iamcheck/ibm/_sdk.py: importing one service of IBM's platform-services package does not
    run its `__init__`, which imports all twenty; asking the package for a name still does."""
    run = subprocess.run([sys.executable, "-c", SDK_MODULES], capture_output=True, text=True,
                         timeout=60, check=True)
    report = json.loads(run.stdout)
    assert report["loaded"] == ["ibm_platform_services.common",
                                "ibm_platform_services.iam_identity_v1",
                                "ibm_platform_services.version"], report
    assert report["whole"] == "ibm_platform_services.iam_access_groups_v2"
    assert report["after"] > 15, report  # the package's __init__ ran in full
