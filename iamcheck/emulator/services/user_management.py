"""(stub: to be written)"""

from __future__ import annotations

from iamcheck.emulator.routing import Endpoint

ENDPOINTS: list[Endpoint] = []
