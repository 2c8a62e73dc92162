"""One TLS context for every SDK client of the process.

IBM's SDK core builds a TLS context for each client it constructs (its SSLHTTPAdapter: urllib3's
defaults, certifi's CA bundle, TLS 1.2 at least), some 40 ms of CPU each, and a `check`
constructs eight clients. The adapter below has the SDK's own adapter build that context once
per verification setting and hands the same one to every client: same settings, built once.
"""

from __future__ import annotations

import threading
from typing import Any

from ibm_cloud_sdk_core import base_service
from ibm_cloud_sdk_core.http_adapter import SSLHTTPAdapter
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter

_contexts: dict[bool, Any] = {}
_lock = threading.Lock()


class SharedContextAdapter(SSLHTTPAdapter):  # type: ignore[misc]
    def init_poolmanager(self, connections: int, maxsize: int, block: bool = DEFAULT_POOLBLOCK,
                         **pool_kwargs: Any) -> None:
        insecure = bool(self._disable_ssl_verification)
        with _lock:
            if insecure not in _contexts:
                built = SSLHTTPAdapter(_disable_ssl_verification=insecure)
                _contexts[insecure] = built.poolmanager.connection_pool_kw["ssl_context"]
            context = _contexts[insecure]
        HTTPAdapter.init_poolmanager(self, connections, maxsize, block, ssl_context=context,
                                     **pool_kwargs)


def share_tls_context() -> None:
    """Make every SDK client constructed from now on use the shared context."""
    base_service.SSLHTTPAdapter = SharedContextAdapter
