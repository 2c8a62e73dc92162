"""The console WebSocket URL (token href + token + version + generation) and the noVNC URL."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from iamcheck.console.novnc import DEFAULT_NOVNC_URL, novnc_base, novnc_url
from iamcheck.console.session import is_busy, websocket_url
from iamcheck.errors import ApiFailure, BadInput
from iamcheck.ibm.vpc import ConsoleToken

IBM_HREF = "wss://us-south.iaas.cloud.ibm.com/v1/instances/0717_abc/console"


def token(href: str = IBM_HREF, value: str = "tok-EN_1") -> ConsoleToken:
    return ConsoleToken(value, "vnc", "2026-05-01T10:00:00Z", "2026-05-01T10:03:00Z", False,
                        href, "2026-10-06")


def _fragment(url: str) -> dict[str, str]:
    """noVNC's reading of its settings: split the fragment on & and decode each value once."""
    pairs = (part.split("=", 1) for part in urlsplit(url).fragment.split("&"))
    return {key: unquote(value) for key, value in pairs}


def test_the_websocket_url_is_ibms_documented_form() -> None:
    assert websocket_url(token()) == (
        f"{IBM_HREF}?access_token=tok-EN_1&version=2026-10-06&generation=2"
    )


def test_version_and_generation_already_in_the_href_are_kept_and_the_token_replaced() -> None:
    url = websocket_url(token(f"{IBM_HREF}?access_token=stale&generation=2&version=2025-01-01"))
    assert parse_qsl(urlsplit(url).query) == [
        ("access_token", "tok-EN_1"), ("generation", "2"), ("version", "2025-01-01")
    ]


def test_an_https_href_becomes_wss() -> None:
    url = websocket_url(token(IBM_HREF.replace("wss://", "https://")))
    assert url.startswith("wss://us-south.iaas.cloud.ibm.com/v1/")


def test_plain_ws_is_accepted_only_on_loopback() -> None:
    assert websocket_url(token("ws://127.0.0.1:8390/v1/instances/x/console")).startswith("ws://")
    with pytest.raises(ApiFailure, match="unencrypted"):
        websocket_url(token("ws://console.example.com/v1/instances/x/console"))
    with pytest.raises(ApiFailure, match="cannot open"):
        websocket_url(token("ftp://console.example.com/x"))


def test_ibm_novnc_url_holds_ibms_manual_settings_in_the_fragment() -> None:
    ws = websocket_url(token())
    url = novnc_url(ws)
    assert url.startswith(f"{DEFAULT_NOVNC_URL}#")
    assert "?" not in url.split("#")[0]  # nothing, the token least, goes to novnc.com's server
    settings = _fragment(url)
    assert settings == {
        "host": "us-south.iaas.cloud.ibm.com",
        "port": "443",
        "encrypt": "1",
        "autoconnect": "1",
        "path": "v1/instances/0717_abc/console?access_token=tok-EN_1&version=2026-10-06"
                "&generation=2",
    }
    # noVNC (1.3 and later) joins them back: ws(s)://host:port/ + path
    rebuilt = f"wss://{settings['host']}:{settings['port']}/{settings['path']}"
    assert rebuilt.replace(":443", "") == ws


def test_the_path_is_percent_encoded_so_its_query_survives_the_fragment() -> None:
    fragment = urlsplit(novnc_url(websocket_url(token()))).fragment
    assert fragment.count("&") == 4  # only the five settings separate: & inside path is %26
    assert "%3Faccess_token%3Dtok-EN_1%26version" in fragment


def test_a_loopback_emulator_gets_its_port_and_no_encryption() -> None:
    ws = "ws://127.0.0.1:38123/vpc/ca-tor/v1/instances/x/console?access_token=t"
    settings = _fragment(novnc_url(ws, "http://127.0.0.1:9000/vnc.html"))
    assert (settings["host"], settings["port"], settings["encrypt"]) == ("127.0.0.1", "38123", "0")
    assert settings["path"] == "vpc/ca-tor/v1/instances/x/console?access_token=t"


def test_ipv6_hosts_keep_their_brackets() -> None:
    assert _fragment(novnc_url("ws://[::1]:8390/v1/x"))["host"] == "[::1]"


def test_the_novnc_page_comes_from_the_flag_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IAMCHECK_NOVNC_URL", raising=False)
    assert novnc_base(None) == DEFAULT_NOVNC_URL
    monkeypatch.setenv("IAMCHECK_NOVNC_URL", "https://novnc.example.com/vnc.html#old")
    assert novnc_base(None) == "https://novnc.example.com/vnc.html"
    assert novnc_base("http://127.0.0.1:1/vnc.html") == "http://127.0.0.1:1/vnc.html"
    with pytest.raises(BadInput, match="--novnc-url"):
        novnc_base("novnc.example.com/vnc.html")


@pytest.mark.parametrize(("status", "detail", "busy"), [
    (409, "console_in_use: The serial console of this instance is in use", True),
    (None, "console busy: the serial console allows 1 session(s)", True),
    (409, "instance_not_running: ... this one is stopped", False),
    (None, "disconnected: another user took over the serial console (force)", False),
    (None, "session closed: idle for 600 seconds (idle limit)", False),
    (423, "", True),
])
def test_busy_is_told_from_a_stopped_instance(status: int | None, detail: str,
                                              busy: bool) -> None:
    assert is_busy(status, detail) is busy
