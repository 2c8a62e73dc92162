"""Reading a file the user named (an API key file, --expect, --from-snapshot, a plan): bounded
in size, never blocking past a timeout on a pipe or device, BadInput in one line otherwise."""

from __future__ import annotations

import os
import selectors
import stat
import time
from pathlib import Path

from iamcheck.errors import BadInput, printable


def read_bounded(path: str | Path, label: str, max_bytes: int, timeout: float, *,
                 devices: bool = True) -> tuple[bytes, int]:
    """The bytes of `path` (at most `max_bytes`) and its mode. A pipe or device is read until
    its end within `timeout`; `devices=False` accepts only regular files and pipes."""
    name = printable(str(path)[:200])
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as err:
        raise BadInput(f"{label}: cannot read {name} ({err.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise BadInput(f"{label}: {name} is a directory")
        if not (devices or stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise BadInput(f"{label}: {name} is not a regular file or a pipe")
        if stat.S_ISREG(mode):
            os.set_blocking(fd, True)
        data = _read(fd, None if stat.S_ISREG(mode) else mode, max_bytes, timeout)
    except OSError as err:
        raise BadInput(f"{label}: cannot read {name} ({err.strerror})") from None
    except _TimedOut as late:
        what = "was not closed" if late.got_data else "sent nothing"
        raise BadInput(f"{label}: {name} {what} within {timeout:g} s"
                       + ("" if late.got_data else " (a pipe with no writer?)")) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        size = f"{max_bytes // 1024} KiB" if max_bytes % 1024 == 0 else f"{max_bytes} bytes"
        raise BadInput(f"{label}: {name} is larger than {size}")
    return data, mode


class _TimedOut(Exception):
    def __init__(self, got_data: bool) -> None:
        self.got_data = got_data


def _read(fd: int, stream_mode: int | None, max_bytes: int, timeout: float) -> bytes:
    """Up to max_bytes + 1 bytes; a stream (pipe, device) waits for data within `timeout`."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + timeout
    # poll, not epoll: epoll refuses some devices (/dev/zero) that poll reports readable
    with selectors.PollSelector() as selector:
        if stream_mode is not None:
            selector.register(fd, selectors.EVENT_READ)
        while size <= max_bytes:
            if stream_mode is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _TimedOut(bool(chunks))
                if not selector.select(min(left, 0.05)):
                    continue
            try:
                chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                # a FIFO whose writer has not come yet reads as end-of-file too
                if stream_mode is not None and stat.S_ISFIFO(stream_mode) and not chunks:
                    time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
                    continue
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)
