"""Issue 6, end to end: never lose a file, never run code from a file.

Every test drives `python -m tsfc` as a user (or cron) would and checks the invariants of a
failure: the documented exit code, one line on stderr naming the file and the fix, nothing on
stdout, no traceback, every pre-existing file byte-identical, no temporary files left behind.
Models are tiny (hidden 8, one layer, window 8) so the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tsfc import bundle as bundle_mod

ROOT = Path(__file__).resolve().parents[1]
# What cron gives a job (plus PYTHONPATH, to run this tree): no terminal, no locale, no home.
CRON = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
TINY = ["--hidden", "8", "--layers", "1", "--window", "8", "--patience", "0"]


def env(**extra) -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    e.pop("TSFC_BUNDLE", None)
    e.update(extra)
    return e


def tsfc(*args, cwd, environ=None, timeout=60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tsfc", *map(str, args)], cwd=cwd, env=environ or env(),
        capture_output=True, text=True, timeout=timeout, **kw,
    )


def start(*args, cwd, environ=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tsfc", *map(str, args)], cwd=cwd, env=environ or env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for_epoch(proc: subprocess.Popen) -> list[str]:
    """Read stderr until the first `epoch` line; return the lines read."""
    lines = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("tsfc: round "):
            return lines
    proc.kill()
    raise AssertionError(f"fit never reported an epoch: {''.join(lines)}")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def assert_one_error(proc, code: int, *fragments: str, stderr: str | None = None) -> str:
    """Exit `code`, empty stdout, and exactly one stderr line, an error holding every fragment."""
    err = proc.stderr if stderr is None else stderr
    assert proc.returncode == code, (proc.returncode, err)
    assert proc.stdout == "", proc.stdout
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tsfc: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def no_temporaries(directory: Path) -> None:
    left = [p.name for p in directory.iterdir() if p.name.endswith((".tmp", ".lock"))]
    assert left == [], left


def write_csv(path: Path, rows: int = 80, value=lambda i: math.sin(i / 5)) -> Path:
    lines = ["date,y"] + [f"2024-01-{1 + i // 24:02d} {i % 24:02d}:00:00,{value(i):.6g}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, bytes]:
    """One tiny bundle fitted once for the module: its CSV and its bytes."""
    d = tmp_path_factory.mktemp("trained")
    csv = write_csv(d / "tiny.csv")
    proc = tsfc("fit", csv, "--target", "y", *TINY, "--epochs", "1", "--bundle", "model.tsfc", "-q", cwd=d)
    assert proc.returncode == 0, proc.stderr
    return csv, (d / "model.tsfc").read_bytes()


@pytest.fixture
def work(tmp_path, trained) -> Path:
    """A directory holding tiny.csv and a valid model.tsfc."""
    csv, data = trained
    (tmp_path / "tiny.csv").write_bytes(csv.read_bytes())
    (tmp_path / "model.tsfc").write_bytes(data)
    return tmp_path


# ---------------------------------------------------------------- hostile bundles

def split_bundle(raw: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def join_bundle(header_text: str, body: bytes) -> bytes:
    data = header_text.encode()
    data += b" " * (-len(data) % 8)
    return struct.pack("<Q", len(data)) + data + body


def forge(raw: bytes, manifest_text: str) -> bytes:
    """Replace the manifest and recompute its checksum exactly as bundle.py does (a forger can)."""
    from safetensors.numpy import load

    header, body = split_bundle(raw)
    header["__metadata__"] = {
        "tsfc": manifest_text,
        "tsfc_sha256": bundle_mod._digest(manifest_text, load(raw)),
    }
    return join_bundle(json.dumps(header), body)


def edit_manifest(raw: bytes, change) -> bytes:
    header, _ = split_bundle(raw)
    manifest = json.loads(header["__metadata__"]["tsfc"])
    change(manifest)
    return forge(raw, json.dumps(manifest))


class MakesMarker:
    """Unpickling this opens (creates) the marker file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def hostile_bundles(raw: bytes, marker: str) -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, text the error must contain)."""
    payload = pickle.dumps({"weights": MakesMarker(marker)})
    header, body = split_bundle(raw)
    first = min(header[k]["data_offsets"][0] for k in header if k != "__metadata__")
    pickled_body = body[:first] + (payload * (len(body) // len(payload) + 1))[: len(body) - first]
    flipped = bytearray(raw)
    flipped[-5] ^= 0x10
    manifest = header["__metadata__"]["tsfc"]

    def set_cell(m):
        m["net"]["cell"] = "os.system"
        m["config"]["model"] = "os.system"

    return {
        "pickle-whole-file": (payload, "not a tsfc bundle"),
        "pickle-in-weights": (join_bundle(json.dumps(header), pickled_body), "checksum mismatch"),
        "bit-flip": (bytes(flipped), "checksum mismatch"),
        "truncated": (raw[: len(raw) - 100], "truncated"),
        "empty": (b"", "truncated"),
        "header-bomb": (struct.pack("<Q", 2**62) + raw[8:], "declares 4611686018427387904 bytes"),
        "manifest-nan": (forge(raw, manifest.replace('"best_val_loss": ', '"best_val_loss": NaN, "x": ', 1)),
                         "NaN is not valid JSON"),
        "manifest-duplicate-key": (forge(raw, manifest.replace('{', '{"target": "evil", ', 1)), "duplicate key"),
        "manifest-deep": (forge(raw, manifest[:-1] + ', "deep": ' + "[" * 10_000 + "]" * 10_000 + "}"),
                          "nested too deeply"),
        "header-deep": (join_bundle('{"a": ' + "[" * 10_000 + "]" * 10_000 + "}", body), "nested too deeply"),
        "manifest-huge-string": (edit_manifest(raw, lambda m: m.update(target="y" * 10_000_000)), "string"),
        "unknown-model": (edit_manifest(raw, set_cell), "unknown model type 'os.system'"),
        "newer-format": (edit_manifest(raw, lambda m: m.update(format_version=99)), "made by a newer tsfc"),
    }


def test_the_pickle_payload_is_live(tmp_path):
    """Guard for the tests below: unpickling the payload really creates the marker."""
    marker = tmp_path / "pwned"
    subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=pickle.dumps(MakesMarker(str(marker))), check=True, env=env())
    assert marker.exists()


# predict costs a second more per run than info, so it gets the cases that reach furthest.
PREDICT_TOO = {"pickle-whole-file", "pickle-in-weights", "unknown-model", "newer-format"}


def test_hostile_bundles_exit_4_and_run_nothing(tmp_path, trained):
    """Each hostile file is refused with exit 4 by info (and predict); no code from it ever runs,
    even with torch told to unpickle freely."""
    marker = tmp_path / "pwned"
    cases = hostile_bundles(trained[1], str(marker))
    environ = env(TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD="1")
    runs = [("info", name) for name in cases] + [("predict", name) for name in cases if name in PREDICT_TOO]
    for command, name in runs:
        data, expected = cases[name]
        path = tmp_path / f"{name}.tsfc"
        path.write_bytes(data)
        before = snapshot(tmp_path)
        proc = tsfc(command, "--bundle", path, cwd=tmp_path, environ=environ)
        line = assert_one_error(proc, 4, str(path.absolute()), expected)
        assert len(line) < 1000, (name, len(line))
        assert snapshot(tmp_path) == before, name
        assert not marker.exists(), name
    no_temporaries(tmp_path)


# ---------------------------------------------------------------- atomic writes and faults

def test_output_into_unwritable_places_exits_6_and_keeps_files(work):
    blocker = work / "not_a_dir"
    blocker.write_text("a regular file")
    before = snapshot(work)
    # Root ignores file modes, so unwritable means: a parent that is a file, a missing directory.
    proc = tsfc("predict", "--horizon", "3", "--output", blocker / "forecast.csv", cwd=work)
    assert_one_error(proc, 6, f"cannot write {blocker / 'forecast.csv'}", "not a directory", "--output")
    target = work / "missing" / "m.tsfc"
    proc = tsfc("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "1", "--bundle", target, cwd=work)
    assert_one_error(proc, 6, str(target), "does not exist", "--bundle")
    assert snapshot(work) == before
    no_temporaries(work)


def test_disk_full_during_replace_leaves_target_and_no_temporary(tmp_path, monkeypatch):
    """ENOSPC (simulated in-process: a tiny tmpfs needs root mounts) becomes OutputError, exit 6."""
    import errno

    from tsfc import files
    from tsfc.errors import EXIT_OUTPUT, OutputError

    target = tmp_path / "forecast.csv"
    target.write_bytes(b"old forecast\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    for name in ("replace", "fsync"):
        with monkeypatch.context() as m:
            m.setattr(files.os, name, full)
            with pytest.raises(OutputError, match="disk is full") as info:
                files.write_bytes(target, b"new forecast\n" * 1000, flag="--output")
        assert info.value.exit_code == EXIT_OUTPUT
        assert "--output" in str(info.value)
        assert target.read_bytes() == b"old forecast\n"
        assert [p.name for p in tmp_path.iterdir()] == ["forecast.csv"]


# ---------------------------------------------------------------- SIGKILL and concurrency

def test_sigkill_busy_wait_and_stale_leftovers(work):
    """One holder fit, killed with SIGKILL mid-training, shows four things:
    a second fit meanwhile exits 75 at once naming the holder's pid; the kill publishes nothing;
    the holder's lock file is no obstacle to a waiting fit (`--wait`), which then succeeds;
    and that fit removes temporaries left by dead or hours-old runs."""
    before = snapshot(work)
    holder = start("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "500", cwd=work)
    wait_for_epoch(holder)
    holder.send_signal(signal.SIGSTOP)  # holds the lock without burning CPU meanwhile
    t0 = time.monotonic()
    busy = tsfc("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "1", cwd=work)
    assert_one_error(busy, 75, str((work / "model.tsfc").absolute()), f"pid {holder.pid}", "--wait")
    assert time.monotonic() - t0 < 30  # at once: it never trains (this box may be very loaded)
    waiter = start("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "1", "-q", "--wait", cwd=work)
    time.sleep(1.0)
    assert waiter.poll() is None, waiter.stderr.read()
    holder.kill()
    holder.wait()
    # The waiter now needs seconds (importing torch, training) before it can publish anything.
    after = snapshot(work)
    assert after["model.tsfc"] == before["model.tsfc"]
    assert set(after) - set(before) <= {"model.tsfc.lock"}  # the dead holder's lock file
    # What a SIGKILL during the final rename could leave: temporaries of a dead pid, or hours old.
    dead = work / ".model.tsfc.999999999.abcd.tmp"
    old = work / f".model.tsfc.{os.getpid()}.efgh.tmp"
    live = work / f".model.tsfc.{os.getpid()}.ijkl.tmp"
    for p in (dead, old, live):
        p.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    assert (work / "model.tsfc").read_bytes() != before["model.tsfc"]
    assert not dead.exists() and not old.exists()
    assert live.exists()  # a fresh temporary of a running process is not ours to delete
    live.unlink()
    no_temporaries(work)
    assert tsfc("info", cwd=work).returncode == 0


# ---------------------------------------------------------------- signals

@pytest.mark.parametrize("sig, code, existing", [
    (signal.SIGINT, 130, False), (signal.SIGTERM, 143, True), (signal.SIGHUP, 129, True),
], ids=["SIGINT-no-bundle", "SIGTERM-old-bundle", "SIGHUP-old-bundle"])
def test_signal_during_fit_publishes_nothing(work, sig, code, existing):
    if not existing:
        (work / "model.tsfc").unlink()
    before = snapshot(work)
    environ = CRON if sig == signal.SIGINT else None  # and the progress lines under cron are plain
    proc = start("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "500", cwd=work, environ=environ)
    wait_for_epoch(proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert out == ""
    errors = [line for line in err.splitlines() if not line.startswith("tsfc: round ")]
    assert len(errors) == 1 and errors[0].startswith("tsfc: error: ") and "nothing was written" in errors[0], err
    assert "Traceback" not in err and "\r" not in err and "\x1b" not in err, repr(err)
    assert snapshot(work) == before
    no_temporaries(work)


def test_second_signal_raises_at_once():
    from tsfc.errors import Interrupted
    from tsfc.signals import StopSignals

    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested() == 143
        with pytest.raises(Interrupted) as info:
            os.kill(os.getpid(), signal.SIGHUP)
    assert info.value.exit_code == 129
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_broken_pipe_through_head(work):
    cmd = f"'{sys.executable}' -m tsfc predict --horizon 5000 | head -1; exit ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", cmd], cwd=work, env=env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("date,y\n") and proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


# ---------------------------------------------------------------- training failures

def test_diverging_training_exits_5_and_publishes_nothing(work):
    before = snapshot(work)
    proc = tsfc("fit", "tiny.csv", "--target", "y", *TINY, "--epochs", "3", "--lr", "1e30", cwd=work)
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("tsfc: round ")]
    assert proc.returncode == 5 and proc.stdout == "", proc.stderr
    assert len(errors) == 1 and "diverged" in errors[0] and "--lr" in errors[0], proc.stderr
    assert snapshot(work) == before
    no_temporaries(work)


def test_out_of_memory_on_auto_device_falls_back_to_cpu_once(work, monkeypatch):
    import torch

    from tsfc import pipeline, train
    from tsfc.config import FitConfig
    from tsfc.errors import OutOfMemory

    tried = []
    real = pipeline._train_on

    def fake_train_on(device, *args):
        tried.append(device.type)
        if device.type != "cpu":
            raise OutOfMemory("out of memory on cuda; lower --batch-size or use --device cpu")
        return real(device, *args)

    monkeypatch.setattr(train, "choose_device", lambda name: torch.device("cuda"))
    monkeypatch.setattr(pipeline, "_train_on", fake_train_on)
    notes = []
    config = FitConfig(window=8, hidden=8, layers=1, epochs=1, device="auto")
    summary = pipeline.fit_csv(work / "tiny.csv", "y", config, work / "new.tsfc", on_note=notes.append)
    assert tried == ["cuda", "cpu"] and summary.device == "cpu"
    assert len(notes) == 1 and "out of memory on cuda" in notes[0] and "--batch-size" in notes[0]

    config = FitConfig(window=8, hidden=8, layers=1, epochs=1, device="cuda")
    monkeypatch.setattr(train, "choose_device", lambda name: torch.device("cuda"))
    with pytest.raises(OutOfMemory, match="--batch-size"):
        pipeline.fit_csv(work / "tiny.csv", "y", config, work / "other.tsfc")
    assert not (work / "other.tsfc").exists()


# ---------------------------------------------------------------- cron

def test_cron_environment_plain_output(work):
    """(A fit under cron is the SIGINT case of test_signal_during_fit_publishes_nothing.)"""
    pred = tsfc("predict", "--horizon", "4", "--output", "forecast.csv", cwd=work, environ=CRON,
                stdin=subprocess.DEVNULL)
    assert pred.returncode == 0 and pred.stdout == "", pred.stderr
    for text in (pred.stderr, (work / "forecast.csv").read_text()):
        assert "\r" not in text and "\x1b" not in text, repr(text)
    assert (work / "forecast.csv").read_text().startswith("date,y\n")
    no_temporaries(work)


def test_error_path_is_never_wrapped(tmp_path):
    deep = tmp_path / ("a-rather-long-directory-name-" * 4) / "and-another-one" / "model.tsfc"
    for extra in ({"COLUMNS": "20", "TERM": "dumb"}, {"COLUMNS": "20", "NO_COLOR": "1", "TERM": "xterm-256color"}):
        proc = tsfc("info", "--bundle", deep, cwd=tmp_path, environ=env(**extra))
        line = assert_one_error(proc, 4, str(deep), "tsfc fit")
        assert "\x1b" not in line


def test_no_color_on_a_terminal(work):
    """On a pseudo-terminal with NO_COLOR set, the Rich table carries no colour codes."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child
        os.environ.update(env(NO_COLOR="1", TERM="xterm-256color"))
        os.chdir(work)
        os.execv(sys.executable, [sys.executable, "-m", "tsfc", "info"])
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "target" in text
    colours = [c for c in ("\x1b[3", "\x1b[9", "\x1b[38", "\x1b[4") if c in text]
    assert colours == [], repr(text)


# ---------------------------------------------------------------- absurd options and usage errors

@pytest.mark.parametrize("args, option", [
    (["predict", "--horizon", "0"], "--horizon"),
    (["fit", "tiny.csv", "-t", "y", "--window", "-1"], "--window"),
    (["fit", "tiny.csv", "-t", "y", "--lr", "nan"], "--lr"),
    (["fit", "tiny.csv", "-t", "y", "--lr", "inf"], "--lr"),
    (["fit", "tiny.csv", "-t", "y", "--epochs", "-1"], "--epochs"),
    (["fit", "tiny.csv", "-t", "y", "--batch-size", "-1"], "--batch-size"),
    (["fit", "tiny.csv", "-t", "y", "--split", "0.5,0.5,0.5"], "--split"),
    (["fit", "tiny.csv", "-t", "y", "--dropout", "1.5"], "--dropout"),
    (["fit", "tiny.csv", "-t", "y", "--no-such-option"], "--no-such-option"),
    (["fit", "tiny.csv"], "--target"),
    (["fit", "tiny.csv", "-t", "y", "--epochs", "many"], "--epochs"),
    (["frobnicate"], "frobnicate"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_absurd_options_exit_2_with_one_line(work, args, option):
    before = snapshot(work)
    proc = tsfc(*args, cwd=work)
    line = assert_one_error(proc, 2, option)
    assert "--help" in line or "must" in line, line
    assert snapshot(work) == before


def test_help_and_version_still_exit_0(work):
    assert tsfc("--version", cwd=work).stdout.startswith("tsfc ")
    for args in (["--help"], ["fit", "--help"], ["predict", "-h"]):
        proc = tsfc(*args, cwd=work)
        assert proc.returncode == 0 and "Usage" in proc.stdout, (args, proc.stderr)


# ---------------------------------------------------------------- --debug

def test_debug_shows_tracebacks(work):
    proc = tsfc("--debug", "predict", "--horizon", "0", cwd=work)
    assert proc.returncode == 2 and "Traceback" in proc.stderr and "UsageError" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("tsfc: error: --horizon")
    (work / "model.tsfc").write_bytes(b"\0" * 8)  # header length 0: not JSON at all
    proc = tsfc("--debug", "info", cwd=work)
    assert proc.returncode == 4 and "Traceback" in proc.stderr


def test_internal_error_is_one_line_and_debug_shows_it(work):
    """A bug (simulated: the library raises ZeroDivisionError) is exit 1 and one line; --debug adds the traceback."""
    buggy = ("import sys; from tsfc import pipeline, cli; pipeline.describe = lambda path: 1 / 0;"
             "sys.argv = ['tsfc', *sys.argv[1:]]; cli.main()")
    proc = subprocess.run([sys.executable, "-c", buggy, "info"], cwd=work, env=env(),
                          capture_output=True, text=True, timeout=60)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    assert len(lines) == 1 and lines[0].startswith("tsfc: internal error: ZeroDivisionError"), proc.stderr
    assert "--debug" in lines[0]
    proc = subprocess.run([sys.executable, "-c", buggy, "--debug", "info"], cwd=work, env=env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "ZeroDivisionError" in proc.stderr
