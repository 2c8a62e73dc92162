"""audit and check agree on every pair they both decide, on generated accounts over HTTP."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from iamcheck.check.run import run_check
from iamcheck.decide import Verdict, decide_account
from iamcheck.emulator.seed.generate import generate
from iamcheck.inputs import instance_ref, user_ref
from iamcheck.read.account import read_account
from iamcheck.requirement import load_requirement
from tests.conftest import Emulator, session_for

AT = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_audit_and_check_agree_on_generated_accounts(emulator: Emulator, seed: int) -> None:
    data = generate(users=30, instances=24, groups=8, policies=90, seed=seed, regions=3)
    emulator.load(data)
    session = session_for(emulator, apikey=data["api_keys"][0]["apikey"])
    requirement = load_requirement()
    account = read_account(session, data["account_id"], requirement.service)
    result = decide_account(account, requirement, AT)
    pairs = list(result.pairs(Verdict.ALLOW)) + list(result.pairs(Verdict.UNKNOWN))
    denied = list(result.pairs(Verdict.DENY))
    random.Random(seed).shuffle(denied)
    pairs = pairs[:40] + denied[:20]
    assert pairs
    for subject, instance in pairs:
        got = run_check(session, requirement, user_ref(subject), instance_ref(instance), AT)
        assert got.decision.verdict is result.verdict(subject, instance), (subject, instance)
