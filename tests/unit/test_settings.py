"""Configuration: where the key comes from, which endpoints are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamcheck.errors import BadInput
from iamcheck.settings import Secret, check_endpoint, endpoint_from, read_api_key


def test_secret_never_shows_itself() -> None:
    secret = Secret("super-secret-value")
    assert "super-secret-value" not in repr(secret)
    assert "super-secret-value" not in str(secret)
    assert "super-secret-value" not in f"{secret} {[secret]}"
    assert secret.reveal() == "super-secret-value"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8390",
        "http://localhost:1",
        "http://[::1]:9",
        "https://iam.cloud.ibm.com",
        "https://example.com/",
    ],
)
def test_accepted_endpoints(url: str) -> None:
    assert check_endpoint(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8390", "http://example.com", "ftp://x", "nonsense", "http://"]
)
def test_refused_endpoints(url: str) -> None:
    with pytest.raises(BadInput, match="--endpoint"):
        check_endpoint(url)


def test_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMCHECK_ENDPOINT", "http://127.0.0.1:1234/")
    assert endpoint_from(None) == "http://127.0.0.1:1234"
    assert endpoint_from("https://x.example.com") == "https://x.example.com"
    monkeypatch.delenv("IAMCHECK_ENDPOINT")
    assert endpoint_from(None) is None


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_API_KEY", "  key-from-env  ")
    assert read_api_key(None).reveal() == "key-from-env"
    monkeypatch.delenv("IBMCLOUD_API_KEY")
    with pytest.raises(BadInput, match="IBMCLOUD_API_KEY"):
        read_api_key(None)


def test_key_file_readable_by_others_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key"
    key.write_text("file-key-0001\n")
    key.chmod(0o600)
    assert read_api_key(key).reveal() == "file-key-0001"
    assert capsys.readouterr().err == ""
    key.chmod(0o644)
    assert read_api_key(key).reveal() == "file-key-0001"
    err = capsys.readouterr().err
    assert "readable by other users" in err and "file-key-0001" not in err


def test_key_file_problems_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        read_api_key(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(BadInput, match="empty"):
        read_api_key(empty)
