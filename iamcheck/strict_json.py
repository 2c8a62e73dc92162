"""Strict JSON for local files (--expect, --from-snapshot) and for IBM's answers.

The standard parser accepts what iamcheck must not: NaN and Infinity, duplicate keys (the
last one silently wins), integers of thousands of digits (ValueError past 4,300, slow before),
`1e999` as infinity, nesting until RecursionError, and lone surrogates that break printing
later. `loads` refuses each of them with `JsonRefused`, naming where; `load_file` turns that
into BadInput naming the file (exit 2), `parse_answer` into MalformedAnswer naming the route
(exit 5).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from iamcheck import local_file
from iamcheck.errors import ApiFailure, BadInput, printable

MAX_INT_DIGITS = 100
MAX_NUMBER_CHARS = 400
MAX_DEPTH = 64
MAX_FILE_BYTES = 64 * 1024 * 1024
READ_TIMEOUT = 10.0  # seconds to wait on a pipe that sends nothing

_SURROGATE = re.compile(r"[\ud800-\udfff]")


class JsonRefused(ValueError):
    """Text that is not strict JSON; `str()` is one line saying what and where."""


class MalformedAnswer(ApiFailure):
    """An IBM answer that is not strict JSON: exit 5, no verdict."""


class _Refuse(Exception):
    """Raised inside the parser's hooks; never leaves this module."""


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refuse(f"an integer of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refuse(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise _Refuse(f"a number out of range ({text[:40]})")
    return value


def _parse_constant(name: str) -> Any:
    raise _Refuse(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refuse(f"duplicate key '{printable(key[:80])}'")
        out[key] = value
    return out


def _where(path: list[str | int]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{printable(p[:40])}"
                         for p in path)


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth and lone surrogates, without recursion (the tree may be deep)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (dict, list)) and len(path) >= max_depth:
            raise JsonRefused(f"nested deeper than {max_depth} levels at {_where(path[:8])}...")
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise JsonRefused(f"a lone surrogate (\\ud800-\\udfff) at {_where(path)}")
        elif isinstance(node, dict):
            for key, item in node.items():
                if _SURROGATE.search(key):
                    raise JsonRefused(f"a lone surrogate in a key at {_where(path)}")
                stack.append((item, [*path, key]))
        elif isinstance(node, list):
            stack.extend((item, [*path, i]) for i, item in enumerate(node))


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse strict JSON; JsonRefused (one line) for anything else. A UTF-8 BOM is dropped."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise JsonRefused(f"not UTF-8 (byte {err.start})") from None
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _Refuse as err:
        raise JsonRefused(str(err)) from None
    except json.JSONDecodeError as err:
        raise JsonRefused(f"not JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    _check_tree(value, max_depth)
    return value


def parse_answer(text: str | bytes, route: str) -> Any:
    """An IBM answer: MalformedAnswer (exit 5) naming the route when it is not strict JSON."""
    try:
        return loads(text)
    except JsonRefused as err:
        raise MalformedAnswer(f"{route}: the answer cannot be read: {err}") from None


def read_bounded(path: str | Path, option: str, max_bytes: int = MAX_FILE_BYTES,
                 timeout: float = READ_TIMEOUT) -> bytes:
    """The bytes of a local file or a pipe the user gave (see `local_file.read_bounded`)."""
    return local_file.read_bounded(path, option, max_bytes, timeout)[0]


def load_file(path: str | Path, option: str, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """A local JSON file (--expect, --from-snapshot): BadInput naming the file, one line."""
    data = read_bounded(path, option, max_bytes)
    try:
        return loads(data)
    except JsonRefused as err:
        raise BadInput(f"{option} {printable(str(path)[:200])}: {err}") from None
