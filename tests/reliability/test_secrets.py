"""No secret ever leaves iamcheck: every command runs with --debug against the emulator with a
distinctive API key, and everything it prints, logs or writes (reports, snapshots, the grant
log, tracebacks) is searched for the key and for every access token the emulator issued.
Also: the key is never a command-line value, a key file readable by others is warned about,
and TLS verification is never turned off."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iamcheck.cli import app
from iamcheck.errors import BadInput, ExitCode
from iamcheck.ibm.session import IbmSession
from iamcheck.settings import Secret, Settings, read_api_key
from tests.reliability.conftest import AT, Run, Served, invoke, verdict_pairs, written_files

KEY = "probe-apikey-4f1c9e27b3d8a6055e1d7c3b9a2f4e6d"
WRONG_KEY = "probe-wrongkey-8b2e6f0a4c1d9e7b3a5f2c8d6e0b4a1f"


@pytest.fixture
def keyed(emu: Served) -> Iterator[Served]:
    """The small account, its administrator's key replaced by the distinctive one."""
    seed = copy.deepcopy(emu.seed)
    seed["api_keys"][0]["apikey"] = KEY
    emu.load(seed)
    emu.backend.signer.issued.clear()
    yield emu


def _commands(emu: Served, out: Path, keyfile: Path) -> list[tuple[str, ...]]:
    """Every command, with what it writes sent to `out`."""
    (user, _, _), (denied, instance, _) = verdict_pairs(emu)[:2]
    log = str(out / "grant-log.jsonl")
    audits = [("audit", "--at", AT, "-f", fmt, "-o", str(out / f"report.{fmt}"))
              for fmt in ("json", "csv", "junit", "sarif", "markdown")]
    return [
        ("audit", "--at", AT),
        *audits,
        ("check", "--user", user, "--instance", instance, "--at", AT),
        ("check", "--user", denied, "--instance", instance, "-f", "json",
         "--apikey-file", str(keyfile)),
        ("snapshot", "-o", str(out / "snapshot.json")),
        ("emulator", "generate", "--users", "3", "--instances", "2", "-o", str(out / "seed.json")),
        ("grant", denied, "--instance", instance, "--yes", "--log", log),
        ("grant", denied, "--instance", instance, "--yes", "--log", log, "-f", "json"),
        ("revoke", denied, "--instance", instance, "--yes", "--log", log),
        ("console", instance, "--preflight-only"),
        ("console", instance, "--url-only"),
        ("console", instance, "--vnc", "--url-only"),
        ("check", "--user", user, "--instance", "no-such-instance"),  # bad input
    ]


def _secrets(emu: Served) -> list[str]:
    tokens = list(emu.backend.signer.issued)
    assert tokens, "the emulator issued no token: nothing was searched for"
    # a whole token, and its signature alone (in case something prints part of it)
    return [KEY, WRONG_KEY, *tokens, *(t.rsplit(".", 1)[1] for t in tokens)]


def test_nothing_written_holds_a_key_or_a_token(
    keyed: Served, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="iamcheck")
    out, private = tmp_path / "out", tmp_path / "private"
    out.mkdir()
    private.mkdir(mode=0o700)
    keyfile = private / "apikey"
    keyfile.write_text(KEY + "\n")
    keyfile.chmod(0o600)
    runs: list[Run] = [
        keyed.run(*args, *([] if args[0] == "emulator" else ["--debug"]))
        for args in _commands(keyed, out, keyfile)
    ]
    runs.append(keyed.run("audit", "--debug", apikey=WRONG_KEY))  # a refused key
    keyed.faults(next={"GET /v1/regions": ["503"] * 40})  # spent retries
    runs.append(keyed.run("audit", "--timeout", "1", "--debug"))
    codes = [r.exit_code for r in runs]
    # with --debug an error is raised as a traceback (exit 1): the check that denies, the bad
    # instance, the refused key and the spent retries
    assert codes.count(ExitCode.OK) == len(codes) - 4, [
        (n, r.exit_code, r.stderr[-300:]) for n, r in enumerate(runs) if r.exit_code
    ]
    assert "Traceback" in runs[-1].stderr  # --debug showed a traceback, and it is scanned
    files = written_files(out)
    assert {"report.sarif", "snapshot.json", "grant-log.jsonl", "seed.json"} <= set(files)
    everything = {
        **{f"run {n} stdout": r.stdout for n, r in enumerate(runs)},
        **{f"run {n} stderr": r.stderr for n, r in enumerate(runs)},
        **files,
        "log records": caplog.text,
    }
    for secret in _secrets(keyed):
        for where, text in everything.items():
            assert secret not in text, f"a secret in {where}"
    for where, text in everything.items():
        assert "Bearer " not in text and "bearer " not in text.lower(), where


def test_an_unexpected_error_with_debug_shows_no_secret(
    keyed: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    import iamcheck.audit.run

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an unexpected failure while deciding")

    monkeypatch.setattr(iamcheck.audit.run, "decide_account", boom)
    run = keyed.run("audit", "--debug")
    assert "Traceback" in run.stderr and "RuntimeError" in run.stderr
    for secret in _secrets(keyed):
        assert secret not in run.stderr and secret not in run.stdout
    assert app.pretty_exceptions_enable is False  # Typer's would print every local variable


def test_session_objects_do_not_show_the_key(keyed: Served) -> None:
    settings = Settings(Secret(KEY), keyed.url, None)
    session = IbmSession(settings)
    session.caller()
    for value in (settings, settings.apikey, session, session.authenticator,
                  session.authenticator.token_manager):
        assert KEY not in repr(value) and KEY not in str(value)


def test_the_key_is_never_a_command_line_value() -> None:
    for args in (("audit", "--apikey", KEY), ("check", "--api-key", KEY, "-i", "web-01")):
        run = invoke(*args)
        assert run.exit_code == ExitCode.BAD_INPUT and "No such option" in run.stderr
    import typer.main

    def options(command: Any) -> set[str]:
        found = {opt for param in command.params for opt in param.opts}
        for sub in getattr(command, "commands", {}).values():
            found |= options(sub)
        return found

    every = options(typer.main.get_command(app))
    assert "--apikey-file" in every
    assert {o for o in every if "key" in o.lower() or "token" in o.lower()} == {"--apikey-file"}


def test_a_key_file_readable_by_others_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyfile = tmp_path / "apikey"
    keyfile.write_text(KEY + "\n")
    keyfile.chmod(0o644)
    assert read_api_key(keyfile).reveal() == KEY
    err = capsys.readouterr().err
    assert "readable by other users" in err and "chmod 600" in err and KEY not in err
    keyfile.chmod(0o600)
    read_api_key(keyfile)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "variable",
    ["IAM_POLICY_MANAGEMENT_DISABLE_SSL", "IAM_ACCESS_GROUPS_DISABLE_SSL", "VPC_DISABLE_SSL"],
)
def test_tls_verification_is_never_turned_off(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ibm_platform_services import IamAccessGroupsV2, IamPolicyManagementV1
    from ibm_vpc import VpcV1

    monkeypatch.setenv(variable, "true")
    session = IbmSession(Settings(Secret(KEY), None, None))  # IBM's own endpoints, from env
    for cls in (IamPolicyManagementV1, IamAccessGroupsV2, VpcV1):
        if cls.DEFAULT_SERVICE_NAME.upper() + "_DISABLE_SSL" == variable:
            with pytest.raises(BadInput, match=f"{variable}.*never"):
                session.client(cls)
        else:
            assert session.client(cls).disable_ssl_verification is False


def _sdk_env(emu: Served, **override: str) -> dict[str, str]:
    """Every IBM SDK service pointed at the emulator by its own variable (no --endpoint), so
    that nothing leaves loopback; then `override`."""
    names = ["IAM_IDENTITY", "IAM_POLICY_MANAGEMENT", "IAM_ACCESS_GROUPS", "USER_MANAGEMENT",
             "RESOURCE_MANAGER", "GLOBAL_SEARCH", "GLOBAL_TAGGING", "CONTEXT_BASED_RESTRICTIONS"]
    env = {f"{name}_URL": emu.url for name in names}
    return {**env, "VPC_URL": f"{emu.url}/v1", "IBMCLOUD_API_KEY": KEY, **override}


def test_the_sdk_variables_alone_reach_the_emulator(keyed: Served) -> None:
    run = invoke("audit", "--at", AT, "-f", "json", env=_sdk_env(keyed))
    assert run.exit_code == ExitCode.OK, run.stderr


def test_tls_refusal_is_exit_2_on_the_command_line(keyed: Served) -> None:
    env = _sdk_env(keyed, IAM_ACCESS_GROUPS_DISABLE_SSL="true")
    run = invoke("audit", env=env)
    assert run.exit_code == ExitCode.BAD_INPUT, run.stderr
    assert "IAM_ACCESS_GROUPS_DISABLE_SSL" in run.stderr and len(run.lines) == 1
    assert "GET /v2/groups" not in keyed.counts()


@pytest.mark.parametrize(
    "override, culprit",
    [
        ({"IAMCHECK_ENDPOINT": "http://iam.example.com"}, "plain http"),
        ({"IAM_POLICY_MANAGEMENT_URL": "http://iam.example.com"}, "IAM_POLICY_MANAGEMENT_URL"),
        ({"IAM_IDENTITY_URL": "http://10.1.2.3:8080"}, "plain http"),
        ({"IAMCHECK_ENDPOINT": "ftp://127.0.0.1"}, "not an http(s) URL"),
        ({"IAMCHECK_ENDPOINT": "http://[::1"}, "not an http(s) URL"),
    ],
)
def test_plain_http_is_refused_except_on_loopback(
    keyed: Served, override: dict[str, str], culprit: str
) -> None:
    run = invoke("audit", env=_sdk_env(keyed, **override))
    assert run.exit_code == ExitCode.BAD_INPUT, run.stderr
    assert culprit in run.stderr and len(run.lines) == 1 and KEY not in run.stderr


def test_an_api_that_names_a_plain_http_endpoint_is_not_followed(keyed: Served) -> None:
    session = IbmSession(Settings(Secret(KEY), keyed.url, None))
    from ibm_vpc import VpcV1

    from iamcheck.errors import ApiFailure

    with pytest.raises(ApiFailure, match="plain http"):
        session.client(VpcV1, "http://us-south.iaas.example.com/v1")


def test_the_emulator_binds_to_loopback_and_enforces_token_expiry(keyed: Served) -> None:
    import requests

    assert keyed.server.host == "127.0.0.1"
    signer = keyed.backend.signer
    token, _, _ = signer.issue("IBMid-6600000000", keyed.seed["account_id"], "user")
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{keyed.url}/v2/resource_groups", headers=headers, timeout=5).ok
    signer.ttl_seconds, ttl = -60, signer.ttl_seconds
    try:
        expired, _, _ = signer.issue("IBMid-6600000000", keyed.seed["account_id"], "user")
    finally:
        signer.ttl_seconds = ttl
    answer = requests.get(f"{keyed.url}/v2/resource_groups",
                          headers={"Authorization": f"Bearer {expired}"}, timeout=5)
    assert answer.status_code == 401 and answer.json()["errors"][0]["code"] == "token_expired"
    forged = token.rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    answer = requests.get(f"{keyed.url}/v2/resource_groups",
                          headers={"Authorization": f"Bearer {forged}"}, timeout=5)
    assert answer.status_code == 401
    assert os.environ.get("IBMCLOUD_API_KEY") != KEY  # the test never leaked it to the env


def test_an_unverifiable_certificate_is_exit_5_and_never_bypassed(tmp_path: Path) -> None:
    import http.server
    import shutil
    import ssl
    import subprocess
    import threading

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # a token request that got through would land here
            seen.append(self.path)
            self.send_error(500)

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        run = invoke("audit", env={"IBMCLOUD_API_KEY": KEY, "IAMCHECK_ENDPOINT": url})
    finally:
        server.shutdown()
    assert run.exit_code == ExitCode.API_FAILURE, run.stderr
    assert "TLS certificate could not be verified" in run.stderr and len(run.lines) == 1
    assert seen == [] and KEY not in run.stderr  # the key never crossed the unverified link
