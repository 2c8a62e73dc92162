"""Trusted profiles: their claim rules, their links to compute resources, the identities that
may assume them, and which profile a token exchange may act as."""

from __future__ import annotations

import base64
import binascii
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamcheck.emulator.backend.claims import rule_matches
from iamcheck.emulator.backend.group_model import SEED_TIME, now
from iamcheck.emulator.errors import IbmError, IdentityError, bad_request

CR_TYPES = frozenset({"VSI", "IKS_SA", "ROKS_SA", "CE"})
MAX_PAGESIZE = 100
DEFAULT_PAGESIZE = 20


def profile_not_found(ident: str) -> IbmError:
    return IbmError(404, "not_found", f"Trusted profile '{ident}' was not found.")


@dataclass
class Profile:
    body: dict[str, Any]  # IBM's TrustedProfile without history/activity
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    identities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def iam_id(self) -> str:
        return str(self.body["iam_id"])


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


class ProfileStore:
    def __init__(self, seed: dict[str, Any]) -> None:
        self.account_id: str = seed["account_id"]
        self.profiles: dict[str, Profile] = {}
        for given in seed.get("trusted_profiles", []):
            profile = Profile(self._body(given["id"], given["iam_id"], given["name"],
                                         given.get("description", "")))
            for i, rule in enumerate(given.get("rules", [])):
                rid = rule.get("id") or f"ClaimRule-{_uid(given['id'], 'rule', str(i))}"
                profile.rules[rid] = self._rule_body(rid, rule, SEED_TIME)
            for i, link in enumerate(given.get("links", [])):
                lid = link.get("id") or f"ProfileLink-{_uid(given['id'], 'link', str(i))}"
                profile.links[lid] = self._link_body(lid, link, SEED_TIME)
            profile.identities = [dict(x) for x in given.get("identities", [])]
            self.profiles[profile.id] = profile

    def _body(self, pid: str, iam_id: str, name: str, description: str) -> dict[str, Any]:
        return {"id": pid, "entity_tag": "1-0", "name": name, "description": description,
                "crn": f"crn:v1:bluemix:public:iam-identity::a/{self.account_id}::profile:{pid}",
                "iam_id": iam_id, "account_id": self.account_id, "created_at": SEED_TIME,
                "modified_at": SEED_TIME, "ims_account_id": 0, "ims_user_id": 0}

    @staticmethod
    def _rule_body(rid: str, rule: dict[str, Any], when: str) -> dict[str, Any]:
        body = {"id": rid, "entity_tag": "1-0", "created_at": when, "modified_at": when,
                "name": rule.get("name", ""), "type": rule.get("type", "Profile-SAML"),
                "realm_name": rule.get("realm_name"), "expiration": rule["expiration"],
                "conditions": [dict(c) for c in rule["conditions"]]}
        if rule.get("cr_type"):
            body["cr_type"] = rule["cr_type"]
        return body

    @staticmethod
    def _link_body(lid: str, link: dict[str, Any], when: str) -> dict[str, Any]:
        target = link.get("link")
        if link.get("cr_type") not in CR_TYPES or not isinstance(target, dict) or not isinstance(
                target.get("crn"), str):
            raise bad_request("A link needs cr_type (VSI, IKS_SA, ROKS_SA or CE) and link.crn.")
        return {"id": lid, "entity_tag": "1-0", "created_at": when, "modified_at": when,
                "name": link.get("name", ""), "cr_type": link["cr_type"],
                "link": {k: target[k] for k in ("crn", "namespace", "name") if k in target}}

    # ---- reads

    def get(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise profile_not_found(profile_id) from None

    def by_iam_id(self, iam_id: str) -> Profile | None:
        return next((p for p in self.profiles.values() if p.iam_id == iam_id), None)

    def page(self, account_id: str | None, name: str | None, pagesize: int,
             pagetoken: str | None) -> tuple[list[dict[str, Any]], int, int | None]:
        """(profiles, offset, next offset or None), IBM's sort by name."""
        return account_page(self.account_id, account_id, lambda: sorted(
            (p.body for p in self.profiles.values() if name is None or p.body["name"] == name),
            key=lambda b: b["name"]), pagesize, pagetoken)

    def rule(self, profile_id: str, rule_id: str) -> dict[str, Any]:
        profile = self.get(profile_id)
        try:
            return copy.deepcopy(profile.rules[rule_id])
        except KeyError:
            raise IbmError(404, "not_found", f"Claim rule '{rule_id}' was not found.") from None

    def link(self, profile_id: str, link_id: str) -> dict[str, Any]:
        profile = self.get(profile_id)
        try:
            return copy.deepcopy(profile.links[link_id])
        except KeyError:
            raise IbmError(404, "not_found", f"Link '{link_id}' was not found.") from None

    # ---- writes (links and rules: cheap, and what a test needs)

    def add_link(self, profile_id: str, body: dict[str, Any]) -> dict[str, Any]:
        profile = self.get(profile_id)
        lid = f"ProfileLink-{uuid.uuid4()}"
        profile.links[lid] = self._link_body(lid, body, now())
        return copy.deepcopy(profile.links[lid])

    def delete_link(self, profile_id: str, link_id: str) -> None:
        self.link(profile_id, link_id)
        del self.profiles[profile_id].links[link_id]

    def add_rule(self, profile_id: str, body: dict[str, Any]) -> dict[str, Any]:
        profile = self.get(profile_id)
        if not isinstance(body.get("conditions"), list) or not isinstance(
                body.get("expiration"), int) or body.get("type") not in ("Profile-SAML",
                                                                          "Profile-CR"):
            raise bad_request("A claim rule needs type, expiration and conditions.")
        rid = f"ClaimRule-{uuid.uuid4()}"
        profile.rules[rid] = self._rule_body(rid, body, now())
        return copy.deepcopy(profile.rules[rid])

    def delete_rule(self, profile_id: str, rule_id: str) -> None:
        self.rule(profile_id, rule_id)
        del self.profiles[profile_id].rules[rule_id]

    # ---- token exchanges

    def find(self, form: dict[str, str]) -> Profile:
        """The profile a token request names by profile_id, profile_crn or profile_name."""
        pid, crn, name = (form.get(k) for k in ("profile_id", "profile_crn", "profile_name"))
        found: Profile | None = None
        if pid:
            found = self.profiles.get(pid)
        elif crn:
            found = next((p for p in self.profiles.values() if p.body["crn"] == crn), None)
        elif name:
            account = form.get("account")
            if account is not None and account != self.account_id:
                found = None
            else:
                found = next((p for p in self.profiles.values() if p.body["name"] == name), None)
        else:
            raise IdentityError(400, "BXNIM0109E",
                                "Property missing or empty. Property name: profile_id")
        if found is None:
            raise IdentityError(400, "BXNIM0513E", "Trusted profile not found.")
        return found

    def may_assume(self, profile: Profile, iam_id: str, login: dict[str, Any] | None) -> bool:
        """The assume grant: the caller is one of the profile's identities, or a user whose
        federated login satisfies one of its SAML claim rules."""
        if any(x.get("iam_id") == iam_id for x in profile.identities):
            return True
        return any(r.get("type") == "Profile-SAML" and rule_matches(r, login)
                   for r in profile.rules.values())

    @staticmethod
    def linked(profile: Profile, crn: str, namespace: str | None = None,
               name: str | None = None) -> bool:
        """Is the compute resource `crn` (a pod: plus namespace and service account name)
        linked to the profile?"""
        for link in profile.links.values():
            target = link["link"]
            if target["crn"] != crn:
                continue
            if link["cr_type"] in ("IKS_SA", "ROKS_SA") and (
                    target.get("namespace") != namespace or target.get("name") != name):
                continue
            return True
        return False


def account_page(own: str, account_id: str | None, found: Callable[[], list[dict[str, Any]]],
                 pagesize: int, pagetoken: str | None
                 ) -> tuple[list[dict[str, Any]], int, int | None]:
    """IAM Identity's offset paging of one account's list: (items, offset, next offset or
    None); account_id is required, and another account's list is empty."""
    if not account_id:
        raise bad_request("The query parameter 'account_id' is required.", "missing_account_id")
    if account_id != own:
        return [], 0, None
    offset = _decode(pagetoken) if pagetoken else 0
    end = offset + pagesize
    items = found()
    return [copy.deepcopy(b) for b in items[offset:end]], offset, (
        end if end < len(items) else None)


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"p:{offset}".encode()).decode().rstrip("=")


def _decode(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if text.startswith("p:") and text[2:].isdigit():
        return int(text[2:])
    raise bad_request(f"Invalid pagetoken '{token}'.")
