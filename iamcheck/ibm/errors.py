"""What IBM's answers mean to iamcheck, beyond the exit codes of iamcheck.errors."""

from __future__ import annotations

from typing import Any

from iamcheck.errors import ApiFailure, NotAuthorized


class Refused(NotAuthorized):
    """A 403: signed in, but this identity may not read or do this (a gap, or exit 4)."""


class NotFound(ApiFailure):
    """A 404. A caller that expects one (a user or policy that may not exist) turns it into its
    own answer; anywhere else it ends the run like any other API failure (exit 5)."""


class Conflict(ApiFailure):
    """A 409: the change conflicts with what exists (for a policy: an identical one exists).
    `details` is IBM's error body, so the caller can find what it conflicts with."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
