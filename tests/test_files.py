import os
import subprocess
import sys
import textwrap

import pytest

from tsfc.errors import BusyError, OutputError
from tsfc.files import atomic_path, locked, write_bytes


def test_atomic_path_replaces_target_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not published before the block ends
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_path_keeps_old_file_on_exception(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old bytes\x00\xff")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half written")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old bytes\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_path_creates_missing_target_and_keeps_mode(tmp_path):
    target = tmp_path / "new.json"
    write_bytes(target, b"{}")
    assert target.read_bytes() == b"{}"
    os.chmod(target, 0o640)
    write_bytes(target, b"[]")
    assert target.read_bytes() == b"[]" and (target.stat().st_mode & 0o777) == 0o640


def test_missing_directory_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_bytes(tmp_path / "no" / "such" / "out.csv", b"x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory_is_an_output_error(tmp_path):
    locked_dir = tmp_path / "ro"
    locked_dir.mkdir()
    (locked_dir / "out.csv").write_bytes(b"old")
    locked_dir.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            write_bytes(locked_dir / "out.csv", b"new")
        assert (locked_dir / "out.csv").read_bytes() == b"old"
    finally:
        locked_dir.chmod(0o755)


def test_lock_file_removed_after_release(tmp_path):
    target = tmp_path / "model.tsfc"
    lock = tmp_path / "model.tsfc.lock"
    with locked(target):
        assert lock.read_text() == str(os.getpid())
    assert not lock.exists()
    with locked(target):  # and it can be taken again
        pass
    assert not lock.exists()


def test_lock_held_by_another_process_raises_busy_naming_its_pid(tmp_path):
    target = tmp_path / "model.tsfc"
    holder_code = textwrap.dedent(
        f"""
        import sys
        from tsfc.files import locked
        with locked({str(target)!r}):
            print("held", flush=True)
            sys.stdin.readline()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BusyError, match=f"pid {holder.pid}\\b"):
            with locked(target):
                pass
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    assert not (tmp_path / "model.tsfc.lock").exists()
    with locked(target):  # free again once the holder released it
        pass


def test_permission_error_is_an_output_error(tmp_path, monkeypatch):
    # Runs as root too, where chmod cannot make a directory unwritable.
    import errno
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match="permission denied"):
        write_bytes(tmp_path / "out.csv", b"x")


def test_full_disk_at_rename_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OutputError, match="disk is full"):
        write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
