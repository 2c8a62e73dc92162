"""The rev-2 model fields (display roles, trusted profiles, CBR, layer gaps) survive a snapshot:
a snapshot that dropped a profile would turn its users' unknown into deny."""

from __future__ import annotations

import json
from dataclasses import replace

from iamcheck.model import LayerGap, ProfileLink
from iamcheck.read.snapshot import from_json, to_json
from tests.unit.decide_builders import (
    ALICE,
    ROLES,
    account,
    full,
    instance,
    saml_rule,
    trusted_profile,
    user,
)
from tests.unit.test_decide_cbr import ZONE, rule


def test_round_trip_keeps_every_rev2_field() -> None:
    link = ProfileLink("IKS_SA", "crn:v1:x", name="l", namespace="ns", resource_name="sa")
    acct = account(users=[user()], instances=[instance()],
                   profiles=[trusted_profile(rules=[saml_rule()], links=[link])],
                   policies=[replace(full("p", ALICE), display_roles=ROLES[:2])])
    acct = replace(acct, cbr_rules=(rule("r1", "report", ("region", "us-south")),),
                   cbr_zones=(ZONE,), layer_gaps=(LayerGap("trusted_profiles", "HTTP 403"),))
    back = from_json(json.loads(json.dumps(to_json(acct)))["account"])
    assert back == acct


def test_an_older_snapshot_without_them_still_loads() -> None:
    body = to_json(account(users=[user()]))["account"]
    for key in ("profiles", "cbr_zones", "cbr_rules", "layer_gaps"):
        del body[key]
    for policy in body["policies"]:
        del policy["display_roles"]
    assert from_json(body).profiles == ()
