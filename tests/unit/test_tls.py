"""Every SDK client shares one TLS context (iamcheck/ibm/_tls.py), built by IBM's own adapter:
certificates and host names verified, TLS 1.2 at least; turning verification off for one
client (the SDK's setting) never reaches the others."""

from __future__ import annotations

import ssl
from typing import Any

from ibm_cloud_sdk_core.authenticators import NoAuthAuthenticator
from ibm_platform_services.iam_identity_v1 import IamIdentityV1
from ibm_platform_services.iam_policy_management_v1 import IamPolicyManagementV1

import iamcheck.ibm.session  # noqa: F401  (installs the shared context)


def _context(service: Any) -> ssl.SSLContext:
    adapter = service.get_http_client().get_adapter("https://iam.cloud.ibm.com")
    context: ssl.SSLContext = adapter.poolmanager.connection_pool_kw["ssl_context"]
    return context


def test_clients_of_different_services_share_one_verifying_context() -> None:
    one = IamIdentityV1(authenticator=NoAuthAuthenticator())
    other = IamPolicyManagementV1(authenticator=NoAuthAuthenticator())
    assert _context(one) is _context(other)
    context = _context(one)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's bundle is loaded


def test_disabling_verification_on_one_client_leaves_the_others_verifying() -> None:
    lax = IamIdentityV1(authenticator=NoAuthAuthenticator())
    lax.set_disable_ssl_verification(True)
    strict = IamIdentityV1(authenticator=NoAuthAuthenticator())
    assert _context(lax).verify_mode is ssl.CERT_NONE and not _context(lax).check_hostname
    assert _context(strict).verify_mode is ssl.CERT_REQUIRED and _context(strict).check_hostname
