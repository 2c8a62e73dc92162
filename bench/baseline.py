"""The scripted baseline: what an admin writes today with IBM's official Python SDK.

For every user: their policies and their access groups; for every group found: its policies.
It only reads (it decides nothing), with a pool of threads, every list through the SDK's own
pagers at their largest page (100). It is what iamcheck's audit is compared with.

    IBMCLOUD_API_KEY=... python bench/baseline.py --endpoint URL [--threads 8]

Prints one JSON line: what it read and how many calls it made.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamAccessGroupsV2, IamPolicyManagementV1, UserManagementV1
from ibm_platform_services.iam_access_groups_v2 import AccessGroupsPager
from ibm_platform_services.iam_policy_management_v1 import V2PoliciesPager
from ibm_platform_services.user_management_v1 import UsersPager

PAGE = 100


class Script:
    def __init__(self, endpoint: str, apikey: str) -> None:
        auth = IAMAuthenticator(apikey, url=endpoint)
        self.account = jwt.decode(auth.token_manager.get_token(),
                                  options={"verify_signature": False})["account"]["bss"]
        self.users = UserManagementV1(authenticator=auth)
        self.groups = IamAccessGroupsV2(authenticator=auth)
        self.policies = IamPolicyManagementV1(authenticator=auth)
        for client in (self.users, self.groups, self.policies):
            client.set_service_url(endpoint)
        self.calls = 1  # the token
        self._lock = threading.Lock()

    def _all(self, pager: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while pager.has_next():
            items += pager.get_next()
            with self._lock:
                self.calls += 1
        return items

    def user_list(self) -> list[dict[str, Any]]:
        return self._all(UsersPager(client=self.users, account_id=self.account, limit=PAGE))

    def policies_of(self, **subject: str) -> list[dict[str, Any]]:
        return self._all(V2PoliciesPager(client=self.policies, account_id=self.account,
                                         type="access", limit=PAGE, **subject))

    def groups_of(self, iam_id: str) -> list[dict[str, Any]]:
        return self._all(AccessGroupsPager(client=self.groups, account_id=self.account,
                                           iam_id=iam_id, membership_type="all", limit=PAGE))


def run(endpoint: str, apikey: str, threads: int) -> dict[str, Any]:
    script = Script(endpoint, apikey)
    users = script.user_list()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        own = {u["iam_id"]: pool.submit(script.policies_of, iam_id=u["iam_id"]) for u in users}
        groups = {u["iam_id"]: pool.submit(script.groups_of, u["iam_id"]) for u in users}
        group_ids = sorted({g["id"] for f in groups.values() for g in f.result()})
        theirs = {g: pool.submit(script.policies_of, access_group_id=g) for g in group_ids}
        policies = sum(len(f.result()) for f in own.values())
        policies += sum(len(f.result()) for f in theirs.values())
    return {"users": len(users), "groups": len(group_ids), "policies": policies,
            "calls": script.calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the emulator's base URL")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(run(args.endpoint, os.environ["IBMCLOUD_API_KEY"], args.threads)))


if __name__ == "__main__":
    main()
