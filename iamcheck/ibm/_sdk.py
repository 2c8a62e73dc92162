"""IBM's platform-services SDK, one service module at a time.

The package's `__init__` imports all nineteen of its services whenever any one of them is
imported, some 0.2 s of a `check`'s CPU. Registered here without running that `__init__`,
`import ibm_platform_services.iam_identity_v1` loads that module alone (and the SDK core it
needs). The package's own `__init__` still runs, in full, the first time anyone asks the package
for a name it defines (`from ibm_platform_services import IamIdentityV1`), so other code in the
same process sees the package as IBM ships it.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

PACKAGE = "ibm_platform_services"


def register_platform_services() -> None:
    """Put the package in `sys.modules` unexecuted, unless it is already imported (or absent)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not installed: the import that needs it fails as it would have
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    once = threading.Lock()

    def run_init(name: str) -> object:
        # PEP 562: called only for a name the package does not have (yet)
        if name.startswith("__"):
            raise AttributeError(name)
        with once:
            if package.__dict__.pop("__getattr__", None) is not None:
                loader.exec_module(package)
        return getattr(package, name)

    package.__dict__["__getattr__"] = run_init
    sys.modules[PACKAGE] = package


