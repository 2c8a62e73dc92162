"""The layers beside policies: trusted profiles (P5) and context-based restriction rules with
their zones (G1). A refused read leaves a LayerGap for the whole layer (V5), never a failure:
the decision then keeps a deny of a user unknown (profiles) or, under --strict-context, an
allow unknown (CBR).

`audit` reads every profile (its claim rules and links) and every CBR rule on `is` with the
zones they name. `check` reads only what can matter for its pair: the profiles with a SAML claim
rule, and their policies, only for a user whom its own policies do not allow; the CBR rules
that may cover the instance, and only their zones.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from iamcheck.decide.cbr import covering_rules
from iamcheck.ibm import cbr, iam_identity, iam_policy
from iamcheck.ibm.errors import NotFound, Refused
from iamcheck.ibm.session import IbmSession
from iamcheck.model import (
    CbrRule,
    CbrZone,
    Instance,
    LayerGap,
    Policy,
    TrustedProfile,
)

SAML = "Profile-SAML"
CBR_SERVICE = "is"


@dataclass(frozen=True)
class Profiles:
    profiles: tuple[TrustedProfile, ...] = ()
    policies: tuple[Policy, ...] = ()  # only when read per profile (check)
    gap: LayerGap | None = None


@dataclass(frozen=True)
class ContextRules:
    rules: tuple[CbrRule, ...] = ()
    zones: tuple[CbrZone, ...] = ()
    gap: LayerGap | None = None


def read_profiles(session: IbmSession, account_id: str, pool: ThreadPoolExecutor, *,
                  links: bool = True, policies: bool = False) -> Profiles:
    """Every trusted profile with its claim rules (and links); with `policies`, only the
    profiles a user can apply by a SAML claim rule, each with its active policies."""
    try:
        found = iam_identity.list_profiles(session, account_id)

        def details(profile: TrustedProfile) -> TrustedProfile:
            rules = tuple(iam_identity.list_claim_rules(session, profile))
            linked = tuple(iam_identity.list_links(session, profile)) if links else ()
            return replace(profile, rules=rules, links=linked)

        full = list(pool.map(details, found))
        if not policies:
            return Profiles(tuple(full))
        usable = [p for p in full if any(r.type == SAML for r in p.rules)]
        theirs = pool.map(lambda p: iam_policy.list_policies(session, account_id,
                                                             iam_id=p.iam_id), usable)
        return Profiles(tuple(usable), tuple(x for chunk in theirs for x in chunk))
    except Refused as err:
        return Profiles(gap=LayerGap("trusted_profiles", str(err)))


def read_context_rules(session: IbmSession, account_id: str, pool: ThreadPoolExecutor,
                       instances: Iterable[Instance] | None = None) -> ContextRules:
    """The CBR rules on `is` (all of them, or those that may cover one of `instances`) and the
    zones they name. A zone that cannot be read is named as such in what the rule requires."""
    try:
        rules = cbr.list_rules(session, account_id, CBR_SERVICE)
    except Refused as err:
        return ContextRules(gap=LayerGap("cbr", str(err)))
    if instances is not None:
        wanted = list(instances)
        rules = [r for r in rules
                 if any(covering_rules((r,), (), i, account_id) for i in wanted)]
    zone_ids = sorted({v.strip() for r in rules for c in r.contexts for a in c.attributes
                       if a.name == "networkZoneId" for v in a.value.split(",") if v.strip()})
    zones = [z for z in pool.map(lambda z: _zone(session, z), zone_ids) if z is not None]
    return ContextRules(tuple(rules), tuple(zones))


def _zone(session: IbmSession, zone_id: str) -> CbrZone | None:
    try:
        return cbr.get_zone(session, zone_id)
    except (Refused, NotFound):
        return None


def layer_gaps(*found: Profiles | ContextRules) -> tuple[LayerGap, ...]:
    return tuple(f.gap for f in found if f.gap is not None)
