"""Many series in one long table: grouping by id, per-series scaling, balanced window sampling.

A `Panel` keeps every series' rows one after another in a single array, so one global
network trains on windows drawn from all of them and predicts them all in one batched roll:
a window never crosses from one series into the next because every start is chosen inside
its own series. Each series is sorted, checked and filled on its own (`group`), split in
time order with the same fractions (`splits`) and scaled on its own training rows
(`scalers`), so nothing of one series' future leaks into its scaling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tsfc.errors import DataError
from tsfc.windows import Split

MAX_VAL_WINDOWS = 8192  # validation windows checked each round (a seeded sample beyond that)
SHOWN = 5  # ids named in a note before "and N more"


@dataclass
class Panel:
    """Every series of a long table, regular and gap-free, one after another."""

    values: np.ndarray  # [rows, C] float32: series s is rows offsets[s]:offsets[s + 1]
    offsets: np.ndarray  # [S + 1] int64
    ids: list[str]  # each series' id (the id columns' values joined by data.ID_SEP)
    id_cols: list[str]
    columns: list[str]  # target, then features
    last: np.ndarray | None  # [S] datetime64[ns]: each series' last timestamp (None: row order)
    freq: str | None
    date_col: str | None
    notes: list[str] = field(default_factory=list)
    path: str = ""
    sha256: str = ""

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series(self, s: int) -> np.ndarray:
        """Rows [n, C] of series `s` (a view)."""
        return self.values[self.offsets[s] : self.offsets[s + 1]]

    def index(self, s: int):
        """The timestamps of series `s` (None without a time column or frequency)."""
        import pandas as pd

        if self.last is None or self.freq is None:
            return None
        from tsfc.times import _modern

        n = int(self.offsets[s + 1] - self.offsets[s])
        return pd.date_range(end=pd.Timestamp(self.last[s]), periods=n, freq=_modern(self.freq))


def read_panel(path, target: str, id_cols: list[str], features=None, date_col=None, options=None,
               freq: str | None = None) -> Panel:
    """Read a long-format CSV and group it into a `Panel` (see `group`)."""
    from tsfc.data import read_long

    return group(read_long(path, target, id_cols, features=features, date_col=date_col, options=options), freq)


def group(table, freq: str | None = None) -> Panel:
    """Sort a `data.LongTable` by series and time, then check, trim and fill each series on its own.

    Args:
        table: the rows as read.
        freq: the frequency every series must have (a fitted bundle's), or None to infer it
            from the longest series.

    Raises:
        DataError: a duplicate timestamp within a series, a series off the common frequency's
            grid, or one whose gaps would need too many invented rows (each names the series).
    """
    import pandas as pd

    codes, uniques = pd.factorize(table.ids)  # ids in order of first appearance
    if table.times is None:
        order = np.argsort(codes, kind="stable")
    else:
        order = np.lexsort((table.times.view("int64"), codes))
    notes = list(table.notes)
    moved = int((order != np.arange(len(order))).sum())
    if moved:
        notes.append(f"sorted {moved} rows into series and time order")
    codes, values, rows = codes[order], table.values[order], table.rows[order]
    stamps = None if table.times is None else table.times[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1, [len(codes)]])
    if stamps is not None:
        _check_duplicates(table.path, uniques, codes, stamps, rows)
        freq = _common_freq(table.path, stamps, bounds, freq, notes)
    filler = _Filler(table.path, table.columns, freq)
    parts, ids, last, empty = [], [], [], []
    for s in range(len(bounds) - 1):
        a, b = bounds[s], bounds[s + 1]
        filled = filler.series(str(uniques[s]), values[a:b], None if stamps is None else stamps[a:b])
        if filled is None:
            empty.append(str(uniques[s]))
            continue
        parts.append(filled[0])
        ids.append(str(uniques[s]))
        last.append(filled[1])
    if empty:
        notes.append(f"left out {len(empty)} series where {table.columns[0]} is empty in every row: {_names(empty)}")
    if not parts:
        raise DataError(f"{table.path}: no series has a value of {table.columns[0]}; pass --target with a filled column")
    notes += filler.notes()
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    return Panel(
        values=np.ascontiguousarray(np.concatenate(parts), dtype=np.float32),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        ids=ids, id_cols=table.id_cols, columns=table.columns,
        last=None if stamps is None else np.array(last, dtype="datetime64[ns]"),
        freq=freq, date_col=table.date_col, notes=notes, path=str(table.path), sha256=table.sha256,
    )


def _names(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


def _check_duplicates(file, uniques, codes, stamps, rows) -> None:
    dup = (np.diff(codes) == 0) & (np.diff(stamps.view("int64")) == 0)
    if dup.any():
        at = int(np.argmax(dup))
        import pandas as pd

        first, second = sorted((int(rows[at]), int(rows[at + 1])))
        raise DataError(
            f"{file}: series {uniques[codes[at]]!r} has the timestamp {pd.Timestamp(stamps[at])} twice, "
            f"at rows {first} and {second}; remove or aggregate the duplicate rows, or add the column "
            "that tells them apart to --id-col"
        )


def _common_freq(file, stamps, bounds, expected: str | None, notes: list[str]) -> str | None:
    """The frequency of the longest series (or `expected`), which every series must share."""
    import pandas as pd

    from tsfc import times

    longest = int(np.argmax(np.diff(bounds)))
    index = pd.DatetimeIndex(stamps[bounds[longest] : bounds[longest + 1]])
    return times.infer_freq(index, expected, notes)


class _Filler:
    """Per-series trimming and filling, counting what it changed for one note per kind."""

    def __init__(self, file, columns: list[str], freq: str | None):
        from pandas.tseries.frequencies import to_offset

        from tsfc.times import _modern

        self.file, self.columns, self.freq = file, columns, freq
        self.offset = None if freq is None else to_offset(_modern(freq))
        self.counts: dict[str, list[int]] = {}  # kind -> [rows or values, series]

    def _count(self, kind: str, n: int) -> None:
        if n:
            total = self.counts.setdefault(kind, [0, 0])
            total[0] += n
            total[1] += 1

    def series(self, sid: str, values: np.ndarray, stamps):
        """(filled values [n, C], last timestamp) of one series, or None if its target is empty."""
        import pandas as pd

        from tsfc.data import _fill_missing, _fill_timestamps

        present = np.flatnonzero(~np.isnan(values[:, 0]))
        if len(present) == 0:
            return None
        first, end = int(present[0]), int(present[-1]) + 1
        self._count("leading", first)
        self._count("trailing", len(values) - end)
        values = values[first:end]
        last = None
        inserted = np.zeros(len(values), dtype=bool)
        if stamps is not None:
            stamps = stamps[first:end]
            last = stamps[-1]
            if self.offset is not None and not self._regular(stamps):
                index = pd.DatetimeIndex(stamps)
                self._check_grid(sid, index)
                _, values, inserted = _fill_timestamps(f"{self.file}: series {sid!r}", index, values, self.freq, [])
                self._count("timestamps", int(inserted.sum()))
        missing = np.isnan(values)
        if missing.any():
            values = values.copy()
            _fill_missing(values, self.columns, inserted, [])
            for col, name in enumerate(self.columns):
                self._count(f"values:{name}", int((missing[:, col] & ~inserted).sum()))
        return values, last

    def _regular(self, stamps) -> bool:
        """Whether the timestamps step exactly by a fixed-length frequency (the fast, common case)."""
        import pandas as pd

        if not isinstance(self.offset, pd.offsets.Tick):
            return False
        return bool(np.all(np.diff(stamps.view("int64")) == pd.Timedelta(self.offset).value))

    def _check_grid(self, sid: str, index) -> None:
        import pandas as pd

        grid = pd.date_range(index[0], index[-1], freq=self.offset)
        off = ~index.isin(grid)
        if off.any():
            raise DataError(
                f"{self.file}: series {sid!r} has the timestamp {index[off][0]}, off the {self.freq} grid the "
                "other series share; resample that series, or fit it on its own"
            )

    def notes(self) -> list[str]:
        out = []
        for kind, (n, k) in self.counts.items():
            where = f"in {k} series" if k > 1 else "in 1 series"
            if kind in ("leading", "trailing"):
                out.append(f"dropped {n} {kind} rows where {self.columns[0]} is empty {where}")
            elif kind == "timestamps":
                out.append(f"filled {n} gaps ({self.freq}) {where} by linear interpolation")
            else:
                out.append(f"filled {n} missing values of {kind.split(':', 1)[1]} {where} by linear interpolation")
        return out


# --- splitting, scaling, sampling -------------------------------------------------

def splits(lengths: np.ndarray, fractions) -> list[Split]:
    """Each series' own time-ordered split, with the same fractions."""
    return [Split.from_fractions(int(n), fractions) for n in lengths]


def scalers(panel: Panel, series_splits: list[Split]) -> tuple[np.ndarray, np.ndarray]:
    """Per-series MinMax parameters ([S, C] minimum and maximum) from each series' training rows
    (from all its rows when it has fewer than two: such a series is only forecast, never trained on)."""
    S, C = len(panel.ids), panel.values.shape[1]
    low, high = np.empty((S, C)), np.empty((S, C))
    for s, split in enumerate(series_splits):
        rows = panel.series(s)
        fit = rows[: split.train_end] if split.train_end >= 2 else rows
        low[s], high[s] = fit.min(axis=0), fit.max(axis=0)
    return low, high


def scale(values: np.ndarray, lengths: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Scale each series' rows with its own parameters (MinMax semantics: a constant column shifts only)."""
    span = high - low
    factor = 1.0 / np.where(span == 0, 1.0, span)
    return ((values - np.repeat(low, lengths, axis=0)) * np.repeat(factor, lengths, axis=0)).astype(np.float32)


def unscale(scaled: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Undo `scale` for arrays [S, ..., C] whose first axis is the series (float64)."""
    span = high - low
    factor = np.where(span == 0, 1.0, span)
    shape = (len(low),) + (1,) * (scaled.ndim - 2) + (low.shape[1],)
    return np.asarray(scaled, dtype=np.float64) * factor.reshape(shape) + low.reshape(shape)


@dataclass
class Samples:
    """Global window starts (rows of the concatenated series) for training and validation."""

    train: np.ndarray  # int64 starts of training windows
    val: np.ndarray  # int64 starts of validation windows
    val_rows: np.ndarray  # [rows] bool: the rows whose forecasts validation scores
    weights: np.ndarray | None  # [len(train)] sampling weights (None: uniform)
    trained: np.ndarray  # [S] bool: series with at least one training window


def samples(offsets: np.ndarray, series_splits: list[Split], window: int, block: int, seed: int) -> Samples:
    """Training and validation window starts of every series, as `windows.sample_starts` per series.

    Long series would otherwise drown short ones: a series with more training windows than the
    median series is sampled less often, so that together its windows weigh as much as the
    median series'. Validation checks at most `MAX_VAL_WINDOWS` windows (a seeded sample).
    """
    from tsfc.windows import sample_starts

    train, val, counts = [], [], []
    val_rows = np.zeros(int(offsets[-1]), dtype=bool)
    for s, split in enumerate(series_splits):
        t, v = sample_starts(split, window, block)
        base = int(offsets[s])
        train.append(np.arange(t.start, t.stop, dtype=np.int64) + base)
        val.append(np.arange(v.start, v.stop, dtype=np.int64) + base)
        counts.append(len(t))
        val_rows[base + split.train_end : base + split.val_end] = True
    counts = np.array(counts)
    train_starts, val_starts = np.concatenate(train), np.concatenate(val)
    weights = None
    if len(counts) and counts.max() > 0:
        typical = float(np.median(counts[counts > 0]))
        if counts.max() > typical:
            per_series = np.minimum(1.0, typical / np.maximum(counts, 1))
            weights = np.repeat(per_series, counts)
    if len(val_starts) > MAX_VAL_WINDOWS:
        pick = np.random.default_rng(seed).choice(len(val_starts), MAX_VAL_WINDOWS, replace=False)
        val_starts = np.sort(val_starts[pick])
    return Samples(train_starts, val_starts, val_rows, weights, counts > 0)


def fallback(length: int, window: int, season: int) -> str | None:
    """The baseline that forecasts a series too short for the network's window (None: the network)."""
    if length >= window:
        return None
    return "seasonal_naive" if season > 1 and length >= season else "naive"


def baseline_forecast(history: np.ndarray, method: str, horizon: int, season: int) -> np.ndarray:
    """Forecast [H, C] of every column after `history` [n, C] by naive or seasonal naive."""
    if method == "seasonal_naive":
        last = history[-season:]
        return last[np.arange(horizon) % season]
    return np.repeat(history[-1:], horizon, axis=0)


# --- ids and output -------------------------------------------------------------

def select(ids: list[str], wanted: list[str], flag: str = "--ids") -> list[int]:
    """Positions of `wanted` ids in `ids`, refusing unknown ones with the closest match."""
    import difflib

    from tsfc.errors import UsageError

    where = {sid: i for i, sid in enumerate(ids)}
    out = []
    for sid in wanted:
        if sid not in where:
            guess = difflib.get_close_matches(sid, ids, n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            raise UsageError(f"{flag}: no series {sid!r} in the bundle{hint} (`tsfc info --series` lists them)")
        out.append(where[sid])
    return out


def parse_ids(text: str | None) -> list[str] | None:
    """A comma list of ids (each id's parts joined by '|'); None when not given."""
    if text is None:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    return ids or None


def long_frame(id_cols: list[str], ids: list[str], times: list, columns: list[str], values: list[np.ndarray],
               time_name: str, methods: list[str]):
    """The long-format forecast: id columns, time, the forecast columns, and the method used.

    Args:
        ids: one per series; ``times[i]`` its forecast timestamps (or steps), ``values[i]`` [H, C].
    """
    import pandas as pd

    from tsfc.data import ID_SEP

    horizon = [len(v) for v in values]
    parts = np.array([sid.split(ID_SEP) for sid in ids], dtype=object).reshape(len(ids), len(id_cols))
    data = {name: np.repeat(parts[:, j], horizon) for j, name in enumerate(id_cols)}
    data[time_name] = np.concatenate([np.asarray(t) for t in times]) if times else []
    stacked = np.concatenate(values) if values else np.empty((0, len(columns)))
    for j, name in enumerate(columns):
        data[name] = stacked[:, j]
    data["method"] = np.repeat(np.array(methods, dtype=object), horizon)
    return pd.DataFrame(data)


def future_times(last: np.ndarray | None, freq: str | None, horizon: int, count: int) -> list:
    """Each of `count` series' next `horizon` timestamps after its `last` (steps 1..H without them)."""
    import pandas as pd

    if last is None or freq is None:
        return [np.arange(1, horizon + 1)] * count
    from tsfc.times import future_index

    cache: dict = {}
    out = []
    for stamp in last:  # series of one file mostly share an end: one calendar computation per end
        if stamp not in cache:
            cache[stamp] = future_index(pd.Timestamp(stamp), freq, horizon).to_numpy()
        out.append(cache[stamp])
    return out
