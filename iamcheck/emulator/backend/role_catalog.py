"""IBM's role -> action table, as far as iamcheck needs it.

Source: IBM Cloud docs "IAM roles and actions" (sections `is.instance`, `is.bare-metal-server`,
`is.image`, `is.vpn-server`) and the VPC "Managing IAM access" role table. Only the
actions that matter for instances (plus the few other documented VPC service roles) are
listed; a role's actions on other services are left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORM = "crn:v1:bluemix:public:iam::::role:"
GENERIC_SERVICE = "crn:v1:bluemix:public:iam::::serviceRole:"
VPC_SERVICE = "crn:v1:bluemix:public:is::::serviceRole:"
IAM_IDENTITY_SERVICE = "crn:v1:bluemix:public:iam-identity::::serviceRole:"
# Service groups (`service_group_id` of GET /v2/roles): the services each one holds.
SERVICE_GROUPS: dict[str, tuple[str, ...]] = {
    "IAM": ("iam-identity", "iam-groups", "iam-access-management"),
}


@dataclass(frozen=True)
class CatalogRole:
    crn: str
    display_name: str
    description: str
    actions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.crn.rsplit(":", 1)[-1]


PLATFORM_ROLES: dict[str, tuple[str, str]] = {
    "Viewer": ("Viewer", "As a viewer, you can view service instances, but you can't modify them."),
    "Operator": ("Operator", "As an operator, you can perform platform actions required to "
                 "configure and operate service instances, such as viewing a service's dashboard."),
    "Editor": ("Editor", "As an editor, you can perform all platform actions except for managing "
               "the account and assigning access policies."),
    "Administrator": ("Administrator", "As an administrator, you can perform all platform actions "
                      "based on the resource this role is being assigned, including assigning "
                      "access policies to other users."),
}

GENERIC_SERVICE_ROLES: dict[str, tuple[str, str]] = {
    "Reader": ("Reader", "As a reader, you can perform read-only actions within a service such "
               "as viewing service-specific resources."),
    "Writer": ("Writer", "As a writer, you have permissions beyond the reader role, including "
               "creating and editing service-specific resources."),
    "Manager": ("Manager", "As a manager, you have permissions beyond the writer role to complete "
                "privileged actions as defined by the service. In addition, you can create and "
                "edit service-specific resources."),
}

_INSTANCE_READ = (
    "is.instance.instance.list",
    "is.instance.instance.read",
    "is.instance.instance-template.read",
)
_INSTANCE_OPERATE = (*_INSTANCE_READ, "is.instance.instance.operate")
_IMAGE_MANAGE = (
    "is.image.image.obsolete",
    "is.image.image.deprecate",
    "is.image.image.manage-allowed-use",
)
_INSTANCE_EDIT = (
    *_INSTANCE_OPERATE,
    "is.instance.instance.create",
    "is.instance.instance.update",
    "is.instance.instance.delete",
    "is.instance.instance-template.create",
    "is.instance.instance-template.update",
    "is.instance.instance-template.delete",
    *_IMAGE_MANAGE,
)

# Administrator on `is` may assign access to it (IBM's "IAM roles and actions", VPC).
_IAM_ADMIN = ("iam.policy.create", "iam.policy.update", "iam.policy.delete", "iam.role.assign")

# What each platform role carries on a service; roles absent here carry no listed action.
PLATFORM_ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "is": {
        "Viewer": _INSTANCE_READ,
        "Operator": _INSTANCE_OPERATE,
        "Editor": _INSTANCE_EDIT,
        "Administrator": (*_INSTANCE_EDIT, *_IAM_ADMIN),
    },
}

_CONSOLE_ADMIN_TEXT = (
    "As a console administrator, you can access the virtual server instance console. This role "
    "only provides console access and must be combined with another role that has operator "
    "access to the virtual server such as Operator, Editor or Administrator."
)

# Service-defined roles per service name, as GET /v2/roles?service_name=<name> lists them.
SERVICE_ROLES: dict[str, tuple[CatalogRole, ...]] = {
    "is": (
        CatalogRole(VPC_SERVICE + "VirtualServerConsoleAdmin", "Console Administrator",
                    _CONSOLE_ADMIN_TEXT, ("is.instance.instance.console",)),
        CatalogRole(VPC_SERVICE + "IPSpoofingOperator", "IP Spoofing Operator",
                    "As the IP spoofing operator, you can enable or disable the IP spoofing "
                    "check on virtual server instances. This role should only be granted if "
                    "necessary.", ("is.instance.instance.ip-spoofing",)),
        CatalogRole(VPC_SERVICE + "BareMetalConsoleAdmin", "Bare Metal Console Admin",
                    "As a console admin, you will be able to access the bare metal server "
                    "console.", ("is.bare-metal-server.bare-metal-server.console",)),
        CatalogRole(VPC_SERVICE + "BareMetalAdvancedNetworkOperator",
                    "Bare Metal Advanced Network Operator",
                    "As an advanced network operator, you will be permitted access to modify IP "
                    "Spoofing and Infrastructure NAT on bare metal interfaces",
                    ("is.bare-metal-server.bare-metal-server.ip-spoofing",
                     "is.bare-metal-server.bare-metal-server.infrastructure-nat")),
        CatalogRole(VPC_SERVICE + "VPNClient", "VPN Client",
                    "Users of the VPN server need this role to connect to the VPN server",
                    ("is.vpn-server.vpn-server.connect",)),
        CatalogRole(GENERIC_SERVICE + "Writer", "Writer", GENERIC_SERVICE_ROLES["Writer"][1],
                    _IMAGE_MANAGE),
        CatalogRole(GENERIC_SERVICE + "Manager", "Manager", GENERIC_SERVICE_ROLES["Manager"][1],
                    _IMAGE_MANAGE),
    ),
    # IAM Identity's own service roles (IBM's integration test expects ServiceIdCreator).
    "iam-identity": (
        CatalogRole(IAM_IDENTITY_SERVICE + "ServiceIdCreator", "Service ID creator",
                    "As a service ID creator, you can create service IDs.",
                    ("iam-identity.serviceid.create",)),
        CatalogRole(IAM_IDENTITY_SERVICE + "UserApiKeyCreator", "User API key creator",
                    "As a user API key creator, you can create API keys.",
                    ("iam-identity.apikey.create",)),
        CatalogRole(IAM_IDENTITY_SERVICE + "IdentityProviderAdministrator",
                    "Identity Provider Administrator",
                    "As an identity provider administrator, you can create, update and delete "
                    "identity providers for the account.", ("iam-identity.idp.manage",)),
    ),
    # Terraform asks for this pseudo-service for policies on all IAM-enabled services.
    "alliamserviceroles": tuple(
        CatalogRole(GENERIC_SERVICE + name, display, text)
        for name, (display, text) in GENERIC_SERVICE_ROLES.items()
    ),
}

# Descriptions IBM gives to the actions above (format=display needs one per action).
ACTION_DESCRIPTIONS: dict[str, str] = {
    "is.instance.instance.list": "List Virtual Server Instance",
    "is.instance.instance.read": "View Virtual Server Instance",
    "is.instance.instance.create": "Create Virtual Server Instance",
    "is.instance.instance.update": "Update Virtual Server Instance",
    "is.instance.instance.delete": "Delete Virtual Server Instance",
    "is.instance.instance.operate": "As an administrator, an editor or an operator, you can "
                                    "operate on a virtual server instance",
    "is.instance.instance-template.read": "View Virtual Server Instance Template",
    "is.instance.instance-template.create": "Create Virtual Server Instance Template",
    "is.instance.instance-template.update": "Update Virtual Server Instance Template",
    "is.instance.instance-template.delete": "Delete Virtual Server Instance Template",
    "is.instance.instance.ip-spoofing": "IP spoofing control for Virtual Server Instance",
    "is.instance.instance.console": "Access Virtual Server Instance Console",
    "is.bare-metal-server.bare-metal-server.console": "Access Bare Metal Server Console",
    "is.bare-metal-server.bare-metal-server.ip-spoofing": "IP spoofing control for Bare Metal "
                                                          "Server",
    "is.bare-metal-server.bare-metal-server.infrastructure-nat": "NAT control for Bare Metal "
                                                                "Server",
    "is.vpn-server.vpn-server.connect": "Connect to VPN server",
    "is.image.image.obsolete": "Set an image status to obsolete",
    "is.image.image.deprecate": "Set an image status to deprecated",
    "is.image.image.manage-allowed-use": "Manage an image's allowed use expressions",
}


def catalog_service(service_name: str | None) -> str | None:
    """The catalog entry a service name falls under: VPC child services (`is.instance`, ...)
    share the `is` roles."""
    if service_name is None:
        return None
    if service_name == "is" or service_name.startswith("is."):
        return "is"
    return service_name
