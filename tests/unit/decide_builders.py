"""Literal account data for the decision tests: short builders, no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from iamcheck.claims import parse_claims
from iamcheck.decide import Verdict, decide
from iamcheck.model import (
    PUBLIC_ACCESS_GROUP_ID,
    AccessGroup,
    AccountData,
    Attribute,
    AttributeValue,
    Claims,
    Gap,
    GroupRule,
    Instance,
    Membership,
    Policy,
    ProfileLink,
    ProfileRule,
    Role,
    Rule,
    RuleClaim,
    ServiceId,
    TrustedProfile,
    User,
)
from iamcheck.requirement import load_requirement

ACCOUNT = "acc00000000000000000000000000001"
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
REQ = load_requirement()
OPERATE, CONSOLE_ACTION = REQ.actions

VIEWER = "crn:v1:bluemix:public:iam::::role:Viewer"
OPERATOR = "crn:v1:bluemix:public:iam::::role:Operator"
EDITOR = "crn:v1:bluemix:public:iam::::role:Editor"
ADMIN = "crn:v1:bluemix:public:iam::::role:Administrator"
READER = "crn:v1:bluemix:public:iam::::serviceRole:Reader"
WRITER = "crn:v1:bluemix:public:iam::::serviceRole:Writer"
MANAGER = "crn:v1:bluemix:public:iam::::serviceRole:Manager"
CONSOLE = "crn:v1:bluemix:public:is::::serviceRole:VirtualServerConsoleAdmin"
CONSOLE_IAM = "crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin"
IP_SPOOF = "crn:v1:bluemix:public:is::::serviceRole:IPSpoofingOperator"
CUSTOM = f"crn:v1:bluemix:public:iam-access-management::a/{ACCOUNT}::customRole:ConsoleOnly"

_READ = {"is.instance.instance.list", "is.instance.instance.read"}
ROLES: tuple[Role, ...] = (
    Role(VIEWER, "Viewer", "system", frozenset(_READ)),
    Role(OPERATOR, "Operator", "system", frozenset(_READ | {OPERATE})),
    Role(EDITOR, "Editor", "system", frozenset(_READ | {OPERATE, "is.instance.instance.create"})),
    Role(ADMIN, "Administrator", "system", frozenset(_READ | {OPERATE, "iam.policy.create"})),
    Role(READER, "Reader", "service", frozenset()),
    Role(WRITER, "Writer", "service", frozenset()),
    Role(MANAGER, "Manager", "service", frozenset({"is.image.image.obsolete"})),
    Role(CONSOLE, "Console Administrator", "service", frozenset({CONSOLE_ACTION})),
    Role(IP_SPOOF, "IP Spoofing Operator", "service",
         frozenset({"is.instance.instance.ip-spoofing"})),
    Role(CUSTOM, "Console Only", "custom", frozenset({CONSOLE_ACTION}), service_name="is"),
)

ALICE = "IBMid-1000000001"
BOB = "IBMid-1000000002"
ROBOT = "iam-ServiceId-00000000-0000-0000-0000-000000000001"
OPS = "AccessGroupId-ops"
FED_REALM = "https://idp.example.com/saml"


def user(iam_id: str = ALICE, state: str = "ACTIVE", realm: str = "IBMid") -> User:
    return User(iam_id, f"{iam_id.lower()}@example.com", state, realm=realm)


def instance(iid: str = "0717_i-1", rg: str = "rg-a", region: str = "us-south",
             vpc: str = "vpc-1", tags: Iterable[str] = ()) -> Instance:
    return Instance(iid, f"crn:v1:bluemix:public:is:{region}-1:a/{ACCOUNT}::instance:{iid}",
                    f"vm-{iid[-1]}", region, f"{region}-1", rg, vpc, "running",
                    access_tags=frozenset(tags))


Spec = Attribute | tuple[str, AttributeValue]


def attrs(specs: Iterable[Spec]) -> tuple[Attribute, ...]:
    return tuple(s if isinstance(s, Attribute) else Attribute(s[0], "stringEquals", s[1])
                 for s in specs)


def policy(pid: str, subject: str, *roles: str, resource: Iterable[Spec] = (("serviceName", "is"),),
           tags: Iterable[Spec] = (), rule: Rule | None = None, state: str = "active",
           account: bool = True, template: bool = False) -> Policy:
    key = "access_group_id" if subject.startswith("AccessGroupId-") else "iam_id"
    res = (Attribute("accountId", "stringEquals", ACCOUNT),) if account else ()
    return Policy(pid, "access", state, (Attribute(key, "stringEquals", subject),),
                  res + attrs(resource), tuple(roles), tags=attrs(tags), rule=rule,
                  template_managed=template)


def group(gid: str = OPS, name: str = "ops", rules: Iterable[GroupRule] = ()) -> AccessGroup:
    return AccessGroup(gid, name, rules=tuple(rules))


def fed_rule(realm: str = FED_REALM) -> GroupRule:
    return GroupRule("ClaimRule-1", "operators from the IdP", realm, 12,
                     (RuleClaim("groups", "CONTAINS", "vm-operators"),))


def public_group() -> AccessGroup:
    return AccessGroup(PUBLIC_ACCESS_GROUP_ID, "Public Access")


def account(*, users: Iterable[User] = (), service_ids: Iterable[ServiceId] = (),
            groups: Iterable[AccessGroup] = (), memberships: Iterable[Membership] = (),
            policies: Iterable[Policy] = (), instances: Iterable[Instance] = (),
            gaps: Iterable[Gap] = (), roles: Iterable[Role] = ROLES,
            profiles: Iterable[TrustedProfile] = ()) -> AccountData:
    return AccountData(ACCOUNT, AT, tuple(users), tuple(service_ids), tuple(groups),
                       tuple(memberships), tuple(policies), tuple(roles), (), tuple(instances),
                       tuple(gaps), profiles=tuple(profiles))


def full(pid: str, subject: str, **kwargs: object) -> Policy:
    """The usual fix: Operator + Console Administrator in one policy."""
    return policy(pid, subject, OPERATOR, CONSOLE, **kwargs)  # type: ignore[arg-type]


def verdict_of(acct: AccountData, subject: str = ALICE, inst: Instance | None = None,
               at: datetime = AT) -> Verdict:
    target = inst or (acct.instances[0] if acct.instances else instance())
    return decide(acct, REQ, subject, target, at).verdict


def one_user(*policies: Policy, inst: Instance | None = None,
             roles: Iterable[Role] = ROLES) -> AccountData:
    """Alice alone, with `policies`, and one instance."""
    return account(users=[user()], policies=policies, instances=[inst or instance()], roles=roles)


PROFILE = "iam-Profile-00000000-0000-0000-0000-000000000001"


def saml_rule(realm: str = FED_REALM, claim: str = "groups", operator: str = "CONTAINS",
              value: str = "sre") -> ProfileRule:
    return ProfileRule("ProfileRule-1", "sre from the IdP", "Profile-SAML", realm, 4,
                       (RuleClaim(claim, operator, value),))


def trusted_profile(iam_id: str = PROFILE, rules: Iterable[ProfileRule] = (),
                    links: Iterable[ProfileLink] = ()) -> TrustedProfile:
    return TrustedProfile("Profile-" + iam_id[-4:], iam_id, "sre-oncall", rules=tuple(rules),
                          links=tuple(links))


def claims_for(key: str, realm: str | None = FED_REALM, **claims: str | list[str]) -> Claims:
    """A --claims file naming one key (email, IAM ID or "*")."""
    return parse_claims(json.dumps({key: {"realm": realm, "claims": claims}}))
