"""The forecast ledger: every forecast `predict --ledger` issued, kept in one SQLite file.

Only this module opens SQLite (the standard library's sqlite3). The ledger is a plain SQLite
database that any SQLite tool can read; the README documents its tables:

- ``bundles``: one row per bundle file (by its SHA-256): its path, target, manifest (JSON, so `score`
  reads new data as that bundle did even after the bundle file is gone or replaced) and the
  MASE scale of each series (JSON);
- ``runs``: one row per `predict` run: bundle, bundle path, when issued (UTC), horizon, the
  data it continued from, tsfc version;
- ``forecasts``: one row per series and lead: run, bundle, series ('' for a bundle of one
  series), origin (the last observed timestamp), lead, target time, value;
- ``intervals``: a forecast's bounds at each level.

Writes run in WAL mode, one transaction per run, begun with ``BEGIN IMMEDIATE`` (a writer takes
the lock before it reads, so two writers queue instead of deadlocking) under a busy timeout:
two cron jobs at once both succeed, and a writer killed mid-transaction leaves the ledger as it
was. Forecasts of the same bundle, series and origin replace the earlier ones. The file is
marked as a tsfc ledger (``PRAGMA application_id``) and carries its schema version (``PRAGMA
user_version``): another application's database, a newer schema or a file that is not SQLite
is refused (`LedgerError`, exit 4).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tsfc.errors import BusyError, LedgerError, OutputError, UsageError

APPLICATION_ID = 0x74736663  # "tsfc" in ASCII: `PRAGMA application_id` of every ledger
SCHEMA_VERSION = 1
BUSY_SECONDS = 60.0  # how long a writer waits for another one before exit 75
PAUSE_ENV = "TSFC_TEST_LEDGER_PAUSE"  # tests only: a directory; the writer waits there inside its transaction

SCHEMA = (
    """CREATE TABLE bundles (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        target TEXT NOT NULL,
        manifest TEXT NOT NULL,
        mase_scales TEXT NOT NULL
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        bundle INTEGER NOT NULL REFERENCES bundles(id),
        bundle_path TEXT NOT NULL,
        issued TEXT NOT NULL,
        horizon INTEGER NOT NULL,
        data_path TEXT,
        tsfc_version TEXT NOT NULL
    )""",
    """CREATE TABLE forecasts (
        id INTEGER PRIMARY KEY,
        run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        bundle INTEGER NOT NULL REFERENCES bundles(id),
        series TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL,
        lead INTEGER NOT NULL,
        target_time TEXT NOT NULL,
        value REAL,
        UNIQUE (bundle, series, origin, lead)
    )""",
    "CREATE INDEX forecasts_run ON forecasts(run)",
    """CREATE TABLE intervals (
        forecast INTEGER NOT NULL REFERENCES forecasts(id) ON DELETE CASCADE,
        level REAL NOT NULL,
        lo REAL,
        hi REAL,
        PRIMARY KEY (forecast, level)
    ) WITHOUT ROWID""",
)


@dataclass
class Entry:
    """What one `predict` run adds to the ledger.

    `forecasts` rows are ``(series, origin, lead, target_time, value)``; `intervals` rows are
    ``(series, origin, lead, level, lo, hi)``. Times are ISO 8601 strings.
    """

    bundle_sha256: str
    bundle_path: str
    target: str
    manifest: dict
    mase_scales: dict  # series -> in-sample seasonal-naive MAE (None where undefined)
    horizon: int
    data_path: str | None
    tsfc_version: str
    forecasts: list[tuple] = field(default_factory=list)
    intervals: list[tuple] = field(default_factory=list)


def entry_of(forecast, data_path=None) -> Entry:
    """The ledger rows of a `pipeline.Forecast`: one series (a wide frame indexed by time) or many
    (long format: id columns, time, values); interval columns ``<target>_lo_<level>`` and
    ``<target>_hi_<level>`` become `intervals` rows.

    Raises:
        UsageError: the bundle has no time column, so its forecasts could never meet their actuals.
    """
    import re

    import numpy as np
    import pandas as pd

    from tsfc import __version__
    from tsfc.data import ID_SEP

    loaded, frame = forecast.bundle, forecast.frame
    m, target = loaded.manifest, loaded.manifest["target"]
    if not forecast.origins or any(o is None for o in forecast.origins.values()):
        raise UsageError("--ledger needs a bundle fitted on data with a time column: forecasts labelled by "
                         "step can never be matched with what happened; leave out --ledger")
    if forecast.id_cols:
        series = frame[forecast.id_cols[0]].astype(str)
        for col in forecast.id_cols[1:]:
            series = series + ID_SEP + frame[col].astype(str)
        series = series.to_numpy()
        times = frame[frame.columns[len(forecast.id_cols)]]
        lead = pd.Series(series).groupby(series, sort=False).cumcount().to_numpy() + 1
    else:
        series, times, lead = np.full(len(frame), ""), frame.index, np.arange(1, len(frame) + 1)
    unit = _time_unit(m.get("freq"))
    stamps = _iso(times, unit)
    origin_of = dict(zip(forecast.origins, _iso(list(forecast.origins.values()), unit)))
    origins = np.array([origin_of[s] for s in series]) if forecast.id_cols else np.full(len(frame), origin_of[""])
    keys = list(zip(series.tolist(), origins.tolist(), lead.tolist()))
    rows = [(*key, t, v) for key, t, v in zip(keys, stamps, frame[target].astype(float).tolist())]
    bounds = []
    for col in frame.columns:
        found = re.fullmatch(re.escape(target) + r"_lo_(\d+(?:\.\d+)?)", str(col))
        if found and f"{target}_hi_{found[1]}" in frame.columns:
            lo, hi = frame[col].astype(float).tolist(), frame[f"{target}_hi_{found[1]}"].astype(float).tolist()
            bounds += [(*key, float(found[1]), a, b) for key, a, b in zip(keys, lo, hi)]
    return Entry(
        bundle_sha256=loaded.checksum, bundle_path=loaded.path, target=target, manifest=m,
        mase_scales=_mase_scales(loaded), horizon=int(lead.max()) if len(lead) else 0,
        data_path=None if data_path is None else str(Path(data_path).expanduser().absolute()),
        tsfc_version=__version__, forecasts=rows, intervals=bounds,
    )


def _mase_scales(loaded) -> dict:
    """Each series' MASE denominator, as `evaluate` scales it (None where undefined)."""
    if loaded.panel is not None:
        return {sid: float(s) if s > 0 else None for sid, s in zip(loaded.panel.ids, loaded.panel.mase_scale)}
    stored = loaded.manifest.get("train_stats", {}).get("mase_scale") or {}
    return {"": stored.get("mae") or None}


def _time_unit(freq: str | None) -> str:
    """Whole seconds, unless the data's frequency is finer: the same text for the same time in every run."""
    import pandas as pd

    try:
        return "us" if pd.Timedelta(pd.tseries.frequencies.to_offset(freq)) < pd.Timedelta(1, "s") else "s"
    except (TypeError, ValueError):  # calendar frequencies (months) have no fixed length
        return "s"


def _iso(times, unit: str) -> list[str]:
    """ISO 8601 text of naive timestamps ('2024-03-31T00:00:00')."""
    import numpy as np
    import pandas as pd

    values = np.asarray(pd.to_datetime(pd.Series(times)), dtype="datetime64[ns]")
    return np.datetime_as_string(values, unit=unit).tolist()


@contextlib.contextmanager
def recording(path: str | os.PathLike, entry: Entry, timeout: float = BUSY_SECONDS) -> Iterator[None]:
    """Add `entry` to the ledger at `path` (created if absent) in one transaction.

    The rows are written on entering; the transaction commits when the block ends without an
    exception and rolls back otherwise, so whatever the block does (write the forecast file)
    and the ledger succeed or fail together.

    Raises:
        LedgerError: `path` is not a tsfc ledger, or one of a newer schema.
        BusyError: another run held the ledger for `timeout` seconds.
        OutputError: the ledger cannot be created or written (permissions, disk full).
    """
    path = Path(path).expanduser().absolute()
    con = _open(path, create=True, timeout=timeout)
    try:
        with _writing(path):
            _pause_for_tests("begin")
            con.execute("BEGIN IMMEDIATE")
            try:
                _insert(con, entry)
                _pause_for_tests("inside")
                yield
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    con.execute("ROLLBACK")
                raise
    finally:
        con.close()


def read(path: str | os.PathLike):
    """Every stored forecast, joined with its run, and the bundles and intervals behind them.

    Returns:
        ``(forecasts, intervals, bundles)``: a DataFrame with columns id, run, bundle, series,
        origin, lead, target_time, value, issued, bundle_path; a DataFrame with forecast, level,
        lo, hi; and ``{sha256: {"path", "target", "manifest", "mase_scales"}}``.

    Raises:
        LedgerError: missing, not a tsfc ledger, of a newer schema, or unreadable.
    """
    import pandas as pd

    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise LedgerError(f"{path}: no ledger here; record forecasts first with `tsfc predict --ledger {path}`")
    con = _open(path, create=False, timeout=BUSY_SECONDS)
    try:
        with _reading(path):
            con.execute("BEGIN")  # one snapshot for all three queries, while writers carry on
            # runs and bundles are few: joined here rather than repeated on every row SQLite hands over
            forecasts = pd.read_sql_query(
                "SELECT id, run, bundle, series, origin, lead, target_time, value FROM forecasts", con)
            runs = pd.read_sql_query("SELECT id, issued, bundle_path FROM runs", con).set_index("id")
            intervals = pd.read_sql_query("SELECT forecast, level, lo, hi FROM intervals", con)
            stored = con.execute("SELECT id, sha256, path, target, manifest, mase_scales FROM bundles").fetchall()
            con.execute("COMMIT")
    finally:
        con.close()
    forecasts["bundle"] = forecasts["bundle"].map({key: sha for key, sha, *_ in stored})
    forecasts["issued"] = forecasts["run"].map(runs["issued"])
    forecasts["bundle_path"] = forecasts["run"].map(runs["bundle_path"])
    bundles = {sha: {"path": p, "target": t, "manifest": json.loads(m), "mase_scales": json.loads(s)}
               for _, sha, p, t, m, s in stored}
    return forecasts, intervals, bundles


# ---------------------------------------------------------------- opening and checking

def _open(path: Path, *, create: bool, timeout: float):
    """A connection to the ledger at `path`, its format checked (and created when empty and `create`)."""
    import sqlite3

    if path.is_dir():
        raise OutputError(f"cannot use {path} as the ledger: it is a directory; pass --ledger with a file name")
    if create and not path.parent.is_dir():
        raise OutputError(f"cannot create the ledger {path}: the directory {path.parent} does not exist; "
                          "create it or pass another --ledger")
    try:
        # isolation_level=None: no implicit transactions; this module says BEGIN and COMMIT itself
        con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot open the ledger {path}: {exc}; pass another --ledger") from None
    try:
        with _writing(path) if create else _reading(path):
            con.execute("PRAGMA foreign_keys = ON")
            if _check(con, path) == 0:
                if not create:
                    raise LedgerError(f"{path}: an empty database, not a tsfc ledger; record forecasts first "
                                      f"with `tsfc predict --ledger {path}`")
                _create(con, path)
    except BaseException:
        con.close()
        raise
    return con


def _check(con, path: Path) -> int:
    """The ledger's schema version, 0 for an empty database; refuse anything else that is not ours."""
    import sqlite3

    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):
            raise
        raise LedgerError(f"{path}: not a tsfc ledger (not an SQLite database: {exc}); pass another --ledger") from None
    if app == 0 and tables == 0:
        return 0
    if app != APPLICATION_ID:
        raise LedgerError(f"{path}: not a tsfc ledger (an SQLite database of another application); "
                          "pass another --ledger")
    if version > SCHEMA_VERSION:
        raise LedgerError(f"{path}: made by a newer tsfc (ledger schema {version}, this tsfc reads up to "
                          f"{SCHEMA_VERSION}); upgrade tsfc")
    if version < 1:
        raise LedgerError(f"{path}: a tsfc ledger without a schema version (damaged?); pass another --ledger")
    return version


def _create(con, path: Path) -> None:
    """Create the tables in an empty database, unless a concurrent run has just done so."""
    con.execute("PRAGMA journal_mode = WAL")  # persistent: set once, outside any transaction
    con.execute("BEGIN IMMEDIATE")
    try:
        if _check(con, path) == 0:
            for statement in SCHEMA:
                con.execute(statement)
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _writing(path: Path):
    """SQLite's failures while writing, as tsfc's errors: busy is exit 75, the rest exit 6."""
    import sqlite3

    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BusyError(f"{path}: the ledger is held by another tsfc run; retry later") from None
        raise OutputError(f"cannot write the ledger {path}: {exc}; free space, fix permissions or "
                          "pass another --ledger") from None
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: cannot use the ledger ({exc}); pass another --ledger") from None


@contextlib.contextmanager
def _reading(path: Path):
    import sqlite3

    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BusyError(f"{path}: the ledger is held by another tsfc run; retry later") from None
        raise LedgerError(f"{path}: cannot read the ledger ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: cannot read the ledger ({exc}); is it a tsfc ledger?") from None


# ---------------------------------------------------------------- writing

def _insert(con, entry: Entry) -> None:
    """The run's rows; forecasts of the same bundle, series and origin replace earlier ones."""
    import datetime as dt

    found = con.execute("SELECT id FROM bundles WHERE sha256 = ?", (entry.bundle_sha256,)).fetchone()
    if found is None:
        bundle = con.execute(
            "INSERT INTO bundles (sha256, path, target, manifest, mase_scales) VALUES (?, ?, ?, ?, ?)",
            (entry.bundle_sha256, entry.bundle_path, entry.target, json.dumps(entry.manifest, allow_nan=False),
             json.dumps(entry.mase_scales, allow_nan=False)),
        ).lastrowid
    else:
        bundle = found[0]
    issued = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    run = con.execute(
        "INSERT INTO runs (bundle, bundle_path, issued, horizon, data_path, tsfc_version) VALUES (?, ?, ?, ?, ?, ?)",
        (bundle, entry.bundle_path, issued, entry.horizon, entry.data_path, entry.tsfc_version),
    ).lastrowid
    keys = sorted({(bundle, series, origin) for series, origin, *_ in entry.forecasts})
    replaced = set()
    for key in keys:
        replaced.update(r for (r,) in con.execute(
            "SELECT DISTINCT run FROM forecasts WHERE bundle = ? AND series = ? AND origin = ?", key))
    con.executemany("DELETE FROM forecasts WHERE bundle = ? AND series = ? AND origin = ?", keys)
    con.executemany(  # runs left with no forecast of their own
        "DELETE FROM runs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM forecasts WHERE run = ?)",
        [(r, r) for r in replaced],
    )
    con.executemany(
        "INSERT INTO forecasts (run, bundle, series, origin, lead, target_time, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(run, bundle, *row) for row in entry.forecasts],
    )
    con.executemany(
        "INSERT INTO intervals (forecast, level, lo, hi) SELECT id, ?, ?, ? FROM forecasts "
        "WHERE bundle = ? AND series = ? AND origin = ? AND lead = ?",
        [(level, lo, hi, bundle, series, origin, lead) for series, origin, lead, level, lo, hi in entry.intervals],
    )


def _pause_for_tests(where: str) -> None:
    """With $TSFC_TEST_LEDGER_PAUSE set to a directory, tests race or kill a writer at two points:
    "begin" (about to take the write lock) only leaves a file `begin.<pid>` there; "inside" (rows
    written, not committed) leaves `inside.<pid>` and waits for a file `release` (at most a minute)."""
    directory = os.environ.get(PAUSE_ENV)
    if not directory:
        return
    Path(directory, f"{where}.{os.getpid()}").touch()
    if where != "inside":
        return
    deadline = time.monotonic() + 60
    while not Path(directory, "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
