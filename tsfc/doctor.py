"""`tsfc doctor`: profile a CSV without training, and suggest the `tsfc fit` command for it.

It reads with fit's reader: `data.read_table` finds the dialect, encoding, header and time
column with the same code as `data.load_csv`, and the suggested target is then loaded by
`load_csv` itself, so what doctor accepts fit accepts, and what would stop fit is reported
as a problem. Many series in one long table (duplicate timestamps) are told apart by the
columns whose combination makes each timestamp unique. No printing: `render.print_doctor`
shows the `Report`.
"""

from __future__ import annotations

import itertools
import shlex
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

MAX_ID_COLUMNS = 4  # the largest combination of columns tried as the ids of many series
MAX_ID_CANDIDATES = 8
MAX_SERIES_SCORED = 500  # seasonality of many series: the median over at most this many
STRONG, MODERATE = 0.6, 0.3  # seasonal strength words


@dataclass
class Report:
    """What `doctor` found; `to_dict` is its --json (keys documented in the README)."""

    path: str
    encoding: str
    separator: str
    decimal: str
    thousands: str | None
    rows: int
    columns: list[dict]  # name, kind (time | numeric | text | row numbers), missing, stats
    time: dict | None  # column, first, last, span, frequency, missing_timestamps, largest_gap, duplicates, sorted
    series: dict  # ids (None: one series), count, rows_min, rows_max
    seasonality: list[dict]  # period, strength, autocorrelation, default
    target: str | None
    suggestion: dict | None  # argv, command, plan
    problems: list[str] = field(default_factory=list)  # what would stop the suggested `tsfc fit`
    notes: list[str] = field(default_factory=list)  # what fit would change (sorting, filling)

    def to_dict(self) -> dict:
        return asdict(self)


def diagnose(path, *, target: str | None = None, date_col: str | None = None, options=None) -> Report:
    """Profile the CSV at `path` and suggest how to fit it.

    Args:
        target: the column to forecast (default: the first numeric column).
        date_col, options: as for `data.load_csv` (they are repeated in the suggested command).

    Raises:
        DataError: the file cannot be read as fit would read it (the message is fit's), or
            `target` is not a column.
        UsageError: contradictory options.
    """
    from tsfc.data import ReadOptions, missing_column, read_table

    options = options or ReadOptions()
    table = read_table(path, date_col, options)
    if target is not None and target not in table.header:
        raise missing_column(table.path, target, table.numeric or table.header, "--target")
    target = target or next(iter(table.numeric), None)
    problems = [str(message) for message in table.not_numeric.values()]
    notes = list(table.notes)
    stamps = None if table.times is None else pd.DatetimeIndex(table.times)
    ids = find_ids(table.frame, stamps, table.numeric) if stamps is not None and stamps.has_duplicates else None
    time, groups = _time_profile(table, stamps, ids, notes)
    series = _series_profile(groups, ids)
    loaded = None
    if target is None:
        problems.append("no numeric column to forecast; fit needs one for --target")
    elif ids is None:
        loaded = _load(path, target, date_col, options, problems)
        if loaded is not None:
            notes += [n for n in loaded.notes if n not in notes]
    suggestion = None
    if target is not None:
        rows, freq = (len(loaded.values), loaded.freq) if loaded is not None else (series["rows_min"], time and time["frequency"])
        suggestion = _suggest(str(path), target, ids, date_col, options, rows, freq, problems)
    values = _target_series(table, stamps, target, groups, loaded, time)
    default = suggestion["plan"]["season"] if suggestion else 1
    return Report(
        path=str(table.path), encoding=table.encoding, separator=table.sep, decimal=options.decimal,
        thousands=options.thousands, rows=len(table.frame), columns=_columns(table), time=time, series=series,
        seasonality=_seasonality(values, time and time["frequency"], default), target=target,
        suggestion=suggestion, problems=problems, notes=notes,
    )


def _load(path, target, date_col, options, problems: list[str]):
    """The target as fit reads it, or None with fit's error among the problems."""
    from tsfc.data import load_csv
    from tsfc.errors import DataError

    try:
        return load_csv(path, target, date_col=date_col, options=options)
    except DataError as exc:
        problems.append(str(exc))
        return None


# ---------------------------------------------------------------- columns and time

def _columns(table) -> list[dict]:
    out = []
    for name in table.header:
        if name == table.row_numbers:
            out.append({"name": name, "kind": "row numbers", "missing": 0})
        elif name in table.time_cols:
            out.append({"name": name, "kind": "time", "missing": 0})
        elif name in table.numeric:
            column = table.frame[name]
            present = column.dropna().to_numpy(dtype=np.float64)
            stats = {"min": None, "max": None, "mean": None, "std": None}
            if len(present):
                stats = {"min": float(present.min()), "max": float(present.max()),
                         "mean": float(present.mean()), "std": float(present.std())}
            out.append({"name": name, "kind": "numeric", "missing": int(column.isna().sum()), **stats})
        else:
            column = table.frame[name]
            out.append({"name": name, "kind": "text", "missing": int(column.isna().sum()),
                        "distinct": int(column.nunique())})
    return out


def find_ids(frame: pd.DataFrame, stamps: pd.DatetimeIndex, numeric: list[str]) -> list[str] | None:
    """The columns that tell many series apart: with the time, their values make each row unique.

    Candidates are label columns: text, or whole numbers, with more than one value and fewer
    values than rows. The smallest combination that works is taken, text before numbers, then
    the candidates constant within each of its series are added (a region's state), in file
    order. None when no combination of up to `MAX_ID_COLUMNS` works.
    """
    rows = len(frame)

    def label(name: str) -> bool:
        column = frame[name]
        distinct = column.nunique()
        if not 1 < distinct < rows:
            return False
        return name not in numeric or bool((column.dropna() % 1 == 0).all())

    candidates = [name for name in frame.columns if label(name)]
    candidates.sort(key=lambda name: name in numeric)  # text first, file order kept otherwise
    candidates = candidates[:MAX_ID_CANDIDATES]
    keyed = frame[candidates].assign(**{"\0time": stamps.asi8})
    for size in range(1, min(MAX_ID_COLUMNS, len(candidates)) + 1):
        for combo in itertools.combinations(candidates, size):
            if not keyed.duplicated(list(combo) + ["\0time"]).any():
                grouped = frame.groupby(list(combo), sort=False, dropna=False)
                extra = [name for name in candidates if name not in combo
                         and int(grouped[name].nunique(dropna=False).max()) == 1]
                chosen = set(combo) | set(extra)
                return [name for name in frame.columns if name in chosen]
    return None


def _time_profile(table, stamps, ids, notes: list[str]):
    """(the time section of the report or None, the row positions of each series in time order)."""
    if stamps is None:
        return None, [np.arange(len(table.frame))]
    from tsfc.times import infer_freq

    if ids:
        grouped = table.frame.groupby(ids, sort=False, dropna=False).indices
        groups = [rows[np.argsort(stamps[rows], kind="stable")] for rows in grouped.values()]
    else:
        groups = [np.argsort(stamps, kind="stable")]
    longest = max(groups, key=len)
    index = pd.DatetimeIndex(stamps[longest]).unique()
    found: list[str] = []
    freq = infer_freq(index, None, found)
    notes += [n for n in found if n not in notes]
    missing, largest = 0, 0
    if freq is not None:
        for rows in groups:
            own = pd.DatetimeIndex(stamps[rows]).unique()
            steps = _steps(own, freq)
            missing += int((steps - 1).clip(min=0).sum())
            largest = max(largest, int(steps.max(initial=1)) - 1)
    first, last = stamps.min(), stamps.max()
    return {
        "column": ",".join(table.time_cols), "first": first.isoformat(), "last": last.isoformat(),
        "span": str(last - first), "frequency": freq,
        "missing_timestamps": missing if freq is not None else None,
        "largest_gap": largest if freq is not None else None,
        "duplicates": int(stamps.duplicated().sum()),
        "sorted": bool(all((np.diff(rows) > 0).all() for rows in groups)),
        "utc": table.utc,
    }, groups


def _steps(index: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Grid steps between consecutive timestamps (1 = no gap)."""
    from tsfc.times import offset

    grid = pd.date_range(index[0], index[-1], freq=offset(freq))
    return np.diff(grid.get_indexer(index))


def _series_profile(groups, ids) -> dict:
    lengths = [len(rows) for rows in groups]
    return {"ids": ids, "count": len(groups), "rows_min": min(lengths), "rows_max": max(lengths)}


# ---------------------------------------------------------------- seasonality

def season_strength(values: np.ndarray, period: int) -> dict | None:
    """How seasonal `values` are at `period`: None with fewer than two whole periods.

    ``strength`` is 1 - var(remainder) / var(detrended) of a classical decomposition (trend: a
    centred moving average over one period; season: the mean detrended value at each phase),
    the measure of Wang, Smith and Hyndman (2006) with that decomposition in place of STL:
    0 is none, near 1 is a clean cycle. ``autocorrelation`` is at lag `period`.
    """
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if period < 2 or n < 2 * period + 1 or not np.isfinite(x).all():
        return None
    if period % 2:
        kernel = np.full(period, 1.0 / period)
    else:  # a 2 x m moving average: centred on a row for even periods
        kernel = np.r_[0.5, np.ones(period - 1), 0.5] / period
    trend = np.convolve(x, kernel, mode="valid")  # [n - 2h], centred at rows h .. n-1-h
    half = (len(kernel) - 1) // 2
    rows = np.arange(half, n - half)
    detrended = x[rows] - trend
    phase = rows % period
    seasonal = np.bincount(phase, detrended, minlength=period) / np.maximum(np.bincount(phase, minlength=period), 1)
    seasonal -= seasonal.mean()
    remainder = detrended - seasonal[phase]
    spread = detrended.var()
    centred = x - x.mean()
    total = float(centred @ centred)
    return {
        "period": period,
        "strength": round(max(0.0, 1.0 - remainder.var() / spread), 4) if spread > 0 else 0.0,
        "autocorrelation": round(float(centred[period:] @ centred[:-period]) / total, 4) if total > 0 else 0.0,
    }


def _periods(freq: str | None, default: int) -> list[int]:
    """The fit's season, and the next cycle up where it is common: a week of sub-daily rows, a year of days."""
    from tsfc.times import offset, season_for

    periods = [default] if default > 1 else []
    by_freq = season_for(freq)
    if by_freq > 1 and by_freq not in periods:
        periods.append(by_freq)
    try:
        step = pd.Timedelta(offset(freq)) if freq else None
    except (ValueError, TypeError):
        step = None
    if step is not None and by_freq > 1 and step * by_freq == pd.Timedelta(days=1):
        periods.append(7 * by_freq)
    elif step == pd.Timedelta(days=1):
        periods.append(365)
    return list(dict.fromkeys(periods))


def _target_series(table, stamps, target, groups, loaded, time) -> list[np.ndarray]:
    """The target of each series on its regular grid, gaps and missing values interpolated."""
    if target is None or target not in table.numeric:
        return []
    if loaded is not None:
        return [loaded.values[:, 0]]
    from tsfc.times import offset

    column = table.frame[target].to_numpy(dtype=np.float64)
    out = []
    for rows in groups[:MAX_SERIES_SCORED]:
        values = pd.Series(column[rows])
        if stamps is not None and time["frequency"]:
            own = pd.DatetimeIndex(stamps[rows])
            if own.has_duplicates:
                continue
            values.index = own
            values = values.reindex(pd.date_range(own[0], own[-1], freq=offset(time["frequency"])))
        values = values.interpolate(limit_direction="both").to_numpy()
        if np.isfinite(values).all():
            out.append(values)
    return out


def _seasonality(values: list[np.ndarray], freq: str | None, default: int) -> list[dict]:
    """Strength and autocorrelation at each candidate period; the median over many series."""
    found = []
    for period in _periods(freq, default):
        scores = [s for v in values if (s := season_strength(v, period)) is not None]
        if scores:
            found.append({
                "period": period,
                "strength": round(float(np.median([s["strength"] for s in scores])), 4),
                "autocorrelation": round(float(np.median([s["autocorrelation"] for s in scores])), 4),
                "default": period == default,
            })
    return found


def strength_word(strength: float) -> str:
    return "strong" if strength >= STRONG else "moderate" if strength >= MODERATE else "weak"


# ---------------------------------------------------------------- the suggestion

def _suggest(path: str, target: str, ids, date_col, options, rows: int, freq, problems: list[str]) -> dict:
    """The `tsfc fit` command for this file, and what fit would choose with it (`defaults.plan`)."""
    from tsfc.config import FitConfig
    from tsfc.defaults import plan
    from tsfc.windows import rows_needed

    argv = ["tsfc", "fit", path, "--target", target]
    if ids:
        argv += ["--id-col", ",".join(ids)]
    if date_col is not None:
        argv += ["--date-col", date_col]
    for flag, value, default in (("--sep", options.sep, None), ("--decimal", options.decimal, "."),
                                 ("--thousands", options.thousands, None), ("--encoding", options.encoding, None),
                                 ("--date-format", options.date_format, None), ("--skip-rows", options.skip_rows, 0)):
        if value != default:
            argv += [flag, str(value)]
    config = FitConfig()
    chosen = plan(config, rows, freq)
    needed = rows_needed(chosen.window, chosen.block, config.split)
    if rows < needed:
        problems.append(f"{rows} rows{' in the shortest series' if ids else ''} is too few to fit with the "
                        f"default split; need at least {needed} rows")
    return {
        "argv": argv,
        "command": shlex.join(argv),
        "plan": {"season": chosen.season, "horizon": chosen.horizon, "window": chosen.window,
                 "block": chosen.block, "rows": rows, "reasons": dict(chosen.reasons)},
    }
