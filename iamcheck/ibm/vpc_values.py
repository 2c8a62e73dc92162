"""The values iamcheck.ibm.vpc builds from VPC answers, besides the model's Instance: plain
frozen data, no SDK, so that the pure console checks can use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ConsoleType = Literal["serial", "vnc"]


@dataclass(frozen=True)
class Region:
    name: str
    endpoint: str  # e.g. https://us-south.iaas.cloud.ibm.com (no /v1)



# Console: the image an instance boots from, and single-use console access tokens.


@dataclass(frozen=True)
class ImageInfo:
    """What the console pre-flight needs of an instance's image (or, if the image is gone, of
    its boot volume): who provides it and which operating system it holds."""

    name: str
    visibility: str  # "public": an IBM stock image; "private": a custom one; "": not known
    os_name: str
    os_family: str
    os_display_name: str
    architecture: str


@dataclass(frozen=True)
class ConsoleToken:
    access_token: str = field(repr=False)  # single use, valid 3 minutes: never logged
    console_type: ConsoleType
    created_at: str
    expires_at: str
    force: bool
    href: str
    version: str  # the API version the client sent; the WebSocket URL carries it too


