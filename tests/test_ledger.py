"""The forecast ledger: round trips, replacement, refusals, concurrent writers and a killed writer."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TINY_ARGS, write_hourly_csv
from tsfc import ledger
from tsfc.errors import BusyError, LedgerError, OutputError

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = {"target": "x", "columns": ["x"], "date_col": "date", "freq": "h"}


def entry(origin="2024-01-01T02:00:00", values=(1.0, 2.0, 3.0), sha="a" * 64, series="", bounds=()):
    """An `Entry` of one run: leads 1.. from the hour after `origin`."""
    hour = int(origin[11:13])
    rows = [(series, origin, lead, f"2024-01-01T{hour + lead:02d}:00:00", v) for lead, v in enumerate(values, 1)]
    return ledger.Entry(sha, "/models/model.tsfc", "x", MANIFEST, {"": 2.0}, len(values), None, "0.1.0",
                        rows, [(series, origin, lead, 80.0, lo, hi) for lead, lo, hi in bounds])


def record(path, *entries):
    for e in entries:
        with ledger.recording(path, e):
            pass


def rows(path):
    with sqlite3.connect(path) as con:
        return con.execute("SELECT f.series, f.origin, f.lead, f.value, r.id FROM forecasts f "
                           "JOIN runs r ON r.id = f.run ORDER BY f.origin, f.lead").fetchall()


def test_round_trip_and_the_same_origin_replaces_its_rows(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry(values=(1, 2, 3), bounds=[(1, 0.5, 1.5)]), entry(origin="2024-01-01T03:00:00"))
    record(db, entry(values=(7, 8)))  # the cron job run again for the same origin, shorter horizon
    got = rows(db)
    assert [(r[1], r[2], r[3]) for r in got] == [
        ("2024-01-01T02:00:00", 1, 7.0), ("2024-01-01T02:00:00", 2, 8.0),
        ("2024-01-01T03:00:00", 1, 1.0), ("2024-01-01T03:00:00", 2, 2.0), ("2024-01-01T03:00:00", 3, 3.0),
    ]
    forecasts, intervals, bundles = ledger.read(db)
    assert len(forecasts) == 5 and list(bundles) == ["a" * 64]
    assert bundles["a" * 64]["manifest"] == MANIFEST and bundles["a" * 64]["mase_scales"] == {"": 2.0}
    assert len(intervals) == 0  # the replaced run's bounds went with its forecasts
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2  # the replaced run is gone
        assert con.execute("PRAGMA user_version").fetchone()[0] == ledger.SCHEMA_VERSION
        assert con.execute("PRAGMA application_id").fetchone()[0] == ledger.APPLICATION_ID
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_other_bundles_and_series_are_kept_apart(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry(), entry(sha="b" * 64), entry(series="Sydney|Holiday"), entry(series="Sydney|Holiday"))
    assert sorted({(r[0], r[4]) for r in rows(db)}) == [("", 1), ("", 2), ("Sydney|Holiday", 4)]


def test_entry_of_reads_the_forecast_and_its_interval_columns():
    from types import SimpleNamespace

    import pandas as pd

    from tsfc.pipeline import Forecast

    index = pd.date_range("2024-03-31", periods=2, freq="h", name="date")
    frame = pd.DataFrame({"OT": [1.0, 2.0], "OT_lo_80": [0.5, 1.5], "OT_hi_80": [1.5, 2.5],
                          "OT_lo_95": [0.0, 1.0], "OT_hi_95": [2.0, 3.0]}, index=index)
    loaded = SimpleNamespace(manifest={"target": "OT", "freq": "h", "train_stats": {"mase_scale": {"mae": 0.7}}},
                             checksum="c" * 64, path="/m/model.tsfc", panel=None)
    got = ledger.entry_of(Forecast(frame, bundle=loaded, origins={"": "2024-03-30T23:00:00"}), "new.csv")
    assert got.forecasts == [("", "2024-03-30T23:00:00", 1, "2024-03-31T00:00:00", 1.0),
                             ("", "2024-03-30T23:00:00", 2, "2024-03-31T01:00:00", 2.0)]
    assert sorted(got.intervals) == [
        ("", "2024-03-30T23:00:00", 1, 80.0, 0.5, 1.5), ("", "2024-03-30T23:00:00", 1, 95.0, 0.0, 2.0),
        ("", "2024-03-30T23:00:00", 2, 80.0, 1.5, 2.5), ("", "2024-03-30T23:00:00", 2, 95.0, 1.0, 3.0)]
    assert (got.horizon, got.mase_scales, got.bundle_sha256) == (2, {"": 0.7}, "c" * 64)
    assert got.data_path.endswith("/new.csv") and os.path.isabs(got.data_path)


def test_intervals_are_stored_by_level(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry(bounds=[(1, 0.5, 1.5), (2, 1.0, 3.0)]))
    forecasts, intervals, _ = ledger.read(db)
    lead_of = dict(zip(forecasts["id"], forecasts["lead"]))
    assert sorted((lead_of[f], lv, lo, hi) for f, lv, lo, hi in intervals.itertuples(index=False)) == [
        (1, 80.0, 0.5, 1.5), (2, 80.0, 1.0, 3.0)]


def test_a_failure_inside_the_transaction_leaves_nothing(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry())
    with pytest.raises(RuntimeError):
        with ledger.recording(db, entry(values=(9, 9, 9))):
            raise RuntimeError("the forecast file could not be written")
    assert [r[3] for r in rows(db)] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("date,x\n2024-01-01,1\n" * 100), "not an SQLite database"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE songs (title TEXT)").connection.commit(), "another application"),
])
def test_foreign_files_are_refused_and_untouched(tmp_path, make, message):
    db = tmp_path / "f.db"
    make(db)
    before = db.read_bytes()
    for attempt in (lambda: record(db, entry()), lambda: ledger.read(db)):
        with pytest.raises(LedgerError, match=message) as caught:
            attempt()
        assert caught.value.exit_code == 4
    assert db.read_bytes() == before


def test_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry())
    with sqlite3.connect(db) as con:
        con.execute(f"PRAGMA user_version = {ledger.SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError, match="newer tsfc .*upgrade tsfc"):
        record(db, entry(origin="2024-01-01T05:00:00"))
    with pytest.raises(LedgerError, match="newer tsfc"):
        ledger.read(db)


def test_missing_ledger_and_unwritable_places(tmp_path):
    with pytest.raises(LedgerError, match="no ledger here"):
        ledger.read(tmp_path / "none.db")
    with pytest.raises(OutputError, match="does not exist"):
        record(tmp_path / "no" / "f.db", entry())
    with pytest.raises(OutputError, match="directory"):
        record(tmp_path, entry())


def test_a_writer_held_past_the_timeout_is_busy(tmp_path):
    db = tmp_path / "f.db"
    record(db, entry())
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BusyError) as caught:
            with ledger.recording(db, entry(origin="2024-01-01T04:00:00"), timeout=0.05):
                pass
        assert caught.value.exit_code == 75
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# ---------------------------------------------------------------- processes

@pytest.fixture
def cron(tmp_path, fitted_bundle):
    """A bundle, two data files with different ends and a ledger path, as two cron jobs see them."""
    write_hourly_csv(tmp_path / "early.csv", rows=400)
    write_hourly_csv(tmp_path / "late.csv", rows=410)
    return tmp_path


def predict(cron_dir, bundle, data, pause=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("TSFC_LEDGER", None)
    if pause is not None:
        env[ledger.PAUSE_ENV] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-m", "tsfc", "predict", "--bundle", str(bundle), "--data", str(data), "--horizon", "4",
         "--ledger", str(cron_dir / "f.db"), "--output", str(data.with_suffix(".out.csv"))],
        cwd=cron_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(path: Path, process) -> None:
    """Until `path` exists (the writer is inside its transaction), or fail if the writer died first."""
    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the writer never reached its transaction"
        time.sleep(0.02)


def origins(db):
    return sorted({r[1] for r in rows(db)})


def test_two_writers_at_once_both_succeed(cron, fitted_bundle):
    first_pause, second_pause = cron / "p1", cron / "p2"
    first_pause.mkdir()
    second_pause.mkdir()
    (second_pause / "release").touch()  # the second writer does not wait inside
    first = predict(cron, fitted_bundle, cron / "early.csv", first_pause)
    wait_for(first_pause / f"inside.{first.pid}", first)  # holds the write lock now
    second = predict(cron, fitted_bundle, cron / "late.csv", second_pause)
    wait_for(second_pause / f"begin.{second.pid}", second)  # about to wait for the first's lock
    assert second.poll() is None
    (first_pause / "release").touch()
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert origins(cron / "f.db") == ["2024-01-17T15:00:00", "2024-01-18T01:00:00"]
    assert len(rows(cron / "f.db")) == 8
    assert (cron / "early.out.csv").exists() and (cron / "late.out.csv").exists()


def test_a_writer_killed_mid_transaction_loses_and_corrupts_nothing(cron, fitted_bundle):
    done = predict(cron, fitted_bundle, cron / "early.csv")
    assert done.wait(timeout=120) == 0, done.communicate()
    before = rows(cron / "f.db")
    pause = cron / "pause"
    pause.mkdir()
    victim = predict(cron, fitted_bundle, cron / "late.csv", pause)
    wait_for(pause / f"inside.{victim.pid}", victim)  # its rows are written, not committed
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert not (cron / "late.out.csv").exists()  # the forecast file waits for the ledger's commit
    with sqlite3.connect(cron / "f.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert rows(cron / "f.db") == before
    again = predict(cron, fitted_bundle, cron / "late.csv")  # the lock died with the writer
    assert again.wait(timeout=120) == 0, again.communicate()
    assert origins(cron / "f.db") == ["2024-01-17T15:00:00", "2024-01-18T01:00:00"]


# ---------------------------------------------------------------- predict --ledger

def cli(*args, env=None):
    from typer.testing import CliRunner

    from tsfc.cli import app

    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def here(tmp_path, monkeypatch, fitted_bundle):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_LEDGER", raising=False)
    monkeypatch.setenv("TSFC_BUNDLE", str(fitted_bundle))
    return tmp_path


def test_predict_records_through_the_environment(here):
    done = cli("predict", "--horizon", "3", "--format", "csv", env={"TSFC_LEDGER": "env.db"})
    assert done.exit_code == 0, done.stderr
    assert [r[2] for r in rows(here / "env.db")] == [1, 2, 3]
    assert [r[3] for r in rows(here / "env.db")] == pytest.approx(
        [float(line.split(",")[1]) for line in done.stdout.splitlines()[1:]], abs=1e-4)


@pytest.mark.parametrize("ledger_path, code, fragment", [
    ("missing/f.db", 6, "does not exist"),
    ("foreign.db", 4, "not a tsfc ledger"),
])
def test_a_ledger_that_fails_leaves_no_forecast_file(here, ledger_path, code, fragment):
    (here / "foreign.db").write_text("not a database, but a note to self\n")
    done = cli("predict", "--horizon", "3", "--ledger", ledger_path, "--output", "next.csv")
    assert done.exit_code == code
    assert done.stderr.startswith("tsfc: error: ") and fragment in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (here / "next.csv").exists()


def test_a_bundle_without_time_cannot_be_recorded(here):
    (here / "rows.csv").write_text("v\n" + "".join(f"{i % 7}.5\n" for i in range(200)))
    assert cli("fit", "rows.csv", "-t", "v", "--date-col", "none", "--bundle", "rows.tsfc", *TINY_ARGS).exit_code == 0
    done = cli("predict", "--bundle", "rows.tsfc", "--ledger", "f.db", "--format", "csv")
    assert done.exit_code == 2 and "needs a bundle fitted on data with a time column" in done.stderr
    assert done.stdout == ""
