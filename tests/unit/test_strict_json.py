"""Strict JSON: what the standard parser accepts and iamcheck must refuse, as one-line errors."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iamcheck.errors import ApiFailure, BadInput, ExitCode
from iamcheck.strict_json import (
    MAX_DEPTH,
    JsonRefused,
    MalformedAnswer,
    load_file,
    loads,
    parse_answer,
    read_bounded,
)

REFUSED = [
    ("1" * 101, "integer of 101 digits"),
    ("[" + "9" * 5000 + "]", "integer of 5000 digits"),  # past Python's 4,300-digit limit
    ('{"n": -' + "1" * 200 + "}", "integer of 200 digits"),
    ("[NaN]", "NaN is not JSON"),
    ('{"x": Infinity}', "Infinity is not JSON"),
    ("[-Infinity]", "-Infinity is not JSON"),
    ("[1e999]", "out of range"),
    ("[0." + "1" * 500 + "]", "number of 502 characters"),
    ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ('{"outer": {"k": 1, "k": 1}}', "duplicate key 'k'"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH}"),
    ("[" * 100_000, "deeper than"),  # RecursionError in the standard parser
    ("[" * 100_000 + "]" * 100_000, "deeper than"),
    ('["\\ud800"]', "lone surrogate"),
    ('{"\\udfff": 1}', "lone surrogate in a key"),
    ('{"a": 1', "not JSON (line 1"),
    ("", "not JSON"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_with_a_one_line_reason(text: str, reason: str) -> None:
    with pytest.raises(JsonRefused) as err:
        loads(text)
    message = str(err.value)
    assert "\n" not in message and len(message) < 300
    assert reason in message


@pytest.mark.parametrize(("text", "value"), [
    ('\ufeff{"a": 1}', {"a": 1}),
    ('{"n": ' + "9" * 100 + "}", {"n": int("9" * 100)}),
    ("[1.5, -0, 2e10]", [1.5, 0, 2e10]),
    ('{"a": {"b": [null, true, "x\\u00e9"]}}', {"a": {"b": [None, True, "xé"]}}),
    ("[" * MAX_DEPTH + "]" * MAX_DEPTH, json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)),
])
def test_accepted(text: str, value: object) -> None:
    assert loads(text) == value


def test_bytes_with_bom_and_bad_utf8() -> None:
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    with pytest.raises(JsonRefused, match="not UTF-8"):
        loads(b'{"a": "\xff"}')


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**50), 10**50)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(alphabet=st.characters(
        blacklist_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
                      children, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_any_ordinary_json_reads_as_the_standard_parser_reads_it(value: object) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)


@given(st.text(max_size=200))
def test_any_text_is_a_value_or_json_refused(text: str) -> None:
    try:
        loads(text)
    except JsonRefused as err:
        assert "\n" not in str(err)


def test_answer_error_is_exit_5_naming_the_route() -> None:
    with pytest.raises(MalformedAnswer) as err:
        parse_answer('{"access_token": ' + "7" * 4301 + "}", "POST /identity/token")
    assert isinstance(err.value, ApiFailure)
    assert err.value.exit_code == ExitCode.API_FAILURE
    assert str(err.value).startswith("POST /identity/token: the answer cannot be read")
    assert "7777" not in str(err.value)


def test_local_file_error_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "expect.json"
    path.write_text('{"subjects": [' + "1" * 5000 + "]}")
    with pytest.raises(BadInput) as err:
        load_file(path, "--expect")
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert str(err.value).startswith(f"--expect {path}: an integer of 5000 digits")


def test_local_file_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "expect.json"
    path.write_bytes(b'\xef\xbb\xbf{"version": 1}')
    assert load_file(path, "--expect") == {"version": 1}


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        load_file(tmp_path / "missing.json", "--expect")
    with pytest.raises(BadInput, match="is a directory"):
        load_file(tmp_path, "--expect")


def test_dev_zero_is_bounded() -> None:
    with pytest.raises(BadInput, match="larger than 4 KiB"):
        read_bounded("/dev/zero", "--apikey-file", max_bytes=4096)


def test_large_regular_file_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text("[" + "1," * 5000 + "1]")
    with pytest.raises(BadInput, match="larger than 1000 bytes"):
        load_file(path, "--from-snapshot", max_bytes=1000)


def test_fifo_with_no_writer_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(BadInput, match=r"sent nothing within 0\.3 s"):
        read_bounded(fifo, "--expect", timeout=0.3)
    assert time.monotonic() - started < 3


def test_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.2)  # the reader is already waiting
        with open(fifo, "w") as out:
            out.write('{"from": "pipe"}')

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert loads(read_bounded(fifo, "--expect", timeout=5)) == {"from": "pipe"}
    writer.join(5)
