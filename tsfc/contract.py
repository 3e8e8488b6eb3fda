"""The data contract: what the data looked like at fit time, and the checks new data must pass.

`record` describes the fitted data (the header's columns in order, time column, frequency,
per-column training range, spread and missing-value rate); the bundle keeps it as
``manifest["contract"]``. `check_series` compares data read for a bundle with it, before
`predict --data`, `evaluate FILE` (and any other verb reading new data) use them:

- errors (`DataError`, exit 3): a feed older than ``--max-age``; with ``--strict``, any note.
  A column the model reads that is missing, renamed or not numeric, and a different
  frequency, stop the reader itself (`columns_error` words the first; `data.load_csv` the others);
- notes: data that do not continue the bundle (a gap after its last timestamp, or ending
  before it), values far outside the training range, many more missing values than at fit
  time, and columns the model does not read that were dropped, added or reordered.

The file the bundle was fitted on (same SHA-256) is new data for none of these but ``--max-age``.
Bundles fitted before the contract existed have no ``contract``: their column, range and
missing-value checks are skipped; continuity and ``--max-age`` need only the timestamps.
No printing: callers show the notes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tsfc.errors import DataError, UsageError

VERSION = 1
FAR_SPREADS = 3.0  # a value beyond the training range by more than this many spreads is far outside
MISSING_JUMP = 0.10  # a missing-value rate this much above the fit-time rate is a note
NOW_ENV = "TSFC_NOW"  # a fixed "now" (ISO timestamp) for --max-age, so tests and replays need no clock


@dataclass(frozen=True)
class Checks:
    """How strictly to check new data: `strict` turns every note into an error; `max_age`
    refuses data whose last timestamp is older than now minus it; `now` defaults to
    ``$TSFC_NOW``, else the clock."""

    strict: bool = False
    max_age: pd.Timedelta | None = None
    now: pd.Timestamp | None = None

    @classmethod
    def from_options(cls, strict: bool = False, max_age: str | None = None, now=None) -> "Checks":
        """Checks from the command-line values (`--strict`, `--max-age 2d`).

        Raises:
            UsageError: `max_age` is not a positive duration, or `now`/``$TSFC_NOW`` not a time.
        """
        return cls(strict, None if max_age is None else parse_age(max_age), _parse_now(now))


def parse_age(text: str) -> pd.Timedelta:
    """A positive duration such as ``2d``, ``36h`` or ``90min`` (pandas' Timedelta spelling).

    Raises:
        UsageError: not a duration, or not positive.
    """
    try:
        age = pd.Timedelta(str(text).strip())
    except ValueError:
        age = None
    if age is None or pd.isna(age) or age <= pd.Timedelta(0):
        raise UsageError(f"--max-age must be a positive duration such as 2d, 36h or 90min, got {text!r}")
    return age


def _parse_now(value) -> pd.Timestamp | None:
    source = "now" if value is not None else NOW_ENV
    value = value if value is not None else os.environ.get(NOW_ENV) or None
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise UsageError(f"{source} must be a time such as 2024-06-01T12:00, got {value!r}")
    return stamp


def record(series, train_end: int) -> dict:
    """The contract of `series` (a `data.Series`) whose first `train_end` rows train the model.

    Keys: ``version``; ``header`` (the file's columns in order); ``time_col`` and ``freq``;
    ``utc`` (timestamps were converted to UTC); ``columns``: per column the model reads, the
    training rows' ``min``, ``max``, ``median``, ``iqr``, ``std`` and ``missing`` (the share
    of them that was empty in the file and filled).
    """
    train = series.values[:train_end].astype(np.float64)  # [rows, C]
    filled = series.filled[:train_end] if series.filled is not None else np.zeros(train.shape, bool)
    columns = {}
    for col, name in enumerate(series.columns):
        values = train[:, col]
        q25, median, q75 = np.percentile(values, [25, 50, 75])
        columns[name] = {
            "min": float(values.min()), "max": float(values.max()), "median": float(median),
            "iqr": float(q75 - q25), "std": float(values.std()),
            "missing": round(float(filled[:, col].mean()), 6),
        }
    return {
        "version": VERSION, "header": list(series.header), "time_col": series.date_col,
        "freq": series.freq, "utc": bool(series.utc), "columns": columns,
    }


def check_series(manifest: dict, series, checks: Checks | None = None) -> list[str]:
    """Check `series`, read for the bundle whose manifest is `manifest`, against its contract.

    Args:
        manifest: the bundle's manifest (``contract`` may be absent: older bundles).
        series: the `data.Series` read with the bundle's columns (`pipeline.load_like_bundle`).
        checks: `--strict`, `--max-age` and the time taken as now (default: no age limit, not strict).

    Returns:
        The notes, one sentence each (empty when the data keep the contract).

    Raises:
        DataError: the feed is stale (older than `checks.max_age`), or `checks.strict` and a note.
        UsageError: `checks.max_age` is set but the data have no timestamps.
    """
    checks = checks or Checks()
    contract = manifest.get("contract") or {}
    last = series.index[-1] if series.index is not None else None
    check_age(last, checks, series.utc, series.path)
    if series.sha256 and series.sha256 == (manifest.get("source") or {}).get("sha256"):
        return []  # the very file the bundle was fitted on: nothing new to check
    notes = _continuity(manifest, series)
    if contract:
        notes += _columns(contract, series.header)
        notes += _ranges(contract, series)
        notes += _missing(contract, series)
    if checks.strict and notes:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        raise DataError(f"{series.path}: {notes[0]}{more}; --strict makes this an error: fix the feed, "
                        "or leave out --strict to forecast anyway")
    return notes


def check_age(last, checks: Checks | None, utc: bool, where: str) -> None:
    """Raise when `last` (the data's last timestamp) is older than now minus ``checks.max_age``.

    `utc`: the timestamps are UTC (converted from time-zone-aware ones), else the machine's
    local clock. `where` names the data in the message.

    Raises:
        DataError: a stale feed. UsageError: a limit but no timestamps.
    """
    if checks is None or checks.max_age is None:
        return
    if last is None:
        raise UsageError(f"--max-age needs timestamps, but {where} is in row order (no time column); "
                         "leave out --max-age")
    last = pd.Timestamp(last)
    now = _now(checks.now if checks.now is not None else _parse_now(None), utc)
    if now - last > checks.max_age:
        raise DataError(
            f"{where}: stale feed: its last timestamp {last} is {_duration(now - last)} before now "
            f"({now:%Y-%m-%d %H:%M}{' UTC' if utc else ''}), more than --max-age {_duration(checks.max_age)}; "
            "check that the feed is still updated, or raise --max-age"
        )


def _now(now: pd.Timestamp | None, utc: bool) -> pd.Timestamp:
    """Now on the data's clock (naive): UTC for converted timestamps, else local time."""
    if now is None:
        now = pd.Timestamp.now(tz="UTC")
    if now.tz is None:
        return now
    local = dt.datetime.now().astimezone().tzinfo
    return now.tz_convert("UTC" if utc else local).tz_localize(None)


def _duration(delta: pd.Timedelta) -> str:
    """'3 days 4 hours', '90 minutes': the two largest units."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count > 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def _continuity(manifest: dict, series) -> list[str]:
    """Whether the data continue the bundle: no gap after its last timestamp, not ending before it."""
    stamp = manifest.get("last_timestamp")
    if series.index is None or not stamp or not len(series.index):
        return []
    last, first, end = pd.Timestamp(stamp), series.index[0], series.index[-1]
    if end < last:
        return [f"the data end at {end}, before the bundle's last timestamp {last} "
                "(the feed is behind the model)"]
    freq = manifest.get("freq") or series.freq
    if first <= last or not freq:  # irregular data: no step to tell a gap from the next row
        return []
    from tsfc.times import future_index

    following = future_index(last, freq, 1)  # the bundle's next timestamp
    if first <= following[0]:
        return []
    missing = len(pd.date_range(following[0], first, freq=following.freq)) - 1
    return [f"the data start at {first}, leaving {missing} timestamp{'s' if missing != 1 else ''} "
            f"missing after the bundle's last timestamp {last}"]


def _columns(contract: dict, header: list[str]) -> list[str]:
    """Columns the model does not read that were dropped, added or reordered since fit time."""
    fitted = list(contract.get("header") or [])
    if not fitted or not header or header == fitted:
        return []
    gone = [name for name in fitted if name not in header]
    new = [name for name in header if name not in fitted]
    if not gone and not new:
        return ["the columns are in a different order than at fit time (they are read by name)"]
    said = [f"missing {', '.join(gone)}" if gone else "", f"new {', '.join(new)}" if new else ""]
    return [f"the columns changed since fit time: {'; '.join(s for s in said if s)}"]


def _spread(stats: dict) -> float:
    """The column's typical spread: IQR, else std, else its magnitude (a constant column)."""
    return stats["iqr"] or stats["std"] or abs(stats["median"]) or 1.0


def _ranges(contract: dict, series) -> list[str]:
    """Values far outside the training range: how many, and the worst column."""
    known = contract.get("columns") or {}
    count, worst = 0, None  # worst: (spreads beyond, column, value, stats)
    for col, name in enumerate(series.columns):
        stats = known.get(name)
        if stats is None:
            continue
        values = series.values[:, col].astype(np.float64)
        spread = _spread(stats)
        beyond = np.maximum(stats["min"] - values, values - stats["max"]) / spread  # [rows]
        far = beyond > FAR_SPREADS
        count += int(far.sum())
        if far.any():
            at = int(np.argmax(beyond))
            if worst is None or beyond[at] > worst[0]:
                worst = (float(beyond[at]), name, float(values[at]), stats)
    if not count:
        return []
    spreads, name, value, stats = worst
    return [f"{count} value{'s' if count > 1 else ''} far outside the training range (more than "
            f"{FAR_SPREADS:g} spreads beyond it); worst {name} = {value:.6g}, {spreads:.0f} spreads "
            f"outside its training range [{stats['min']:.6g}, {stats['max']:.6g}]: a unit or sensor change?"]


def _missing(contract: dict, series) -> list[str]:
    """Columns with many more missing values (filled) than in the training rows."""
    if series.filled is None or not len(series.filled):
        return []
    known = contract.get("columns") or {}
    notes = []
    for col, name in enumerate(series.columns):
        stats = known.get(name)
        rate = float(series.filled[:, col].mean())
        if stats is not None and rate > stats["missing"] + MISSING_JUMP:
            notes.append(f"{name}: {rate:.0%} of the values are missing and were filled "
                         f"({stats['missing']:.0%} in the training rows)")
    return notes


def columns_error(manifest: dict, path, names: list[str]) -> DataError | None:
    """The error for a file whose header (`names`) lacks columns the bundle reads, else None.

    It lists the columns the bundle expects and those missing, and guesses renames: a new
    column at a missing one's place in the fitted header, or a close spelling.
    """
    time_cols = [] if not manifest["date_col"] else manifest["date_col"].split(",")
    expected = [*time_cols, *manifest["columns"]]
    missing = [name for name in expected if name not in names]
    if not missing:
        return None
    fitted = list((manifest.get("contract") or {}).get("header") or [])
    new = [name for name in names if name not in fitted] if fitted else [n for n in names if n not in expected]
    shown = []
    for name in missing:
        guess = None
        if fitted and len(names) == len(fitted) and name in fitted and names[fitted.index(name)] in new:
            guess = names[fitted.index(name)]
        else:
            close = difflib.get_close_matches(name, new, n=1, cutoff=0.6)
            guess = close[0] if close else None
        shown.append(f"{name} (renamed {guess!r}?)" if guess else name)
    return DataError(
        f"{Path(path).expanduser().resolve()}: does not match the bundle, which expects the columns "
        f"{', '.join(expected)}; missing: {', '.join(shown)}"
    )

