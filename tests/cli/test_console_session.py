"""Serial sessions run for real (`python -m iamcheck console`, input on a pipe) against the
served demo: the login prompt, typing, `~.`, and the reason given when the console ends it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from ibm_vpc import VpcV1
from websockets.sync.client import connect

from tests.conftest import Emulator

ONCALL = "demo-oncall-key-not-a-secret-0002"
PAY_API_01 = "0717_8f2c1a4e-3b5d-4e6f-a7b8-c9d0e1f2a301"


class Session:
    """`iamcheck console pay-api-01` in a child process, its output collected as it comes."""

    def __init__(self, demo: Emulator, *args: str) -> None:
        env = {**os.environ, "IBMCLOUD_API_KEY": ONCALL, "IAMCHECK_ENDPOINT": demo.url}
        env.pop("IAMCHECK_DEBUG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "iamcheck", "console", "pay-api-01", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        self.out = bytearray()
        self.err = bytearray()
        self._readers = [
            threading.Thread(target=self._collect, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._collect, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: object, into: bytearray) -> None:
        fd = stream.fileno()  # type: ignore[attr-defined]
        while chunk := os.read(fd, 4096):
            into += chunk

    def expect(self, wanted: bytes, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.out:
            ended = self.proc.poll() is not None and not self._alive()
            if ended or time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} never came; out={bytes(self.out)!r} "
                                     f"err={bytes(self.err)!r}")
            time.sleep(0.02)

    def _alive(self) -> bool:
        return any(reader.is_alive() for reader in self._readers)

    def type(self, text: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def finish(self, timeout: float = 15.0) -> tuple[int, str]:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code, self.err.decode()


@pytest.fixture
def session(demo: Emulator) -> Iterator[Session]:
    started = Session(demo)
    yield started
    if started.proc.poll() is None:
        started.proc.kill()
        started.proc.wait(5)


def test_login_then_tilde_dot(session: Session) -> None:
    session.expect(b"pay-api-01 login: ")
    session.type(b"root\r")
    session.expect(b"Password: ")
    session.type(b"demo\r")
    session.expect(b"root@pay-api-01:~# ")
    session.type(b"hostname\r")
    session.expect(b"hostname\r\npay-api-01\r\n")
    session.type(b"~.")
    code, err = session.finish()
    assert code == 0, err
    assert "~. at the start of a line disconnects" in err
    assert "Disconnected from the serial console of pay-api-01." in err


def test_a_stopped_instance_ends_the_session_and_says_why(session: Session,
                                                          demo: Emulator) -> None:
    session.expect(b"login: ")
    requests.post(f"{demo.url}/_emulator/instances/{PAY_API_01}/stop", timeout=5)
    code, err = session.finish()
    assert code == 0
    assert "closed the session (code 4004" in err
    assert "disconnects when the instance stops; start it" in err


def test_the_idle_limit_is_named(demo: Emulator) -> None:
    requests.post(f"{demo.url}/_emulator/config", json={"console_idle_seconds": 1}, timeout=5)
    idle = Session(demo)
    idle.expect(b"login: ")
    code, err = idle.finish()
    assert code == 0 and "(code 4002" in err and "10 minutes without activity" in err


def test_being_forced_off_explains_force(session: Session, demo: Emulator) -> None:
    session.expect(b"login: ")
    vpc = demo.client(VpcV1, apikey=ONCALL)
    vpc.set_service_url(f"{demo.url}/v1")
    href = vpc.create_instance_console_access_token(PAY_API_01, "serial", force=True)
    with connect(href.get_result()["href"]) as other:
        other.recv(timeout=5)
        code, err = session.finish()
    assert code == 0 and "(code 4001" in err and "--force" in err
