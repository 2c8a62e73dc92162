"""Exit codes and the errors that carry them: one place for the whole tool."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What `iamcheck` returns. The README's table is checked against this enum."""

    OK = 0  # allowed, or nothing to do
    FINDING = 1  # access missing, or an expectation not met
    BAD_INPUT = 2  # bad invocation or bad input, or an output it cannot write
    UNKNOWN = 3  # the verdict cannot be decided
    NOT_AUTHORIZED = 4  # iamcheck's own credentials are refused or may not read
    API_FAILURE = 5  # the IBM API or the network failed after retries
    INTERNAL_ERROR = 70  # a bug in iamcheck (sysexits' EX_SOFTWARE): never 1, which is "denied"
    INTERRUPTED = 130  # Ctrl-C


def printable(text: str) -> str:
    """`text` with control characters escaped, so that a message stays one line and cannot
    drive the terminal, whatever the input it quotes."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class IamcheckError(Exception):
    """An error the user can act on. `str(err)` is one line: what failed, what to do next."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class BadInput(IamcheckError):
    exit_code = ExitCode.BAD_INPUT


class NotAuthorized(IamcheckError):
    exit_code = ExitCode.NOT_AUTHORIZED


class ApiFailure(IamcheckError):
    exit_code = ExitCode.API_FAILURE


class Interrupted(IamcheckError):
    """Ctrl-C, seen by a worker thread: its read is abandoned and the run ends with 130."""

    exit_code = ExitCode.INTERRUPTED
