"""Output paths and the grant log against real files, devices and FIFOs (run as root in CI too)."""

from __future__ import annotations

import io
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamcheck.errors import BadInput
from iamcheck.outfile import open_log, open_output

IS_ROOT = os.geteuid() == 0
DEADLINE = 5.0  # seconds; a hang fails the test instead of blocking the suite


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _bounded(fn: object, *args: object) -> object:
    """Run `fn(*args)` in a thread and fail if it blocks (a FIFO open that hangs)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)  # type: ignore[operator]
        except BaseException as err:
            box["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    assert not worker.is_alive(), "blocked"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def reader(fifo: Path) -> Iterator[list[bytes]]:
    """A process-like reader on the FIFO, collecting what arrives."""
    got: list[bytes] = []
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def drain() -> None:
        # non-blocking: EOF before any writer came is not the end, EOF after data is
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                got.append(chunk)
            elif chunk == b"" and got:
                return
            else:
                time.sleep(0.01)

    worker = threading.Thread(target=drain, daemon=True)
    worker.start()
    yield got
    worker.join(DEADLINE)
    os.close(fd)


def _wait_for(got: list[bytes]) -> None:
    end = time.monotonic() + DEADLINE
    while not got and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.05)


# -o -----------------------------------------------------------------------------------------


def test_dash_is_stdout() -> None:
    out = open_output("-")
    buffer = io.StringIO()
    out.write("result\n", stdout=buffer)
    assert out.kind == "stdout" and buffer.getvalue() == "result\n"


def test_dash_file_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    open_output("-").write("x", stdout=io.StringIO())
    assert not (tmp_path / "-").exists()


def test_dev_fd_is_written_through_its_descriptor(tmp_path: Path) -> None:
    # `iamcheck audit -o /dev/stdout >> report.txt`: appended, the file neither replaced nor
    # truncated
    target = tmp_path / "report.txt"
    target.write_text("earlier\n")
    before = target.stat().st_ino
    fd = os.open(target, os.O_WRONLY | os.O_APPEND)
    try:
        out = open_output(f"/dev/fd/{fd}")
        assert out.kind == "stream"
        out.write("later\n")
    finally:
        os.close(fd)
    assert target.read_text() == "earlier\nlater\n" and target.stat().st_ino == before


def test_dev_fd_that_is_not_open_is_refused() -> None:
    with pytest.raises(BadInput, match="not an open descriptor"):
        open_output("/dev/fd/987")


@pytest.mark.parametrize("path", ["", "bad\x00name"])
def test_empty_or_nul_path_is_refused(path: str) -> None:
    with pytest.raises(BadInput) as err:
        open_output(path)
    assert "\n" not in str(err.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a directory"):
        open_output(str(tmp_path))


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        open_output(str(tmp_path / "missing" / "x.json"))


def test_file_as_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput):
        open_output(str(tmp_path / "file" / "x.json"))


def test_directory_iamcheck_cannot_create_in_is_refused_even_as_root() -> None:
    # procfs refuses new files to root too: the probe, not os.access, decides
    with pytest.raises(BadInput, match="cannot create files in /proc"):
        open_output("/proc/iamcheck-report.json")


@pytest.mark.skipif(IS_ROOT, reason="root may create files in a 0555 directory")
def test_read_only_directory_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(BadInput, match="cannot create files"):
            open_output(str(locked / "x.json"))
    finally:
        locked.chmod(0o755)


def test_new_file_is_written_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    old = os.umask(0o022)
    try:
        open_output(str(target)).write("{}\n")
    finally:
        os.umask(old)
    assert target.read_text() == "{}\n"
    assert _mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no probe or temp left


def test_existing_0644_file_keeps_its_mode_and_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o644)
    out = open_output(str(target))
    assert out.kind == "replace"
    before = target.stat().st_ino
    out.write("new")
    assert target.read_text() == "new" and _mode(target) == 0o644
    assert target.stat().st_ino != before  # atomic: a new file renamed over the old one


def test_existing_0640_file_keeps_0640(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    open_output(str(target)).write("new")
    assert _mode(target) == 0o640


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_root_replacing_someone_elses_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    os.chown(target, 65534, 65534)
    open_output(str(target)).write("new")
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


def test_hard_linked_file_is_written_in_place(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    os.link(target, tmp_path / "other-name")
    out = open_output(str(target))
    assert out.kind == "in_place"
    out.write("new")
    assert (tmp_path / "other-name").read_text() == "new"


def test_symlink_to_a_regular_file_replaces_the_target_not_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o604)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    open_output(str(link)).write("new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new" and _mode(real) == 0o604


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(BadInput, match="does not exist"):
        open_output(str(link))
    assert not (tmp_path / "nowhere.json").exists()


def test_dev_null_is_written_to_never_replaced() -> None:
    before = os.stat("/dev/null")
    out = open_output("/dev/null")
    assert out.kind == "stream"
    out.write("discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


def test_symlink_to_dev_null_is_written_through(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    open_output(str(link)).write("discarded")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_full_is_one_line_bad_input() -> None:
    out = open_output("/dev/full")
    with pytest.raises(BadInput, match="No space left on device") as err:
        out.write("x" * 10)
    assert "\n" not in str(err.value)


def test_fifo_without_reader_is_refused_at_once(fifo: Path) -> None:
    started = time.monotonic()
    with pytest.raises(BadInput, match="no process reads"):
        _bounded(open_output, str(fifo))
    assert time.monotonic() - started < DEADLINE
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_fifo_with_reader_is_written_to(fifo: Path, reader: list[bytes]) -> None:
    out = _bounded(open_output, str(fifo))
    assert getattr(out, "kind", None) == "stream"
    out.write("through the pipe\n")  # type: ignore[attr-defined]
    _wait_for(reader)
    assert b"".join(reader) == b"through the pipe\n"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_symlink_to_fifo_with_reader_is_written_through(
    tmp_path: Path, fifo: Path, reader: list[bytes]
) -> None:
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)
    open_output(str(link)).write("x")
    _wait_for(reader)
    assert b"".join(reader) == b"x" and link.is_symlink()


@pytest.mark.skipif(IS_ROOT, reason="root may write a 0444 file")
def test_read_only_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(BadInput, match="not writable"):
        open_output(str(target))


# --log --------------------------------------------------------------------------------------


def test_new_log_is_0600_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "grant.log"
    with open_log(str(path)) as log:
        log.append('{"action": "grant"}')
    with open_log(str(path)) as log:
        assert log.tightened_from is None
        log.append('{"action": "revoke"}')
    assert _mode(path) == 0o600
    assert path.read_text().splitlines() == ['{"action": "grant"}', '{"action": "revoke"}']


def test_world_readable_log_is_tightened_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "grant.log"
    path.write_text("earlier\n")
    path.chmod(0o644)
    with open_log(str(path)) as log:
        assert log.tightened_from == 0o644
        log.append("later")
    assert _mode(path) == 0o600
    assert path.read_text() == "earlier\nlater\n"


def test_symlinked_log_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.log"
    real.write_text("")
    link = tmp_path / "grant.log"
    link.symlink_to(real)
    with pytest.raises(BadInput, match="symlink"):
        open_log(str(link))
    dev_link = tmp_path / "null.log"
    dev_link.symlink_to("/dev/null")
    with pytest.raises(BadInput, match="symlink"):
        open_log(str(dev_link))


def test_log_on_a_fifo_without_reader_is_refused_at_once(fifo: Path) -> None:
    with pytest.raises(BadInput, match="no process reads"):
        _bounded(open_log, str(fifo))


def test_log_on_a_fifo_with_reader_is_written(fifo: Path, reader: list[bytes]) -> None:
    log = _bounded(open_log, str(fifo))
    log.append("entry")  # type: ignore[attr-defined]
    log.close()  # type: ignore[attr-defined]
    _wait_for(reader)
    assert b"".join(reader) == b"entry\n"


def test_log_on_dev_full_is_one_line_bad_input() -> None:
    with open_log("/dev/full") as log, pytest.raises(BadInput, match="--log /dev/full"):
        log.append("entry")


def test_log_dev_null_is_accepted_and_untouched() -> None:
    before = os.stat("/dev/null")
    with open_log("/dev/null") as log:
        log.append("entry")
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == stat.S_IMODE(before.st_mode)


@pytest.mark.parametrize("path", ["", "-"])
def test_log_needs_a_file_name(path: str) -> None:
    with pytest.raises(BadInput, match="give a file name"):
        open_log(path)


def test_log_directory_and_missing_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="directory"):
        open_log(str(tmp_path))
    with pytest.raises(BadInput, match="does not exist"):
        open_log(str(tmp_path / "missing" / "grant.log"))


def test_log_record_is_one_line(tmp_path: Path) -> None:
    with open_log(str(tmp_path / "grant.log")) as log, pytest.raises(ValueError):
        log.append("forged\nline")



def test_a_streamed_result_replaces_the_file_only_when_it_is_complete(tmp_path: Path) -> None:
    """`-o FILE` of a CSV or JSON audit is written as it is encoded (never built whole), and the
    old file stays until the last byte is written: a failure midway leaves it as it was."""
    path = tmp_path / "report.csv"
    path.write_text("old\n")
    path.chmod(0o640)

    class Midway(Exception):
        pass

    with pytest.raises(Midway), open_output(str(path)).opened() as out:
        out.write("kind,subject\r\n")
        raise Midway
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temporary left
    with open_output(str(path)).opened() as out:
        for n in range(3):
            out.write(f"row,{n}\r\n")
        assert path.read_text() == "old\n"  # not yet: written beside it, renamed at the end
    assert path.read_bytes() == b"row,0\r\nrow,1\r\nrow,2\r\n"  # no newline translation
    assert _mode(path) == 0o640
