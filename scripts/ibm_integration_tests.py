"""Run IBM's own SDK integration tests, unmodified, against `iamcheck emulator serve`.

    python scripts/ibm_integration_tests.py PATH/TO/platform-services-python-sdk [PYTEST-ARGS]
    python scripts/ibm_integration_tests.py --node PATH/TO/platform-services-node-sdk

With --node, PATH is a checkout of IBM/platform-services-node-sdk: its test/integration and
test/resources are copied the same way, and jest (installed there with npm, with the published
@ibm-cloud/platform-services standing in for the checkout's build) runs them.

PATH is a checkout of IBM/platform-services-python-sdk. Its test/integration/test_*.py files for
the emulated services are copied to a temporary folder outside this repository, next to the
`*.env` credentials files they read (URL and API key of the emulator, the demo account's ids),
and run there with pytest; the tests whose endpoints the emulator does not serve are deselected
(EMULATED_ENDPOINTS.md, "IBM's integration tests", says which and why). Nothing of IBM's is
kept. Not part of the test suite: it needs the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from iamcheck.emulator import demo_seed
from iamcheck.emulator.ibm_tests import (
    NODE_OUT_OF_SCOPE,
    NODE_TEST_FILES,
    OUT_OF_SCOPE,
    TEST_FILES,
)


def _service(name: str, url: str, apikey: str, **extra: str) -> str:
    lines = {"URL": url, "AUTH_TYPE": "iam", "APIKEY": apikey, "AUTH_URL": url, **extra}
    return "".join(f"{name}_{key}={value}\n" for key, value in lines.items())


def env_files(url: str, seed: dict[str, Any]) -> dict[str, str]:
    """The credentials files IBM's tests read: the emulator's URL, the owner's key, and the
    demo account's ids where a test asks for one."""
    account, key = seed["account_id"], seed["api_keys"][0]
    user = seed["users"][1]
    group = next(g["id"] for g in seed["access_groups"] if g["id"] != "AccessGroupId-PublicAccess")
    apikey = key["apikey"]
    return {
        "iam_policy_management.env": _service(
            "IAM_POLICY_MANAGEMENT", url, apikey, TEST_ACCOUNT_ID=account,
            TEST_TARGET_ACCOUNT_ID=account),
        "iam_access_groups_v2.env": _service(
            "IAM_ACCESS_GROUPS", url, apikey, TEST_ACCOUNT_ID=account,
            TEST_POLICY_TEMPLATE_ID="none", TEST_ACCOUNT_GROUP_ID="none"),
        "global_search.env": _service("GLOBAL_SEARCH", url, apikey),
        "resource_manager.env": _service(
            "RESOURCE_MANAGER", url, apikey, QUOTA_ID="none", USER_ACCOUNT_ID=account)
            + _service("ALT_RESOURCE_MANAGER", url, apikey),
        "user_management.env": _service(
            "USER_MANAGEMENT", url, apikey, ACCOUNT_ID=account, USER_ID=user["iam_id"],
            MEMBER_EMAIL="invitee@example.com", VIEWER_ROLE_ID="none", ACCESS_GROUP_ID=group)
            + _service("USER_MANAGEMENT_ADMIN", url, apikey),
    }


def _serve() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "iamcheck", "emulator", "serve", "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"base URL: (\S+)", line)
        if found:
            return proc, found.group(1)
    proc.kill()
    raise SystemExit("the emulator did not start")


def _python(checkout: Path, folder: Path, extra: list[str]) -> list[str]:
    source = checkout / "test" / "integration"
    for name in TEST_FILES:
        shutil.copy(source / name, folder / name)
    deselect = [f"--deselect={file}::{test}" for file, tests in OUT_OF_SCOPE.items()
                for test in tests]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *deselect,
            *TEST_FILES, *extra]


def _node(checkout: Path, folder: Path, extra: list[str]) -> list[str]:
    """The tests under folder/test/integration, run from there; the SDK's published package
    is installed as ../../dist, which the tests require."""
    shutil.copytree(checkout / "test" / "integration", folder / "test" / "integration")
    shutil.copytree(checkout / "test" / "resources", folder / "test" / "resources")
    version = json.loads((checkout / "package.json").read_text(encoding="utf-8"))["version"]
    (folder / "package.json").write_text('{"name": "ibm-it", "private": true}', encoding="utf-8")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "jest@29",
                    "dotenv@8", "ibm-cloud-sdk-core@5", f"@ibm-cloud/platform-services@~{version}"
                    if _published(version) else "@ibm-cloud/platform-services"],
                   cwd=folder, check=True)
    (folder / "dist").symlink_to(folder / "node_modules" / "@ibm-cloud" / "platform-services")
    skip = "|".join(f"(?:{pattern})" for pattern in NODE_OUT_OF_SCOPE)
    return [str(folder / "node_modules" / ".bin" / "jest"), "--rootDir=.", "--runInBand",
            "--verbose", f"--testNamePattern=^(?!.*(?:{skip})).*$", *NODE_TEST_FILES, *extra]


def _published(version: str) -> bool:
    found = subprocess.run(["npm", "view", f"@ibm-cloud/platform-services@{version}", "version"],
                           capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", action="store_true", help="run the Node SDK's tests")
    parser.add_argument("checkout", type=Path)
    parser.add_argument("extra", nargs="*", help="more arguments for pytest or jest")
    args = parser.parse_args()
    if not (args.checkout / "test" / "integration").is_dir():
        raise SystemExit(f"{args.checkout}/test/integration is not a folder: give a checkout")
    proc, url = _serve()
    try:
        with tempfile.TemporaryDirectory(prefix="ibm-it-") as work:
            folder = Path(work)
            command = (_node if args.node else _python)(args.checkout.resolve(), folder,
                                                        args.extra)
            where = folder / "test" / "integration" if args.node else folder
            for name, text in env_files(url, demo_seed()).items():
                (where / name).write_text(text, encoding="utf-8")
            env = {k: v for k, v in os.environ.items() if k != "IBM_CREDENTIALS_FILE"}
            return subprocess.run(command, cwd=where, env=env, check=False).returncode
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
