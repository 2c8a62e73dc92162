"""Where the credentials come from and which inputs are refused before any call
(iamcheck/credentials.py). The commands that use them run in tests/cli/test_credentials_cli.py."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from iamcheck import credentials
from iamcheck.credentials import ApiKey, TrustedProfile, authenticator, resolve
from iamcheck.errors import BadInput

KEY = "k3y-Zq8w1e2r3t4y5u6i7o8p9a0s1d2f3g4h5j6k7l8m9n"
ENV = ("IBMCLOUD_API_KEY", "IC_API_KEY", "IBM_CREDENTIALS_FILE", "IAMCHECK_APIKEY",
       "IAMCHECK_AUTH_TYPE", "IAMCHECK_AUTH_URL", "IAMCHECK_IAM_PROFILE_ID",
       "IAMCHECK_IAM_PROFILE_CRN", "IAMCHECK_IAM_PROFILE_NAME", "IAMCHECK_CR_TOKEN_FILENAME",
       "VCAP_SERVICES")
PROFILE_ID = "Profile-9b3c2d1e-0f4a-4b5c-8d7e-6f5a4b3c2d1e"
PROFILE_CRN = f"crn:v1:bluemix:public:iam-identity::a/6d5c4b3a2f1e40d9::profile:{PROFILE_ID}"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No key anywhere, and no ibm-credentials.env in the working or home directory."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def _file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _key(creds: object) -> str:
    assert isinstance(creds, ApiKey)
    return creds.secret.reveal()


def test_nothing_given_is_one_line_naming_every_way() -> None:
    with pytest.raises(BadInput, match=r"IBMCLOUD_API_KEY.*--apikey-file.*trusted-profile"):
        resolve()


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyfile = _file(tmp_path / "k", "from-file\n")
    creds_env = _file(tmp_path / "ibm-credentials.env", "IAMCHECK_APIKEY=from-credentials\n")
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(creds_env))
    assert _key(resolve()) == "from-credentials"
    monkeypatch.setenv("IC_API_KEY", "from-terraform")
    assert _key(resolve()) == "from-terraform"
    monkeypatch.setenv("IBMCLOUD_API_KEY", "from-ibmcloud")
    assert _key(resolve()) == "from-ibmcloud"
    assert _key(resolve(keyfile)) == "from-file"
    assert resolve(keyfile).source == "--apikey-file"


@pytest.mark.parametrize("variable", ["IBMCLOUD_API_KEY", "IC_API_KEY"])
def test_at_file_form(variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _file(tmp_path / "key.txt", f"  {KEY}\n")
    monkeypatch.setenv(variable, f"@{tmp_path / 'key.txt'}")
    creds = resolve()
    assert _key(creds) == KEY and creds.source == f"{variable} (@file)"
    monkeypatch.setenv(variable, f"@{tmp_path / 'missing'}")
    with pytest.raises(BadInput, match=rf"{variable}=@file: cannot read .*missing"):
        resolve()


def test_at_file_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _file(Path.home() / "apikey.json", json.dumps({"name": "ci", "apikey": KEY}))
    monkeypatch.setenv("IBMCLOUD_API_KEY", "@~/apikey.json")
    creds = resolve()
    assert _key(creds) == KEY
    assert any("JSON key file" in note for note in creds.notes)


def test_credentials_file_in_default_locations(monkeypatch: pytest.MonkeyPatch) -> None:
    _file(Path.home() / "ibm-credentials.env", "IAMCHECK_APIKEY=from-home\n")
    creds = resolve()
    assert _key(creds) == "from-home" and "ibm-credentials.env" in creds.source
    _file(Path.cwd() / "ibm-credentials.env", "IAMCHECK_AUTH_TYPE=iam\nIAMCHECK_APIKEY=from-cwd\n")
    assert _key(resolve()) == "from-cwd"  # the SDK looks in the working directory first


def test_sdk_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMCHECK_APIKEY", "from-sdk-env")
    creds = resolve()
    assert _key(creds) == "from-sdk-env" and creds.source == "IAMCHECK_APIKEY"


def test_credentials_file_other_services_and_bad_auth_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path / "c.env", "IAM_POLICY_MANAGEMENT_APIKEY=not-ours\n")
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(path))
    with pytest.raises(BadInput, match="no API key"):
        resolve()
    _file(path, "IAMCHECK_AUTH_TYPE=bearerToken\nIAMCHECK_BEARER_TOKEN=x\n")
    with pytest.raises(BadInput, match="IAMCHECK_AUTH_TYPE: 'bearertoken' is not one"):
        resolve()


@pytest.mark.parametrize("target", ["missing", "dir", "big"])
def test_credentials_file_that_cannot_be_one(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / target
    if target == "dir":
        path.mkdir()
    if target == "big":
        _file(path, "IAMCHECK_APIKEY=" + "x" * 100_000)
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(path))
    with pytest.raises(BadInput, match="IBM_CREDENTIALS_FILE"):
        resolve()


def test_unreadable_sdk_sources_are_one_line(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.env"
    path.write_bytes(b"IAMCHECK_APIKEY=\xff\xfe\n")
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(path))
    with pytest.raises(BadInput, match="not UTF-8"):
        resolve()
    monkeypatch.delenv("IBM_CREDENTIALS_FILE")
    monkeypatch.setenv("VCAP_SERVICES", "{not json")
    with pytest.raises(BadInput, match="VCAP_SERVICES"):
        resolve()


def test_credentials_file_device_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", "/dev/zero")
    with pytest.raises(BadInput, match="not a regular file"):
        resolve()


def test_json_key_file(tmp_path: Path) -> None:
    body = {"name": "ci key", "description": "", "createdAt": "2026-11-30T10:00+0000",
            "apikey": KEY}
    creds = resolve(_file(tmp_path / "apikey.json", json.dumps(body, indent=2)))
    assert _key(creds) == KEY
    assert creds.notes == (f"--apikey-file: read the apikey of IBM's JSON key file "
                           f"{tmp_path / 'apikey.json'}",)


BAD_KEYS = [
    (f'"{KEY}"', "quotes or braces"),
    (f"'{KEY}'", "quotes or braces"),
    ("{" + KEY + "}", "not JSON"),
    ('{"name": "x"}', "without a string 'apikey'"),
    ('{"apikey": 5}', "without a string 'apikey'"),
    ('["' + KEY + '"]', "quotes or braces"),
    (json.dumps({"apikey": f'"{KEY}"'}), "quotes or braces"),
    (KEY + " " + KEY, "spaces, line breaks"),
    (KEY + "\n" + KEY, "spaces, line breaks"),
    (KEY + "\x1b[2J", "control characters"),
    ("k" * 2000, "too long"),
    ("", "empty"),
    (" \n\t", "empty"),
]


@pytest.mark.parametrize("text, culprit", BAD_KEYS)
def test_bad_keys_in_a_file(text: str, culprit: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=culprit) as err:
        resolve(_file(tmp_path / "apikey", text))
    message = str(err.value)
    assert "\n" not in message and message.startswith("--apikey-file")
    assert KEY not in message and "k" * 50 not in message


@pytest.mark.parametrize("text, culprit", [b for b in BAD_KEYS if "JSON" not in b[1]
                                           and "'apikey'" not in b[1]])
def test_bad_keys_in_the_environment(text: str, culprit: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_API_KEY", text or " ")
    if not text.strip():
        with pytest.raises(BadInput, match="no API key"):  # blank: as if not set
            resolve()
        return
    with pytest.raises(BadInput) as err:
        resolve()
    message = str(err.value)
    assert message.startswith("IBMCLOUD_API_KEY") and KEY not in message


def test_whitespace_around_the_key_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IC_API_KEY", f" \t{KEY}\r\n")
    assert _key(resolve()) == KEY


def test_a_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\r\n")
    assert _key(resolve(path)) == KEY


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = _file(tmp_path / "k", "x" * (credentials.MAX_FILE_BYTES + 1))
    with pytest.raises(BadInput, match="larger than 64 KiB"):
        resolve(path)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_are_refused_at_once(device: str) -> None:
    started = time.monotonic()
    with pytest.raises(BadInput, match="not a regular file or a pipe"):
        resolve(Path(device))
    assert time.monotonic() - started < 1


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a directory"):
        resolve(tmp_path)


def test_a_fifo_with_no_writer_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(BadInput, match=r"sent nothing within 0\.5 s"):
        resolve(fifo, pipe_timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_fifo_whose_writer_never_closes_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    holder: list[int] = []

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until the reader opens it
        os.write(fd, KEY.encode())
        holder.append(fd)  # left open: the reader must not wait for its end forever

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(BadInput, match=r"was not closed within 0\.5 s"):
        resolve(fifo, pipe_timeout=0.5)
    writer.join(1)
    for fd in holder:
        os.close(fd)


def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.2)  # the reader is already waiting: no writer yet
        with open(fifo, "w") as pipe:
            pipe.write(json.dumps({"name": "x", "apikey": KEY}))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    creds = resolve(fifo, pipe_timeout=5)
    writer.join(5)
    assert _key(creds) == KEY


def test_a_pipe_the_shell_gives(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()  # what `--apikey-file <(...)` hands over as /dev/fd/N
    os.write(write_end, (KEY + "\n").encode())
    os.close(write_end)
    try:
        assert _key(resolve(Path(f"/dev/fd/{read_end}"))) == KEY
    finally:
        os.close(read_end)


def test_a_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    creds = resolve(_file(tmp_path / "k", KEY, 0o644))
    assert any("readable by other users" in n and "chmod 600" in n for n in creds.notes)
    assert not resolve(_file(tmp_path / "k", KEY, 0o600)).notes


def test_sources_never_hold_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBMCLOUD_API_KEY", KEY)
    creds = resolve()
    assert KEY not in creds.source and KEY not in repr(creds) and KEY not in str(creds)


# Trusted profiles: the authenticators are IBM's; end-to-end runs against the emulator's
# metadata and compute-resource-token services come with them.


def test_trusted_profile_on_a_vpc_instance() -> None:
    creds = resolve(auth="trusted-profile", profile=PROFILE_ID, where="vpc")
    assert isinstance(creds, TrustedProfile)
    assert (creds.where, creds.profile_id, creds.profile_crn) == ("vpc", PROFILE_ID, None)
    auth = authenticator(creds, "https://iam.cloud.ibm.com")
    assert type(auth).__name__ == "VPCInstanceAuthenticator"
    assert auth.token_manager.iam_profile_id == PROFILE_ID
    assert auth.token_manager.url == "http://169.254.169.254"  # the SDK's default


def test_trusted_profile_by_crn_and_name_on_vpc() -> None:
    creds = resolve(auth="trusted-profile", profile=PROFILE_CRN, where="vpc")
    assert isinstance(creds, TrustedProfile) and creds.profile_crn == PROFILE_CRN
    assert authenticator(creds, "x").token_manager.iam_profile_crn == PROFILE_CRN
    named = resolve(auth="trusted-profile", profile="ci-runner", where="vpc")
    assert isinstance(named, TrustedProfile) and named.profile_name == "ci-runner"


def test_trusted_profile_in_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _file(tmp_path / "cr-token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    monkeypatch.setenv("IAMCHECK_CR_TOKEN_FILENAME", str(token))
    monkeypatch.setenv("IAMCHECK_AUTH_URL", "http://127.0.0.1:8390")
    creds = resolve(auth="trusted-profile", profile=PROFILE_CRN)  # where: auto
    assert isinstance(creds, TrustedProfile) and creds.where == "container"
    assert creds.profile_id == PROFILE_ID  # the container authenticator takes no CRN
    auth = authenticator(creds, "https://iam.cloud.ibm.com")
    assert type(auth).__name__ == "ContainerAuthenticator"
    assert auth.token_manager.cr_token_filename == str(token)
    assert auth.token_manager.url == "http://127.0.0.1:8390"


def test_trusted_profile_from_the_credentials_file(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path / "c.env", "IAMCHECK_AUTH_TYPE=vpc\n"
                 f"IAMCHECK_IAM_PROFILE_ID={PROFILE_ID}\n"
                 "IAMCHECK_AUTH_URL=http://127.0.0.1:9999\n")
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(path))
    creds = resolve()
    assert isinstance(creds, TrustedProfile)
    assert (creds.where, creds.profile_id, creds.url) == ("vpc", PROFILE_ID,
                                                          "http://127.0.0.1:9999")


@pytest.mark.parametrize("kwargs, culprit", [
    ({"auth": "trusted-profile"}, "needs --profile-id"),
    ({"auth": "trusted-profile", "profile": "  "}, "needs --profile-id"),
    ({"auth": "trusted-profile", "profile": "a b"}, "not a trusted profile"),
    ({"auth": "trusted-profile", "profile": "crn:v1:bluemix:public:is:::instance:x"},
     "not a trusted profile's CRN"),
    ({"profile": PROFILE_ID}, "needs --auth trusted-profile"),
    ({"auth": "trusted-profile", "profile": PROFILE_ID, "apikey_file": Path("k")},
     "exclude each other"),
])
def test_trusted_profile_bad_input(kwargs: dict[str, object], culprit: str) -> None:
    with pytest.raises(BadInput, match=culprit):
        resolve(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("url, ok", [
    ("http://169.254.169.254", True), ("http://127.0.0.1:8390/", True),
    ("https://metadata.example.com", True), ("http://10.0.0.1", False),
    ("http://169.254.169.254.example.com", False),
])
def test_metadata_url(url: str, ok: bool) -> None:
    if ok:
        assert credentials.check_metadata_url(url) == url.rstrip("/")
    else:
        with pytest.raises(BadInput):
            credentials.check_metadata_url(url)
