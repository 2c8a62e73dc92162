"""Run IBM's own Python SDK integration tests, unmodified, against `iamcheck emulator serve`.

    python scripts/ibm_integration_tests.py PATH/TO/platform-services-python-sdk [-- PYTEST-ARGS]

PATH is a checkout of IBM/platform-services-python-sdk. Its test/integration/test_*.py files for
the emulated services are copied to a temporary folder outside this repository, next to the
`*.env` credentials files they read (URL and API key of the emulator, the demo account's ids),
and run there with pytest; the tests whose endpoints the emulator does not serve are deselected
(EMULATED_ENDPOINTS.md, "IBM's integration tests", says which and why). Nothing of IBM's is
kept. Not part of the test suite: it needs the checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from iamcheck.emulator import demo_seed
from iamcheck.emulator.ibm_tests import OUT_OF_SCOPE, TEST_FILES


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    source = args.checkout / "test" / "integration"
    if not source.is_dir():
        raise SystemExit(f"{source} is not a folder: give a checkout of the SDK")
    proc, url = _serve()
    try:
        with tempfile.TemporaryDirectory(prefix="ibm-it-") as work:
            folder = Path(work)
            for name in TEST_FILES:
                shutil.copy(source / name, folder / name)
            for name, text in env_files(url, demo_seed()).items():
                (folder / name).write_text(text, encoding="utf-8")
            deselect = [f"--deselect={file}::{test}" for file, tests in OUT_OF_SCOPE.items()
                        for test in tests]
            env = {k: v for k, v in os.environ.items() if k != "IBM_CREDENTIALS_FILE"}
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
                 *deselect, *TEST_FILES, *args.pytest_args],
                cwd=folder, env=env, check=False)
            return run.returncode
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
