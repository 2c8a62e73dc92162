"""Rule E1: a 403 on the console token after an allowing pre-flight is waited out, with back-off,
for at most --wait-propagation seconds, then exit 4 naming the delay."""

from __future__ import annotations

import pytest

from iamcheck.console.propagation import NotYetInEffect, PropagationTimeout, wait_for_vpc
from iamcheck.errors import ExitCode


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def refusing(times: int) -> tuple[list[int], object]:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise NotYetInEffect("VPC answered 403 not_authorized")
        return "token"
    return calls, attempt


def test_waits_with_back_off_until_vpc_honours_the_policy() -> None:
    clock, notes = Clock(), []
    calls, attempt = refusing(3)
    got = wait_for_vpc(attempt, 600, notes.append, "pay-api-01", clock, clock.sleep)  # type: ignore[arg-type]
    assert got == "token" and len(calls) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(notes) == 3 and "Waited 3 s of at most 600 s" in notes[2]
    assert "10 minutes" in notes[0] and "pay-api-01" in notes[0]


def test_gives_up_after_the_limit_with_exit_4_naming_the_delay() -> None:
    clock, notes = Clock(), []
    _, attempt = refusing(10_000)
    with pytest.raises(PropagationTimeout) as raised:
        wait_for_vpc(attempt, 20, notes.append, "x", clock, clock.sleep)  # type: ignore[arg-type]
    assert raised.value.exit_code is ExitCode.NOT_AUTHORIZED
    assert "--wait-propagation 20" in str(raised.value) and "10 minutes" in str(raised.value)
    assert sum(clock.sleeps) <= 20


def test_zero_disables_the_wait() -> None:
    clock, notes = Clock(), []
    calls, attempt = refusing(1)
    with pytest.raises(NotYetInEffect):
        wait_for_vpc(attempt, 0, notes.append, "x", clock, clock.sleep)  # type: ignore[arg-type]
    assert len(calls) == 1 and not notes and not clock.sleeps


def test_ctrl_c_stops_the_wait_at_once() -> None:
    clock = Clock()
    _, attempt = refusing(10_000)

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wait_for_vpc(attempt, 600, lambda text: None, "x", clock, interrupted)  # type: ignore[arg-type]
