"""The emulator against iamcheck on trusted profiles and CBR rules (P5, G1), on generated
accounts with the generator's profiles, logins and CBR extras, read over HTTP by iamcheck's own
readers (IamIdentityV1, ContextBasedRestrictionsV1).

Two independent implementations: the emulator's (console authorization, the assume grant, CBR
enforcement on the console token) and iamcheck's (read/, decide/). Compared:
- a profile as a subject: wherever iamcheck says allow or deny, the emulator agrees;
- a user, with the claims of their seeded sign-in given as --claims would: allow means the
  user's own token or a profile they may assume by a claim rule opens the console, deny means
  neither does;
- CBR: every refusal of a console token from loopback is by an enforcing rule iamcheck names
  on that instance, and an instance where iamcheck names no enforcing rule is never refused.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from iamcheck.claims import parse_claims
from iamcheck.decide import Verdict, covering_rules, decide
from iamcheck.emulator.backend.authz import _may_sign_in, may_open_console
from iamcheck.emulator.backend.cbr_enforcement import enforce_cbr
from iamcheck.emulator.backend.claims import rule_matches
from iamcheck.emulator.backend.vpc import VpcError
from iamcheck.emulator.seed.generate import Extras, generate
from iamcheck.model import AccountData, Claims
from iamcheck.read.account import read_account
from iamcheck.requirement import load_requirement
from tests.conftest import Emulator, session_for

ACCOUNTS = 12
REQ = load_requirement()
LOOPBACK = "127.0.0.1"


def _seed(number: int) -> dict[str, Any]:
    return generate(users=14, instances=6, groups=4, policies=24, seed=700 + number, regions=2,
                    extras=Extras(login_claims=0.7, profiles=4, cbr_rules=5))


def _claims(seed: dict[str, Any]) -> Claims:
    """What --claims would say: each user's seeded sign-in; no IdP for everyone else."""
    given: dict[str, Any] = {u["iam_id"]: u["login"] for u in seed["users"] if u.get("login")}
    given["*"] = {"realm": None, "claims": {}}
    return parse_claims(json.dumps(given))


def _user_truth(emu: Emulator, seed: dict[str, Any], iam_id: str, record: dict[str, Any],
                at: datetime) -> bool:
    backend = emu.backend
    if may_open_console(backend, iam_id, record, at):
        return True
    if not _may_sign_in(backend, iam_id):  # no token of their own: no profile either
        return False
    login = next((u.get("login") for u in seed["users"] if u["iam_id"] == iam_id), None)
    return any(may_open_console(backend, p.iam_id, record, at)
               for p in backend.profiles.profiles.values()
               if any(r.get("type") == "Profile-SAML" and rule_matches(r, login)
                      for r in p.rules.values()))


def _compare(emu: Emulator, number: int, tally: Counter[str]) -> list[str]:
    seed = _seed(number)
    emu.load(seed)
    session = session_for(emu, apikey=seed["api_keys"][0]["apikey"])
    account: AccountData = read_account(session, session.caller().account_id, "is")
    assert not account.layer_gaps, account.layer_gaps  # the administrator reads every layer
    assert len(account.profiles) == len(seed.get("trusted_profiles", []))
    at = datetime.now(UTC)
    claims = _claims(seed)
    wrong: list[str] = []
    for instance in account.instances:
        record = emu.backend.vpc.instance(instance.region, instance.id)
        for profile in account.profiles:
            verdict = decide(account, REQ, profile.iam_id, instance, at).verdict
            tally["profile " + verdict.value] += 1
            if verdict is not Verdict.UNKNOWN and (verdict is Verdict.ALLOW) != \
                    may_open_console(emu.backend, profile.iam_id, record, at):
                wrong.append(f"account {number}: profile {profile.name} on {instance.id}: "
                             f"iamcheck {verdict.value}")
        for user in account.users:
            verdict = decide(account, REQ, user.iam_id, instance, at, claims=claims).verdict
            tally["user " + verdict.value] += 1
            if verdict is not Verdict.UNKNOWN and (verdict is Verdict.ALLOW) != \
                    _user_truth(emu, seed, user.iam_id, record, at):
                wrong.append(f"account {number}: user {user.iam_id} on {instance.id}: "
                             f"iamcheck {verdict.value}")
        named = [r for r in covering_rules(account.cbr_rules, account.cbr_zones, instance,
                                           account.account_id) if r.enforced]
        try:
            enforce_cbr(emu.backend, record, LOOPBACK)
        except VpcError as err:
            tally["cbr refused"] += 1
            if not any(r.rule_id in str(err) for r in named):
                wrong.append(f"account {number}: {instance.id} refused ({err}), iamcheck names "
                             f"{[r.rule_id for r in named]}")
        else:
            tally["cbr let through"] += 1
        tally["cbr named"] += bool(named)
    return wrong


def test_emulator_agrees_with_the_evaluator_on_profiles_and_cbr(emulator: Emulator) -> None:
    tally: Counter[str] = Counter()
    wrong = [w for number in range(ACCOUNTS) for w in _compare(emulator, number, tally)]
    assert not wrong, f"{len(wrong)} disagreements, e.g.\n" + "\n".join(wrong[:10])
    # the comparison means something only if every answer occurs
    for key in ("profile allow", "profile deny", "user allow", "user deny", "cbr refused",
                "cbr let through"):
        assert tally[key] >= 3, tally
