"""Behaviours IBM's material does not settle: each is a setting, so a client can be tested
against every alternative (control API `/config`, or the seed's `guesses` object)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from iamcheck.emulator.errors import IbmError

RefuseAt = Literal["token", "connection"]

# setting -> (its alternatives, the default first; why it is a guess)
CHOICES: dict[str, tuple[tuple[Any, ...], str]] = {
    "stale_etag_status": ((412, 409), "a stale If-Match: IBM's SDKs say only that it must "
                          "match the ETag, and no IBM answer to a stale one was found"),
    "console_refusal": (("token", "connection"), "a stopped instance or a busy serial console: "
                        "IBM documents no code, and its wording (\"the connection can't be "
                        "established if the console is being used\") points at the connection; "
                        "`token` answers 409 at token creation, `connection` issues the token "
                        "and closes the socket 4004 / 4009"),
}


@dataclass
class Guesses:
    stale_etag_status: int = 412
    console_refusal: RefuseAt = "token"

    def update(self, settings: dict[str, Any]) -> None:
        """Apply `settings` (checked first: ValueError naming the bad one, nothing applied)."""
        for key, value in settings.items():
            check(key, value)
        for key, value in settings.items():
            setattr(self, key, value)

    def view(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in CHOICES}

    def answer(self, err: IbmError) -> IbmError:
        """`err` as the chosen alternative says it (a stale ETag: 412 or 409)."""
        if err.status == 412 and self.stale_etag_status == 409:
            return IbmError(409, "conflict", err.message, headers=err.headers)
        return err


def check(key: str, value: Any) -> None:
    if key not in CHOICES:
        raise ValueError(f"unknown guess '{key}'; known: {', '.join(CHOICES)}")
    allowed = CHOICES[key][0]
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"'{key}' must be one of {', '.join(map(str, allowed))}")


# Also guessed, without a setting (no client behaviour depends on the choice).
NOTES: dict[str, str] = {
    "403 code of a refused access group write": "`insufficient_permissions`: no IBM answer "
    "was found (a refused policy write is IBM's `insufficent_permissions`, spelled so)",
    "`apikey` of GET /v1/apikeys/details": "empty: the SDK's model requires the field, and "
    "IBM fills it with the key's value only when it creates a key",
    "401 for a token issued before another seed was loaded": "`invalid_token`: the token "
    "belongs to an account the emulator no longer serves",
}
