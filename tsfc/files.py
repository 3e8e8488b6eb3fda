"""Crash-safe file writing and the bundle lock.

Every file tsfc writes goes to a temporary file beside the target, is flushed and synced,
then renamed over the target: a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from tsfc.errors import BusyError, OutputError


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full; free space or write elsewhere"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied; choose a writable location"
    if exc.errno == errno.ENOENT:
        return "the directory does not exist; create it first"
    return exc.strerror or str(exc)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success sync it and rename it over `target`.

    On any exception (or signal turned into one) the temporary file is removed and `target`
    is left exactly as it was.

    Raises:
        OutputError: the directory is not writable, the disk is full, or the rename fails.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {target.absolute()}: {_describe(exc)}") from exc
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
        raise OutputError(f"cannot write {target.absolute()}: {_describe(exc)}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Atomically replace `target` with `data`."""
    with atomic_path(target) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {Path(target).absolute()}: {_describe(exc)}") from exc


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
            raise OutputError(f"cannot create lock {lock_path.absolute()}: {_describe(exc)}") from exc
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
