"""Fuzz: every route an audit reads, served once with every fault kind the emulator offers
(every field iamcheck reads missing or of the wrong type, truncated, empty, not JSON, not an
object, items repeated, a looping `next`, a 404, a reset). The contract: exit 5 (one line, no
verdict), or the very verdicts of the clean run; never a new allow, never a traceback.

Bounded: one scripted fault per case, on the first answer of one route (`loop` has its own
test: it needs a second page, as a first page cannot point back to itself). The matrix of
fault kinds runs at the reading layer (read_account, then decide_account: an ApiFailure is
what the CLI turns into exit 5); the cases below it run the real `audit` command, and
test_malformed.py holds the command's one-line exit 5 on every route."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from iamcheck.decide import Verdict, decide_account
from iamcheck.emulator import Backend, EmulatorServer
from iamcheck.emulator.seed.generate import Extras, generate
from iamcheck.errors import ExitCode, IamcheckError
from iamcheck.ibm.session import IbmSession
from iamcheck.read.account import read_account
from iamcheck.requirement import load_requirement
from iamcheck.settings import Secret, Settings
from tests.reliability.conftest import AT, Run, Served

# per route, the fields of its answer that iamcheck reads (iamcheck/ibm/validate.py's specs)
ROUTES = {
    "POST /identity/token": ("access_token", "refresh_token", "expiration"),
    "GET /v2/policies": ("policies", "id", "type", "state", "subject", "resource", "attributes",
                         "key", "operator", "value", "control", "grant", "roles", "role_id",
                         "pattern", "rule", "conditions", "next"),
    "GET /v2/roles": ("system_roles", "service_roles", "custom_roles", "crn", "display_name",
                      "actions"),
    "GET /v2/accounts/{account_id}/users": ("resources", "iam_id", "state", "email",
                                            "next_url"),
    "GET /v2/groups": ("groups", "id", "name", "is_federated", "next"),
    "GET /v2/groups/{access_group_id}/members": ("members", "iam_id", "membership_type"),
    "GET /v2/groups/{access_group_id}/rules": ("rules", "id", "realm_name", "conditions",
                                               "claim", "operator", "value"),
    "GET /v2/resource_groups": ("resources", "id", "name"),
    "GET /v1/regions": ("regions", "name", "endpoint"),
    "GET /vpc/{region}/v1/instances": ("instances", "id", "crn", "name", "zone",
                                       "resource_group", "vpc", "status"),
    "POST /v3/resources/search": ("items", "crn", "access_tags"),
    "GET /v2/policies/{id}": ("control", "grant", "roles", "role_id", "actions"),
    "GET /v1/profiles": ("profiles", "id", "iam_id"),
    "GET /v1/serviceids/": ("serviceids", "id", "iam_id"),
    "GET /v1/profiles/{profile_id}/rules": ("rules", "id", "type", "conditions", "claim",
                                            "operator", "value"),
    "GET /v1/profiles/{profile_id}/links": ("links", "cr_type", "link", "crn"),
    "GET /v1/zones/{zone_id}": ("id", "addresses", "type", "value"),
    "GET /v1/rules": ("rules", "id", "enforcement_mode", "contexts", "resources", "attributes",
                      "name", "value", "operations", "api_types", "api_type_id"),
}
# A lean account that still has every field the fuzz names: two pages of policies (for `next`
# and the loop), a dynamic rule, a trusted profile, a CBR rule with its zone; one region.
SEED = generate(users=8, instances=6, groups=4, policies=120, seed=5, regions=1,
                extras=Extras(profiles=1, cbr_rules=1))


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with EmulatorServer(Backend(copy.deepcopy(SEED))) as server:
        yield Served(server, copy.deepcopy(SEED))


@pytest.fixture
def emu(served: Served) -> Iterator[Served]:
    served.load(SEED)
    served.clear_faults()
    yield served
    served.clear_faults()


SHAPES = ("truncated", "empty", "not_json", "not_object", "repeat", "404", "reset")


def kinds(route: str) -> tuple[str, ...]:
    fields = ROUTES[route]
    return SHAPES + tuple(f"missing:{f}" for f in fields) + tuple(f"wrong_type:{f}"
                                                                   for f in fields)


def _audit(emu: Served) -> Run:
    return emu.run("audit", "--format", "json", "--at", AT, "--concurrency", "4")


def _verdicts(run: Run) -> set[tuple[str, str, str]]:
    """(verdict, subject, what) for every subject's instances and scopes: "allow" for what it
    can open, "unknown" for what it may."""
    doc = run.json()
    out: set[tuple[str, str, str]] = set()
    for subject in doc["subjects"]:
        out |= {("allow", subject["iam_id"], json.dumps(x)) for x in subject["can_open"]}
        out |= {("unknown", subject["iam_id"], json.dumps(x)) for x in subject["unknown"]}
    for scope in doc["scopes"]:
        out |= {("allow", who, scope["id"]) for who in scope["holders"]}
        out |= {("unknown", who, scope["id"]) for who in scope["maybe"]}
    return out


REQUIREMENT = load_requirement()


def _decided(emu: Served, case: str) -> str | frozenset[tuple[str, str, str]]:
    """"exit 5" (an ApiFailure: what the CLI ends with exit 5), else every (verdict, subject,
    instance) that is allow or unknown; partial data (a gap) fails the case."""
    session = IbmSession(Settings(Secret(emu.apikey), emu.url, None, concurrency=4))
    try:
        account = read_account(session, emu.seed["account_id"], REQUIREMENT)
    except IamcheckError as err:
        assert err.exit_code == ExitCode.API_FAILURE, (case, err.exit_code, str(err))
        return "exit 5"
    assert not account.gaps, (case, "partial data", account.gaps[:2])
    result = decide_account(account, REQUIREMENT, datetime.fromisoformat(AT))
    return frozenset((v.value, s, i) for v in (Verdict.ALLOW, Verdict.UNKNOWN)
                     for s, i in result.pairs(v))


@pytest.fixture(scope="module")
def clean(served: Served) -> dict[str, Any]:
    served.load(served.seed)
    served.clear_faults()
    with served.backend.lock:
        served.backend.requests.clear()
    run = _audit(served)
    assert run.exit_code == ExitCode.OK, run.stderr
    with served.backend.lock:
        routes = sorted(r for r, n in served.backend.requests.items() if n)
    decided = _decided(served, "clean")
    assert isinstance(decided, frozenset)
    return {"verdicts": _verdicts(run), "routes": routes, "doc": run.json(), "decided": decided}


def _judge(run: Run, clean: dict[str, Any], case: str) -> str:
    assert "Traceback" not in run.stderr, (case, run.stderr)
    if run.exit_code == ExitCode.API_FAILURE:
        assert run.stdout == "", case  # no verdict
        assert len(run.lines) == 1 and run.lines[0].startswith("iamcheck: error: "), \
            (case, run.stderr)
        return "exit 5"
    assert run.exit_code == ExitCode.OK, (case, run.exit_code, run.stderr)
    now = _verdicts(run)
    before = clean["verdicts"]
    gained = sorted(v for v in now - before if v[0] == "allow")
    assert not gained, (case, "new allow", gained[:5])
    assert now == before, (case, "verdicts changed", sorted(now ^ before)[:5])
    return "same"


def test_the_fuzz_covers_every_route_an_audit_reads(clean: dict[str, Any]) -> None:
    assert set(clean["routes"]) == set(ROUTES), clean["routes"]
    assert any(v[0] == "allow" for v in clean["verdicts"])


@pytest.mark.slow
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_fault_kind_on_a_route(emu: Served, clean: dict[str, Any], route: str) -> None:
    outcomes: dict[str, int] = {}
    for kind in kinds(route):
        emu.clear_faults()
        emu.faults(next={route: [kind]})
        case = f"{route} {kind}"
        decided = _decided(emu, case)
        if decided != "exit 5":
            gained = sorted(v for v in decided - clean["decided"] if v[0] == "allow")
            assert not gained, (case, "new allow", gained[:5])
            assert decided == clean["decided"], (case, "verdicts changed",
                                                 sorted(decided ^ clean["decided"])[:5])
        outcome = "exit 5" if decided == "exit 5" else "same"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.get("exit 5", 0) >= len(SHAPES) - 2, outcomes  # the faults were seen


@pytest.mark.parametrize("route", ["GET /v2/policies"])
def test_a_next_link_that_loops_is_exit_5(emu: Served, clean: dict[str, Any], route: str) -> None:
    """Every second page of policies points back to itself: ended, not read forever."""
    emu.faults(next={route: ["loop"] * 20})
    run = _audit(emu)
    assert _judge(run, clean, f"{route} loop") == "exit 5"
    assert "points back to a page already read" in run.stderr
    assert emu.counts()[route] < 10


@pytest.mark.parametrize("route", ["GET /v2/policies", "GET /vpc/{region}/v1/instances",
                                   "GET /v1/regions",
                                   "GET /v2/groups", "GET /v2/accounts/{account_id}/users"])
def test_a_page_served_twice_changes_nothing(emu: Served, clean: dict[str, Any],
                                             route: str) -> None:
    emu.faults(next={route: ["repeat"]})
    run = _audit(emu)
    assert _judge(run, clean, f"{route} repeat") == "same"
    doc = run.json()
    assert len(doc["instances"]) == len(clean["doc"]["instances"])


@pytest.mark.parametrize("field, fault", [
    ("rule", "missing"),  # a time-based pattern without its rule: not "no condition"
    ("state", "missing"),  # a policy without state: not "active"
    ("state", "wrong_type"),
    ("operator", "wrong_type"),
    ("role_id", "wrong_type"),
    ("resource", "missing"),
])
def test_a_broken_policy_answer_names_route_and_field(emu: Served, clean: dict[str, Any],
                                                      field: str, fault: str) -> None:
    emu.faults(next={"GET /v2/policies": [f"{fault}:{field}"]})
    run = _audit(emu)
    assert _judge(run, clean, f"policies {fault}:{field}") == "exit 5"
    assert "GET /v2/policies" in run.stderr and field in run.stderr, run.stderr
