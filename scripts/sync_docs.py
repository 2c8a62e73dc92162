"""Regenerate the parts of README.md that can drift from the code (help texts), and
EMULATED_ENDPOINTS.md. `python scripts/sync_docs.py` writes them; tests/test_docs.py checks them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

from iamcheck.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
HELP_BLOCK = re.compile(
    r"(<!-- help: (?P<cmd>[a-z ]*) -->\n```text\n)(?P<body>.*?)(```\n<!-- /help -->)", re.S
)


def help_text(command: str) -> str:
    args = [*command.split(), "--help"] if command else ["--help"]
    result = CliRunner().invoke(
        app, args, env={"COLUMNS": "100", "TERM": "dumb"}, prog_name="iamcheck"
    )
    if result.exit_code != 0:
        raise RuntimeError(f"iamcheck {command} --help failed: {result.output}")
    return result.stdout


def synced_readme(text: str) -> str:
    return HELP_BLOCK.sub(lambda m: m.group(1) + help_text(m.group("cmd")) + m.group(4), text)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    README.write_text(synced_readme(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
