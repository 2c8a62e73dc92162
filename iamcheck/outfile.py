"""Output paths (`-o`, `--log`): checked before any IBM call, then written through.

`open_output` settles what a path is before the run reads the account: `-` is stdout, and
/dev/stdout, /dev/stderr, /dev/fd/N are written through the descriptor the process has; a
directory, `''`, a missing directory, a directory iamcheck cannot create files in, a FIFO
nobody reads and a socket are refused (BadInput, one line). A device or FIFO is opened there and
then, without blocking, and written to later; a regular file (or a name not there yet) is
written atomically at the end: a temporary file beside it, renamed over it, with the old file's
mode and owner. A symlink is followed: a link to a regular file gets its target replaced, the
link stays. A file with several hard links is written in place, so every name sees the result.

`open_log` opens the grant audit log for appending; see its docstring for the rules.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from iamcheck.errors import BadInput, printable

STDOUT = "-"
Kind = Literal["stdout", "replace", "in_place", "stream"]


def _shown(path: str | Path) -> str:
    return printable(str(path)[:200])


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _fail(option: str, path: str | Path, why: str) -> BadInput:
    return BadInput(f"{option} {_shown(path)}: {why}")


def _probe_directory(directory: Path, option: str, path: str) -> None:
    """Creating a file is the only test that holds as root and on read-only mounts."""
    if not directory.exists():
        raise _fail(option, path, f"directory {_shown(directory)} does not exist")
    if not directory.is_dir():
        raise _fail(option, path, f"{_shown(directory)} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".iamcheck-", dir=directory)
    except OSError as err:
        raise _fail(option, path, f"cannot create files in {_shown(directory)} "
                                  f"({_reason(err)})") from None
    os.close(fd)
    os.unlink(probe)


def _open_stream(path: str, option: str) -> int:
    """A device or FIFO, opened without blocking: a FIFO with no reader is refused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise _fail(option, path, "a FIFO that no process reads") from None
        raise _fail(option, path, f"cannot open ({_reason(err)})") from None
    os.set_blocking(fd, True)
    return fd


@dataclass
class OutputFile:
    """Where a result goes, settled before the run; written once (`write`, or `opened`)."""

    option: str
    shown: str
    kind: Kind
    target: Path | None = None  # the file to replace or rewrite (symlinks resolved)
    fd: int | None = None  # an open device or FIFO
    mode: int | None = None  # the existing file's permission bits
    owner: tuple[int, int] | None = None
    _done: bool = field(default=False, repr=False)

    def write(self, text: str, stdout: TextIO | None = None) -> None:
        """Write the whole result; any OSError is BadInput naming the path."""
        with self.opened(stdout) as out:
            out.write(text)

    @contextlib.contextmanager
    def opened(self, stdout: TextIO | None = None) -> Iterator[TextIO]:
        """The result's text stream, for a result written as it is encoded. A replaced file
        takes its place (mode, owner, fsync, rename) only when the block ends without an error;
        any OSError is BadInput naming the path."""
        tmp: str | None = None
        try:
            if self.kind == "stdout":
                out = stdout or sys.stdout
                yield out
                out.flush()
                return
            if self.kind == "stream":
                assert self.fd is not None
                fd = self.fd
            elif self.kind == "in_place":
                assert self.target is not None
                fd = os.open(self.target, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
            else:
                assert self.target is not None
                fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.",
                                           dir=self.target.parent)
            try:
                with open(fd, "w", encoding="utf-8", newline="", closefd=False) as text:
                    yield text
                if tmp is not None:
                    self._settle(fd)
            finally:
                if fd != self.fd:
                    os.close(fd)
            if tmp is not None:
                assert self.target is not None
                os.replace(tmp, self.target)
                tmp = None
        except OSError as err:
            raise _fail(self.option, self.shown, f"cannot write ({_reason(err)})") from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            self.close()

    def _settle(self, fd: int) -> None:
        """The new file's mode and owner: the old file's, or what a shell redirection makes."""
        if self.mode is not None:
            os.fchmod(fd, self.mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        if self.owner is not None and os.geteuid() == 0:
            os.fchown(fd, *self.owner)
        os.fsync(fd)

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# Names of a descriptor the process already has: written through that descriptor (its offset
# and O_APPEND, as a shell redirection set them), never reopened or replaced.
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STD_PATHS = {"/dev/stdout": 1, "/dev/stderr": 2}


def _inherited_fd(path: str) -> int | None:
    match = _FD_PATH.match(path)
    return int(match.group(1)) if match else _STD_PATHS.get(path)


def open_output(path: str, option: str = "-o") -> OutputFile:
    """Check an output path before any IBM call; see the module docstring for the rules."""
    if path == STDOUT:
        return OutputFile(option, path, "stdout")
    if not path:
        raise BadInput(f"{option}: an empty path; give a file name, or - for stdout")
    if "\x00" in path:
        raise _fail(option, path, "a path cannot hold a NUL character")
    inherited = _inherited_fd(path)
    if inherited is not None:
        try:
            return OutputFile(option, path, "stream", fd=os.dup(inherited))
        except OSError as err:
            raise _fail(option, path, f"not an open descriptor ({_reason(err)})") from None
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        if os.path.islink(path):
            raise _fail(option, path, f"a symlink to {_shown(os.readlink(path))}, which "
                                      "does not exist") from None
        target = Path(path)
        _probe_directory(target.parent, option, path)
        return OutputFile(option, path, "replace", target=target)
    except OSError as err:
        raise _fail(option, path, f"cannot use ({_reason(err)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(option, path, "is a directory; give a file name")
    if stat.S_ISSOCK(st.st_mode):
        raise _fail(option, path, "is a socket")
    if not stat.S_ISREG(st.st_mode):
        return OutputFile(option, path, "stream", fd=_open_stream(path, option))
    target = Path(os.path.realpath(path))
    if not os.access(target, os.W_OK):
        raise _fail(option, path, "not writable")
    if st.st_nlink > 1:
        return OutputFile(option, path, "in_place", target=target)
    _probe_directory(target.parent, option, path)
    return OutputFile(option, path, "replace", target=target,
                      mode=stat.S_IMODE(st.st_mode), owner=(st.st_uid, st.st_gid))


# The grant audit log ------------------------------------------------------------------------

LOG_MODE = 0o600


@dataclass
class LogFile:
    """An append-only log; `tightened_from` is the mode it had when iamcheck had to restrict it
    (the caller says so on stderr)."""

    option: str
    shown: str
    fd: int
    tightened_from: int | None = None
    regular: bool = True  # a regular file is synced after each record; a device or FIFO not

    def append(self, line: str) -> None:
        """One record, durable before this returns; a record is one line by construction
        (JSON, or text escaped with safe_text.for_terminal)."""
        if "\n" in line or "\r" in line:
            raise ValueError("a log record must be one line")
        try:
            _write_all(self.fd, (line + "\n").encode("utf-8"))
            if self.regular:
                os.fsync(self.fd)
        except OSError as err:
            raise _fail(self.option, self.shown, f"cannot write ({_reason(err)})") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_log(path: str, option: str = "--log") -> LogFile:
    """Open the grant log for appending, before any IBM call.

    - A symlink (as the last component) is refused: the log is an audit trail, often in a
      shared directory, and following a link would let whoever can write that directory send
      root's appends into any file.
    - A new log is created 0600; an existing regular log readable or writable by group or
      others is tightened to owner-only on the open descriptor (no race), and the caller is told.
      If iamcheck may not change its mode (not the owner), it is refused.
    - A FIFO with no reader is refused at once instead of blocking; devices are written to.
    - `-`, `''` and directories are refused; any OSError is BadInput, one line.
    """
    if not path or path == STDOUT:
        raise BadInput(f"{option}: give a file name for the log")
    if "\x00" in path:
        raise _fail(option, path, "a path cannot hold a NUL character")
    flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
             | os.O_CLOEXEC | os.O_NOCTTY)
    if os.path.islink(path):
        raise _fail(option, path, "is a symlink; give the log's real path")
    parent = Path(path).parent
    if not parent.is_dir():
        raise _fail(option, path, f"directory {_shown(parent)} does not exist")
    try:
        fd = os.open(path, flags, LOG_MODE)
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise _fail(option, path, "a FIFO that no process reads") from None
        if err.errno == errno.ELOOP:
            raise _fail(option, path, "is a symlink; give the log's real path") from None
        if err.errno == errno.EISDIR:
            raise _fail(option, path, "is a directory; give a file name") from None
        raise _fail(option, path, f"cannot open ({_reason(err)})") from None
    try:
        os.set_blocking(fd, True)
        st = os.fstat(fd)
        tightened = None
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
            tightened = stat.S_IMODE(st.st_mode)
            try:
                os.fchmod(fd, tightened & 0o700 | 0o600)
            except OSError as err:
                raise _fail(option, path, f"readable by others (mode {tightened:o}) and "
                                          f"iamcheck cannot restrict it ({_reason(err)})"
                            ) from None
    except BaseException:
        os.close(fd)
        raise
    return LogFile(option, path, fd, tightened, regular=stat.S_ISREG(st.st_mode))
