"""EMULATED_ENDPOINTS.md, rendered from the route tables (services.ENDPOINTS, WEBSOCKETS).

    python -m iamcheck.emulator.endpoints_doc            # print the markdown
    python -m iamcheck.emulator.endpoints_doc --write    # rewrite EMULATED_ENDPOINTS.md
    python -m iamcheck.emulator.endpoints_doc --check    # exit 1 when the file is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from starlette.routing import BaseRoute

from iamcheck.emulator.routing import Endpoint

DEFAULT_PATH = Path("EMULATED_ENDPOINTS.md")
HEADER = """# Emulated endpoints

Generated from the emulator's route tables by `python -m iamcheck.emulator.endpoints_doc --write`;
do not edit by hand. Paths are relative to the emulator's base URL. "IBM" marks an emulated IBM
endpoint (counted, delayed and subject to injected faults); the others are the emulator's own.

Reads answer each caller with what it may read (`backend/visibility.py`); writes to policies and
access groups need IBM's roles (`backend/write_authz.py`), else IBM's 403. Tokens hold only for
the account they were issued in. Every error comes in its service's IBM shape (platform
`errors[]` with `trace` and `status_code`; VPC's with `more_info` and `target`; the token
service's `errorCode`), unknown paths, wrong methods and trailing slashes included, never a
redirect. The control API (`/_emulator/...`) needs the `X-Emulator-Secret` header that
`iamcheck emulator serve` prints; a loopback client may omit it unless `serve` is bound to
another address (it then warns).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(endpoints: Iterable[Endpoint], websockets: Sequence[BaseRoute] = ()) -> str:
    lines = [HEADER, "| API | Method | Path | Summary | Token | IBM |", "|---|---|---|---|---|---|"]
    for ep in endpoints:
        lines.append(
            f"| {_cell(ep.api)} | {ep.method} | `{ep.path}` | {_cell(ep.summary)} "
            f"| {'yes' if ep.auth else 'no'} | {'yes' if ep.ibm else 'no'} |"
        )
    if websockets:
        lines += ["", "## WebSocket routes", "", "| Path | Summary |", "|---|---|"]
        for route in websockets:
            path = getattr(route, "path", "?")
            doc = (getattr(getattr(route, "endpoint", None), "__doc__", None) or "").strip()
            lines.append(f"| `{path}` | {_cell(doc.splitlines()[0] if doc else '')} |")
    lines += _guesses() + _ibm_tests()
    return "\n".join(lines) + "\n"


def _guesses() -> list[str]:
    from iamcheck.emulator.backend.guesses import CHOICES, NOTES

    lines = ["", "## Guesses", "",
             "Where IBM's material does not settle a behaviour, the emulator takes the first "
             "alternative and can be set to each other one (`POST /_emulator/config`, or the "
             "seed's `guesses` object), so a client can be tested against both.", "",
             "| Setting | Alternatives (default first) | Why it is a guess |", "|---|---|---|"]
    for key, (choices, why) in CHOICES.items():
        lines.append(f"| `{key}` | {', '.join(f'`{c}`' for c in choices)} | {_cell(why)} |")
    lines += ["", "Also guessed, without a setting:", ""]
    lines += [f"- {what}: {why}" for what, why in NOTES.items()]
    return lines


def _ibm_tests() -> list[str]:
    from iamcheck.emulator.ibm_tests import (
        NODE_OUT_OF_SCOPE,
        NODE_TEST_FILES,
        OUT_OF_SCOPE,
        OUT_OF_SCOPE_FILES,
        TEST_FILES,
    )

    lines = ["", "## IBM's integration tests", "",
             "`scripts/ibm_integration_tests.py CHECKOUT` runs these files of "
             "IBM/platform-services-python-sdk `test/integration`, unmodified, against "
             "`iamcheck emulator serve`: " + ", ".join(f"`{f}`" for f in TEST_FILES)
             + ". Every test is expected to pass except these, which need endpoints the "
             "emulator does not serve:", "", "| Test | Why it is out of scope |", "|---|---|"]
    for file, tests in OUT_OF_SCOPE.items():
        reasons: dict[str, list[str]] = {}
        for test, why in tests.items():
            reasons.setdefault(why, []).append(test.rsplit("::", 1)[-1])
        for why, names in reasons.items():
            shown = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]} ({len(names)})"
            lines.append(f"| `{file}` {_cell(shown)} | {_cell(why)} |")
    for file, why in OUT_OF_SCOPE_FILES.items():
        lines.append(f"| `{file}` (all) | {_cell(why)} |")
    lines += ["", "`scripts/ibm_node_integration_tests.py CHECKOUT` does the same with "
              "IBM/platform-services-node-sdk `test/integration` (jest, against the published "
              "`@ibm-cloud/platform-services`): " + ", ".join(f"`{f}`" for f in NODE_TEST_FILES)
              + "; out of scope are the tests whose full names match:", "",
              "| Test names (regular expression) | Why it is out of scope |", "|---|---|"]
    for pattern, why in NODE_OUT_OF_SCOPE.items():
        lines.append(f"| `{_cell(pattern)}` | {_cell(why)} |")
    return lines


def current() -> str:
    """The document for the route tables as they are now."""
    from iamcheck.emulator.services import ENDPOINTS, WEBSOCKETS

    return render(ENDPOINTS, WEBSOCKETS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iamcheck.emulator.endpoints_doc",
                                     description="Render EMULATED_ENDPOINTS.md.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", nargs="?", const=DEFAULT_PATH, type=Path, metavar="PATH",
                      help="write the document (default: ./EMULATED_ENDPOINTS.md)")
    mode.add_argument("--check", nargs="?", const=DEFAULT_PATH, type=Path, metavar="PATH",
                      help="exit 1 when the document differs from the route tables")
    args = parser.parse_args(argv)
    text = current()
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8")
    elif args.check is not None:
        on_disk = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if on_disk != text:
            print(f"{args.check} is stale: run python -m iamcheck.emulator.endpoints_doc --write",
                  file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
