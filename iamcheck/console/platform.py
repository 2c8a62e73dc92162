"""What an instance's platform allows on its console (VPC-CONSOLE, ibm-iam-semantics.md §7.4)."""

from __future__ import annotations

import re

from iamcheck.ibm.vpc import ImageInfo
from iamcheck.model import Instance

_ZOS = re.compile(r"(?<![a-z0-9])z/?os(?![a-z0-9])", re.IGNORECASE)


def is_tdx(instance: Instance) -> bool:
    """TDX confidential computing disables VNC (serial remains)."""
    return instance.confidential_compute_mode == "tdx"


def is_zos(instance: Instance, image: ImageInfo | None) -> bool:
    """IBM publishes no z/OS operating-system name, so: s390x (necessary, not sufficient: Linux
    on Z exists) and `zos` in a name or `z/OS` in the family or display name."""
    architecture = (image.architecture if image else "") or instance.architecture
    if architecture != "s390x":
        return False
    names = [instance.image_name]
    if image is not None:
        names += [image.name, image.os_name, image.os_family, image.os_display_name]
    return any(_ZOS.search(name) for name in names if name)


def is_custom(image: ImageInfo) -> bool:
    """A custom image is private to the account; IBM's stock images are public and named
    `ibm-...`, which is all that is left to go by when only the boot volume could be read."""
    if image.visibility:
        return image.visibility != "public"
    return not image.name.startswith("ibm-")
