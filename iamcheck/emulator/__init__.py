"""A local stand-in for the IBM Cloud APIs iamcheck uses.

It imports nothing from iamcheck's client code, so it cannot mirror the client's mistakes.
"""

from iamcheck.emulator.backend import Backend
from iamcheck.emulator.faults import FaultPlan
from iamcheck.emulator.seed import SeedError, demo_seed, load_seed, validate_seed
from iamcheck.emulator.server import EmulatorServer

__all__ = [
    "Backend",
    "EmulatorServer",
    "FaultPlan",
    "SeedError",
    "demo_seed",
    "load_seed",
    "validate_seed",
]
