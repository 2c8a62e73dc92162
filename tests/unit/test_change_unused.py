"""Unused console grants from format=include_last_permit fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from iamcheck.review.unused import unused_console_policies
from tests.unit.decide_builders import ALICE, AT, BOB, OPS, REQ, VIEWER, account, full, policy


def test_unused_never_used_recent_and_not_read() -> None:
    old = replace(full("p-old", ALICE), last_permit_at=AT - timedelta(days=120),
                  last_permit_frequency=4)
    recent = replace(full("p-recent", BOB), last_permit_at=AT - timedelta(days=10),
                     last_permit_frequency=40)
    never = replace(full("p-never", OPS), last_permit_at=None, last_permit_frequency=0)
    unread = full("p-unread", ALICE)
    viewer = replace(policy("p-viewer", ALICE, VIEWER), last_permit_at=None,
                     last_permit_frequency=0)
    other = replace(full("p-cos", ALICE, resource=[("serviceName", "cos")]),
                    last_permit_at=None, last_permit_frequency=0)
    data = account(policies=[old, recent, never, unread, viewer, other])
    found = {f.policy_id: f for f in unused_console_policies(data, REQ, AT)}
    assert set(found) == {"p-old", "p-never"}
    assert found["p-old"].kind == "unused" and found["p-old"].days == 120
    assert found["p-old"].actions == tuple(sorted(REQ.actions))
    assert found["p-never"].kind == "never_used" and found["p-never"].subject == OPS
    # A shorter window catches the recent one too.
    assert "p-recent" in {f.policy_id for f in unused_console_policies(data, REQ, AT, days=5)}


def test_the_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        unused_console_policies(account(), REQ, AT, days=0)
