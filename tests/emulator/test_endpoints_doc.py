"""EMULATED_ENDPOINTS.md must be what the route tables render."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response

from iamcheck.emulator import endpoints_doc
from iamcheck.emulator.routing import Endpoint
from iamcheck.emulator.services import ENDPOINTS

DOC = Path(__file__).resolve().parents[2] / "EMULATED_ENDPOINTS.md"


async def _handler(request: Request) -> Response:  # never called: only rendered
    raise AssertionError


def test_committed_document_matches_the_route_tables() -> None:
    assert DOC.read_text(encoding="utf-8") == endpoints_doc.current(), (
        "EMULATED_ENDPOINTS.md is stale: run python -m iamcheck.emulator.endpoints_doc --write"
    )


def test_every_endpoint_has_one_row() -> None:
    text = endpoints_doc.current()
    for ep in ENDPOINTS:
        rows = [line for line in text.splitlines()
                if f"| {ep.method} | `{ep.path}` |" in line]
        assert len(rows) == 1, ep.name
        assert rows[0].startswith(f"| {ep.api} |")
        assert rows[0].endswith(f"| {'yes' if ep.auth else 'no'} | {'yes' if ep.ibm else 'no'} |")


def test_render_escapes_and_marks_token_need() -> None:
    text = endpoints_doc.render([
        Endpoint("Demo", "GET", "/v1/things/{id}", _handler, "Get a | thing"),
        Endpoint("Demo", "POST", "/_ctl", _handler, "Control", auth=False, ibm=False),
    ])
    assert "| Demo | GET | `/v1/things/{id}` | Get a \\| thing | yes | yes |" in text
    assert "| Demo | POST | `/_ctl` | Control | no | no |" in text


def test_write_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "EMULATED_ENDPOINTS.md"
    assert endpoints_doc.main(["--check", str(target)]) == 1  # missing counts as stale
    target.write_text("old\n", encoding="utf-8")
    assert endpoints_doc.main(["--check", str(target)]) == 1
    assert "stale" in capsys.readouterr().err
    assert endpoints_doc.main(["--write", str(target)]) == 0
    assert endpoints_doc.main(["--check", str(target)]) == 0
    assert endpoints_doc.main([]) == 0
    assert capsys.readouterr().out == target.read_text(encoding="utf-8")
