"""Load: eight audits and eight checks at once, each its own process, against one emulator,
all with the verdicts of a sequential run; and the emulator stays correct under concurrent
policy creates (no policy lost or doubled: identical creates give one 201, the rest 409)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_platform_services import IamPolicyManagementV1
from ibm_platform_services.iam_policy_management_v1 import (
    Control,
    Grant,
    Roles,
    V2PolicyResource,
    V2PolicyResourceAttribute,
    V2PolicySubject,
    V2PolicySubjectAttribute,
)

from iamcheck.errors import ExitCode
from tests.reliability.conftest import AT, Served, verdict_pairs

OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"


def _start(emu: Served, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **emu.env()}
    env.pop("IAMCHECK_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "iamcheck", *args, "--at", AT, "--format", "json",
         "--concurrency", "4"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any]]:
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    doc: dict[str, Any] = json.loads(out) if out else {"stderr": err}
    doc.pop("read_at", None)
    doc.pop("evaluated_at", None)
    return proc.returncode, doc


def _sequential(emu: Served, *args: str) -> tuple[int, dict[str, Any]]:
    """The same command, alone and in-process: the reference."""
    run = emu.run(*args, "--at", AT, "--format", "json", "--concurrency", "4")
    doc: dict[str, Any] = run.json()
    doc.pop("read_at", None)
    doc.pop("evaluated_at", None)
    return run.exit_code, doc


def test_eight_audits_and_eight_checks_at_once(emu: Served) -> None:
    pairs = verdict_pairs(emu, per_verdict=4)[:8]
    assert len(pairs) == 8 and {"allow", "deny"} <= {v for *_, v in pairs}
    checks = [("check", "--user", user, "--instance", instance) for user, instance, _ in pairs]
    expected_audit = _sequential(emu, "audit")
    expected_checks = [_sequential(emu, *args) for args in checks]
    assert expected_audit[0] == ExitCode.OK
    assert [doc["verdict"] for _, doc in expected_checks] == [v for *_, v in pairs]

    emu.load(emu.seed)
    procs = [_start(emu, "audit") for _ in range(8)] + [_start(emu, *args) for args in checks]
    results = [_finish(proc) for proc in procs]
    assert results[:8] == [expected_audit] * 8
    assert results[8:] == expected_checks
    assert emu.counts()["GET /v2/policies"] >= 8 * 2  # they all did read


def _policy(account: str, subject: str, instance: str, roles: list[str]) -> dict[str, Any]:
    return {
        "type": "access",
        "subject": V2PolicySubject(attributes=[V2PolicySubjectAttribute(
            key="iam_id", operator="stringEquals", value=subject)]),
        "resource": V2PolicyResource(attributes=[
            V2PolicyResourceAttribute(key="accountId", operator="stringEquals", value=account),
            V2PolicyResourceAttribute(key="serviceName", operator="stringEquals", value="is"),
            V2PolicyResourceAttribute(key="instanceId", operator="stringEquals",
                                      value=instance),
        ]),
        "control": Control(grant=Grant(roles=[Roles(role_id=r) for r in roles])),
    }


def test_concurrent_creates_lose_and_double_nothing(emu: Served) -> None:
    account = emu.seed["account_id"]
    users = [u["iam_id"] for u in emu.seed["users"][:4]]
    instances = [i["id"] for i in emu.seed["instances"][:4]]
    # 4 distinct policies, each sent 4 times, from 16 threads at once
    bodies = [_policy(account, users[n % 4], instances[n % 4], [OPERATOR, CONSOLE])
              for n in range(16)]
    client = IamPolicyManagementV1(authenticator=IAMAuthenticator(emu.apikey, url=emu.url))
    client.set_service_url(emu.url)
    before = _active_ids(client, account)

    def create(body: dict[str, Any]) -> tuple[int, str]:
        try:
            answer = client.create_v2_policy(**body)
            return answer.get_status_code(), answer.get_result()["id"]
        except ApiException as err:
            return err.status_code, err.http_response.json()["errors"][0]["code"]

    client.authenticator.token_manager.get_token()  # one sign-in, before the race
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(create, bodies))
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 4, 409: 12}, answers
    assert {code for status, code in answers if status == 409} == {"policy_conflict_error"}
    created = {ident for status, ident in answers if status == 201}
    after = _active_ids(client, account)
    assert after - before == created and before <= after and len(after) == len(before) + 4


def _active_ids(client: IamPolicyManagementV1, account: str) -> set[str]:
    ids: list[str] = []
    start = None
    while True:
        page = client.list_v2_policies(account_id=account, state="active", limit=100,
                                       start=start).get_result()
        ids += [p["id"] for p in page["policies"]]
        start = (page.get("next") or {}).get("start")
        if not start:
            assert len(ids) == len(set(ids))
            return set(ids)
