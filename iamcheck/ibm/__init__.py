"""IBM Cloud through IBM's official SDKs: one module per API, each returning model values."""

from iamcheck.ibm._sdk import register_platform_services

# before any module of this package imports a service of the SDK
register_platform_services()
