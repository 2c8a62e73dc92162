"""Bad values at every entry point: emails, IAM IDs, instance ids, names and CRNs, times,
durations, options (bad files: test_bad_files.py). Each ends with exit 2 and one line that
names the culprit: never a traceback, never a verdict, no IBM call it does not need."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamcheck.errors import BadInput, ExitCode
from iamcheck.inputs import crn_location, duration, instance_ref, instant, user_ref
from tests.reliability.conftest import AT, Served, assert_bad_input, invoke

FEW = settings(max_examples=150, deadline=None)
CLI = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=300)


# --- the parsers, over arbitrary text ----------------------------------------------------


def _one_line_or_value(parse: object, text: str, option: str) -> None:
    try:
        parse(text)  # type: ignore[operator]
    except BadInput as err:
        message = str(err)
        assert message.startswith(option) and "\n" not in message and len(message) < 400


@FEW
@given(PRINTABLE)
def test_user_refs_are_parsed_or_refused_in_one_line(text: str) -> None:
    _one_line_or_value(user_ref, text, "--user")


@FEW
@given(PRINTABLE | st.from_regex(
    r"crn:v1:[a-z]+:public:is:[a-z0-9-]+:a/[0-9a-f]{1,40}::instance:[0-9a-z_-]*", fullmatch=True))
def test_instance_refs_are_parsed_or_refused_in_one_line(text: str) -> None:
    _one_line_or_value(instance_ref, text, "--instance")


@FEW
@given(PRINTABLE | st.datetimes().map(lambda d: d.isoformat()) | st.from_regex(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?", fullmatch=True))
def test_times_are_parsed_or_refused_in_one_line(text: str) -> None:
    _one_line_or_value(instant, text, "--at")


@FEW
@given(PRINTABLE | st.from_regex(r"(\d{1,4}d)?(\d{1,4}h)?(\d{1,5}m)?", fullmatch=True))
def test_durations_are_parsed_or_refused_in_one_line(text: str) -> None:
    _one_line_or_value(duration, text, "--ttl")


def test_a_huge_duration_is_refused() -> None:
    with pytest.raises(BadInput, match="--ttl"):
        duration("99999999999999999999d")


def test_control_characters_stay_on_one_line() -> None:
    with pytest.raises(BadInput) as info:
        user_ref("ana\n@example.com\x1b[2J")
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_valid_inputs_are_accepted() -> None:
    assert user_ref(" Ana.Example+ops@Example.COM ").kind == "email"
    assert user_ref("IBMid-270000ABCD").kind == "iam_id"
    assert user_ref("iam-ServiceId-12345678-aaaa").kind == "iam_id"
    assert instance_ref("0717_a07657d6-1404-4b1e-ac7c-6d812d6f2efc").kind == "id"
    assert instance_ref("web-01").kind == "name"
    crn = "crn:v1:bluemix:public:is:eu-de-2:a/" + "0" * 32 + "::instance:02b7_" + "a" * 20
    assert instance_ref(crn).kind == "crn"
    assert crn_location(crn) == ("eu-de", "02b7_" + "a" * 20)  # InstanceRef.region was dead
    assert instant("2026-12-24T18:00:00Z").utcoffset() is not None
    assert duration("1d12h").total_seconds() == 36 * 3600


# --- the command line --------------------------------------------------------------------

BAD_VALUES = [
    (("--user", "not-an-email@"), "--user"),
    (("--user", "ana@@example.com"), "--user"),
    (("--user", "a" * 65 + "@example.com"), "--user"),
    (("--user", "IBMid"), "--user"),
    (("--user", ""), "--user"),
    (("--instance", "crn:v1:bluemix:public:is:us-south-1:a/xyz::instance:1"), "--instance"),
    (("--instance", "crn:v1:bluemix:public:iam::::role:Viewer"), "--instance"),
    (("--instance", "Web_01!"), "--instance"),
    (("--instance", "x" * 70), "--instance"),
    (("--at", "tomorrow"), "--at"),
    (("--at", "2026-01-01T10:00:00"), "offset"),
    (("--at", "2026-02-30T10:00:00Z"), "--at"),
    (("--at", "99999-01-01T00:00:00Z"), "--at"),
]


@pytest.mark.parametrize("args, culprit", BAD_VALUES)
def test_check_refuses_bad_values_before_any_call(
    emu: Served, args: tuple[str, ...], culprit: str
) -> None:
    base = {"--user": "ana@example.com", "--instance": "web-01", "--at": AT}
    base[args[0]] = args[1]
    run = emu.run("check", *(x for pair in base.items() for x in pair))
    assert_bad_input(run, culprit)
    assert emu.counts() == {}


@pytest.mark.parametrize("args, culprit", BAD_VALUES)
def test_audit_refuses_bad_values_before_any_call(
    emu: Served, args: tuple[str, ...], culprit: str
) -> None:
    assert_bad_input(emu.run("audit", *args), culprit)
    assert emu.counts() == {}


@pytest.mark.parametrize(
    "args, culprit",
    [
        (("ana@", "--instance", "web-01", "--yes"), "ana@"),
        (("ana@example.com", "--instance", "crn:v1:x", "--yes"), "--instance"),
        (("ana@example.com", "--instance", "web-01", "--ttl", "soon", "--yes"), "--ttl"),
        (("ana@example.com", "--instance", "web-01", "--ttl", "0m", "--yes"), "--ttl"),
        (("ana@example.com", "--instance", "web-01", "--ttl", "400d", "--yes"), "--ttl"),
        (("ana@example.com", "--instance", "web-01", "--until", "noon", "--yes"), "--until"),
    ],
)
def test_grant_refuses_bad_values(emu: Served, args: tuple[str, ...], culprit: str) -> None:
    run = emu.run("grant", *args)
    # the daylight-saving warning of --ttl/--until is a second, expected line
    run.stderr = "\n".join(line for line in run.lines if "warning:" not in line)
    assert_bad_input(run, culprit)
    assert not any(route.startswith("POST") and "token" not in route for route in emu.counts())


@pytest.mark.parametrize("instance", ["Web_01!", "crn:v1:bluemix:public:is::a/x::instance:y"])
def test_console_refuses_bad_instances(emu: Served, instance: str) -> None:
    assert_bad_input(emu.run("console", instance, "--preflight-only"), "instance")
    assert emu.counts() == {}


def test_unknown_people_and_instances_are_named(emu: Served) -> None:
    user, instance = emu.seed["users"][0]["email"], emu.seed["instances"][0]["name"]
    run = emu.run("check", "--user", "nobody@example.com", "--instance", instance, "--at", AT)
    assert_bad_input(run, "nobody@example.com")
    run = emu.run("check", "--user", user, "--instance", "no-such-vm", "--at", AT)
    assert_bad_input(run, "no-such-vm")
    assert_bad_input(emu.run("audit", "--resource-group", "nowhere"), "nowhere")
    assert_bad_input(emu.run("audit", "--access-group", "no-such-group"), "no-such-group")


@CLI
@given(PRINTABLE.filter(lambda t: not t.startswith("-")))
def test_any_user_text_is_a_value_or_one_line(served: Served, text: str) -> None:
    run = invoke("check", "--user", text, "--instance", "crn:bad", "--at", AT,
                 env=served.env())
    assert_bad_input(run, "--")


@pytest.mark.parametrize(
    "args, option",
    [
        (("--concurrency", "0"), "--concurrency"),
        (("--concurrency", "lots"), "--concurrency"),
        (("--timeout", "0.1"), "--timeout"),
        (("--format", "xml"), "--format"),
        (("--apikey", "x"), "--apikey"),
    ],
)
def test_option_errors_name_the_option(emu: Served, args: tuple[str, ...], option: str) -> None:
    run = emu.run("audit", *args)
    assert run.exit_code == ExitCode.BAD_INPUT and run.stdout == ""
    assert "Traceback" not in run.stderr and option in run.stderr
    assert emu.counts() == {}
