"""Crash-safe file writing and the bundle lock.

Every file tsfc writes goes to a temporary file beside the target, is flushed and synced,
then renamed over the target: a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from pathlib import Path
from typing import Iterator

from tsfc.errors import BusyError, OutputError


def _describe(exc: OSError, flag: str | None = None) -> str:
    """The problem in words, then the fix (naming `flag`, the option that chose the path)."""
    elsewhere = f"pass another {flag}" if flag else "write elsewhere"
    if exc.errno == errno.ENOSPC:
        return f"the disk is full; free space or {elsewhere}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not writable (permission denied); {elsewhere} in a writable directory"
    if exc.errno == errno.EISDIR:
        return f"it is a directory; {elsewhere} with a file name"
    if exc.errno == errno.ENOENT:
        return f"the directory does not exist; create it or {elsewhere}"
    if exc.errno == errno.ENOTDIR:
        return f"a parent of the path is not a directory; {elsewhere}"
    return f"{exc.strerror or exc}; {elsewhere}"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, flag: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success sync it and rename it over `target`.

    On any exception (or signal turned into one) the temporary file is removed and `target`
    is left exactly as it was. The temporary is named ``.<name>.<pid>.<random>.tmp``; only a
    SIGKILL can leave one behind, and the next write to `target` removes it (see
    `remove_stale_temporaries`).

    Args:
        flag: the option that named `target` (``--output``), quoted in error messages.

    Raises:
        OutputError: the directory is not writable, the disk is full, or the rename fails.
    """
    target = Path(target).absolute()
    directory = target.parent
    _check_target(target, flag)
    remove_stale_temporaries(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_describe(exc, flag)}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            fh.flush()
            os.fsync(fh.fileno())
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        _sync_dir(directory)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_describe(exc, flag)}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _check_target(target: Path, flag: str | None) -> None:
    """Name the common mistakes before trying: a directory as the target, a missing or read-only directory."""
    elsewhere = f"pass another {flag}" if flag else "write elsewhere"
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory; {elsewhere} with a file name")
    directory = target.parent
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"cannot write {target}: {directory} is not a directory; {elsewhere}")
    if not directory.exists():
        raise OutputError(f"cannot write {target}: the directory {directory} does not exist; create it or {elsewhere}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write {target}: the directory {directory} is not writable (permission denied); {elsewhere}"
        )


def write_bytes(target: str | os.PathLike, data: bytes, flag: str | None = None) -> None:
    """Atomically replace `target` with `data`; `flag` as in `atomic_path`."""
    with atomic_path(target, flag) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {Path(target).absolute()}: {_describe(exc, flag)}") from exc


STALE_SECONDS = 3600


def remove_stale_temporaries(target: Path) -> None:
    """Delete temporaries of `target` left by killed runs: their pid is dead, or they are over an hour old."""
    with contextlib.suppress(OSError):
        for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            pid = tmp.name[len(target.name) + 2 :].split(".", 1)[0]
            with contextlib.suppress(OSError):
                if not (pid.isdigit() and _alive(int(pid))) or time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                    tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:  # not a pid at all
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(target: str | os.PathLike, wait: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `target` (through `target.lock`) while the block runs.

    The lock is an advisory `flock`, released by the kernel when the process dies, so a
    killed run never leaves a stale lock behind. The lock file holds the holder's pid and is
    removed on release.

    Raises:
        BusyError: another process holds the lock and `wait` is false.
        OutputError: the lock file cannot be created.
    """
    target = Path(target)
    lock_path = target.with_name(target.name + ".lock")
    fd = _acquire(lock_path, target, wait)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()
        os.close(fd)


def _acquire(lock_path: Path, target: Path, wait: bool) -> int:
    import fcntl

    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError(f"cannot create lock {lock_path.absolute()}: {_describe(exc, '--bundle')}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BusyError(
                f"{target.absolute()} is being written by another tsfc run (pid {holder}); "
                "retry later or pass --wait"
            ) from None
        # The previous holder may have removed the file between our open and flock: retry on the new one.
        try:
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def keep_generations(target: str | os.PathLike, names: list[Path], flag: str | None = None) -> list[Path]:
    """Before `target` is replaced: shift the copies at `names` (newest first) one generation
    older, dropping the oldest, and copy `target` to ``names[0]``.

    Call it inside `atomic_path(target)`, after the new file is written and before its rename.
    Each step is atomic (a rename, or `write_bytes` of the copy), the oldest first, and `target`
    is replaced only after its copy is safe at ``names[0]``: a run killed midway leaves `target`
    untouched and at worst one generation missing or doubled; the file being replaced is never lost.

    Returns:
        The names that now hold a file, newest first (empty if `target` did not exist).

    Raises:
        OutputError: a rename or the copy failed (`target` is still untouched).
    """
    target = Path(target).absolute()
    if not names or not target.is_file():
        return []
    try:
        for older, newer in zip(reversed(names[1:]), reversed(names[:-1])):
            if newer.exists():
                os.replace(newer, older)
        data = target.read_bytes()
    except OSError as exc:
        raise OutputError(f"cannot keep the previous generations of {target}: {_describe(exc, flag)}") from exc
    write_bytes(names[0], data, flag)
    return [p for p in names if p.exists()]
