"""V5 for whole layers the caller may not read (trusted profiles, CBR rules): one place.

A missing profile layer means a user denied by policies may still get in through a profile:
deny becomes unknown for users. A missing CBR layer changes nothing by itself (G1: the IAM
verdict stays) except under strict_context, where no allow may stand on it.
"""

from __future__ import annotations

from iamcheck.model import AccountData, LayerGap

PROFILES, CBR = "trusted_profiles", "cbr"


def layer_gap(account: AccountData, layer: str) -> LayerGap | None:
    return next((g for g in account.layer_gaps if g.layer == layer), None)


def describe(gap: LayerGap) -> str:
    what = "trusted profiles" if gap.layer == PROFILES else "context-based restriction rules"
    return f"{what} could not be read ({gap.reason})"
