"""Time columns: finding them, parsing them (split date parts too), ordering, frequency, season.

Used by ``data.py``, which reads the CSV; nothing here opens a file. Problems are
``DataError``s naming the file, the problem and the fix, like the reader's.

Beyond what pandas parses, the time column may hold quarters ("1998 Q1",
"1998Q1", "1998-Q1", "Q1 1998"), months with a name ("1976 Jul", "Jul 1976"),
and months of a relative year ("1-01" ... "13-03": year index, month), stored
as calendar year ``RELATIVE_BASE + index`` so year 1 is 2001. It may also be
split over columns named year, quarter or month, day and hour.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from tsfc.errors import DataError

TIME_NAMES = {"date", "time", "timestamp", "datetime", "ds", "dt", "month", "quarter", "period", "week"}
PARTS = ("year", "quarter", "month", "day", "hour")  # the order of split date parts
_RANGES = {"year": (1000, 9999), "quarter": (1, 4), "month": (1, 12), "day": (1, 31), "hour": (0, 23)}
RELATIVE_BASE = 2000
TO_UTC = "time-zone-aware timestamps to UTC"  # in the note of a conversion: the data's clock is UTC
MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
_MONTH = r"([A-Za-z]{3,9})\.?"
# (pattern, kind, group of the year, group of the quarter or month), tried in this order.
_PATTERNS = [
    (re.compile(r"(\d{4})\s*[-/ ]?\s*[Qq]([1-4])"), "quarter", 1, 2),
    (re.compile(r"[Qq]([1-4])\s*[-/ ]?\s*(\d{4})"), "quarter", 2, 1),
    (re.compile(r"(\d{4})\s*[-/ ]?\s*" + _MONTH), "month name", 1, 2),
    (re.compile(_MONTH + r"\s*[-/ ,]?\s*(\d{4})"), "month name", 2, 1),
    (re.compile(r"(\d{4})M(\d{2})"), "month", 1, 2),
    (re.compile(r"(\d{1,3})-(\d{1,2})"), "relative", 1, 2),
]
# Hourly, daily and monthly steps have the conventional cycle of the next unit up;
# steps finer than this many per day use the hourly cycle instead, or none.
MAX_SEASON = 1440
_DAY_NS = 86_400 * 10**9
_HOUR_NS = 3_600 * 10**9
_LEGACY = {"H": "h", "T": "min", "S": "s", "L": "ms", "U": "us", "N": "ns", "d": "D", "M": "ME", "Q": "QE",
           "Y": "YE", "A": "YE", "AS": "YS", "BM": "BME", "BQ": "BQE", "BA": "BYE", "BY": "BYE", "BAS": "BYS"}
_ABBR = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def _fail(file, problem: str, fix: str = "") -> DataError:
    return DataError(f"{file}: {problem}" + (f"; {fix}" if fix else ""))


# --- finding -----------------------------------------------------------------

def find_time_columns(file, names: list[str], sample: list[list[str]], target: str,
                      date_col: str | None, fmt: str | None, skip: tuple = ()) -> list[str]:
    """The column(s) holding time: [] for row order, [name], or split parts in PARTS order.

    Args:
        file: the CSV, for messages.
        names: the header; ``sample``: the first data rows as strings.
        target: never chosen by detection.
        date_col: None to detect, "none" for row order, a column name, or a comma
            list of split parts (year, month, day, hour; by name, else in that order).
        fmt: the --date-format, or None.
        skip: columns never chosen by detection (a row-number index).

    Detection takes, in order: a column with a time name (date, time, month, ...)
    whose values are timestamps; columns named year and quarter or month (then day,
    then hour), or year alone holding years; any column whose values are timestamps.
    Plain numbers and bare month names are never timestamps on their own.

    Raises:
        DataError: --date-col names parts that cannot make a date (the caller has
            checked that each named column exists).
    """
    if date_col is not None and date_col.strip().lower() == "none":
        return []
    if date_col is not None:
        return _named_columns(file, names, date_col)
    lower = {name.lower(): name for name in names if name != target and name not in skip}
    cells = {name: [row[pos].strip() for row in sample if pos < len(row) and row[pos].strip()]
             for pos, name in enumerate(names)}
    for name in names:
        if name.lower() in TIME_NAMES and name in lower.values() and _time_like(cells[name], fmt, True):
            return [name]
    parts = _split_parts(lower)
    if parts and all(_is_part(name.lower(), cells[name]) for name in parts) and (
            len(parts) > 1 or len(set(cells[parts[0]])) == len(cells[parts[0]])):
        return parts  # year alone only when each row has its own year
    for name in names:
        if name in lower.values() and _time_like(cells[name], fmt, False):
            return [name]
    return []


def _named_columns(file, names: list[str], date_col: str) -> list[str]:
    """The columns --date-col names (the caller has checked they exist)."""
    if date_col in names:
        return [date_col]
    wanted = [name.strip() for name in date_col.split(",")]
    kinds = [name.lower() for name in wanted]
    if len(set(wanted)) != len(wanted) or len(wanted) > 4 or ("quarter" in kinds and "month" in kinds):
        raise _fail(file, f"--date-col {date_col!r} must name up to 4 different date parts",
                    "pass one time column, or year,month[,day[,hour]] or year,quarter")
    if all(kind in PARTS for kind in kinds):
        if "year" not in kinds:
            raise _fail(file, f"--date-col {date_col!r} has no year column", "add the year column to --date-col")
        wanted.sort(key=lambda name: PARTS.index(name.lower()))
    return wanted


def _split_parts(lower: dict[str, str]) -> list[str]:
    """year [quarter | month [day [hour]]], stopping at the first part that is absent."""
    chain = ["year", "month", "day", "hour"] if "month" in lower else ["year", "quarter"]
    run = []
    for part in chain:
        if part not in lower:
            break
        run.append(lower[part])
    return run


def _is_part(kind: str, cells: list[str]) -> bool:
    if not cells:
        return False
    if kind == "month" and all(cell.lower().rstrip(".") in MONTHS for cell in cells):
        return True
    numbers = pd.to_numeric(pd.Series(cells), errors="coerce")
    if numbers.isna().any() or (numbers % 1 != 0).any():
        return False
    low, high = _RANGES[kind]
    return bool(numbers.between(low, high).all())


def _time_like(cells: list[str], fmt: str | None, named: bool) -> bool:
    """Whether most cells parse as timestamps; numbers only with --date-format (or YYYYMMDD when named)."""
    if not cells:
        return False
    if fmt is None:
        if not all(any(ch.isdigit() for ch in cell) for cell in cells):
            return False  # bare month names, words
        numeric = pd.to_numeric(pd.Series(cells), errors="coerce").notna()
        if numeric.any() and not (named and all(re.fullmatch(r"\d{8}", cell) for cell in cells)):
            return False
    times, _ = parse_times(pd.Series(cells), fmt, relative=named)
    return times.notna().mean() >= 0.9


# --- parsing -----------------------------------------------------------------

def parse_times(raw: pd.Series, fmt: str | None, relative: bool = True) -> tuple[pd.Series, str | None]:
    """Parse strings into naive timestamps, NaT where a cell cannot be read.

    Time-zone-aware values (ISO "Z" or offsets, mixed offsets too) are converted
    to UTC and the zone dropped. With ``fmt`` only that strptime format is tried.
    ``relative=False`` refuses relative years ("1-01"), which detection accepts
    only under a time name: a column of "2-1" scores is not a calendar.

    Returns:
        (timestamps, note or None): the note says what was read unusually.
    """
    if fmt is None:
        for pattern, kind, year, period in _PATTERNS:
            if kind == "relative" and not relative:
                continue
            parsed = _parse_pattern(raw, pattern, kind, year, period)
            if parsed is not None:
                note = None
                if kind == "relative":
                    note = (f"read {raw.name or 'time'} values like {raw.dropna().iloc[0]!r} as year index-month, "
                            f"year 1 stored as {RELATIVE_BASE + 1}")
                return parsed, note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            times = pd.to_datetime(raw, format=fmt, errors="coerce")
            if fmt is None and times.isna().sum() > raw.isna().sum():
                # pandas guesses the format from the first row; ISO dates may mix precisions.
                times = pd.to_datetime(raw, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            times = None
        if times is None or times.dtype == object:  # mixed UTC offsets
            times = pd.to_datetime(raw, format=fmt, errors="coerce", utc=True)
    if times.dt.tz is None:
        return times, None
    note = f"converted {int(times.notna().sum())} {TO_UTC} and dropped the zone"
    return times.dt.tz_convert("UTC").dt.tz_localize(None), note


def _parse_pattern(raw: pd.Series, pattern, kind: str, year: int, period: int) -> pd.Series | None:
    """Timestamps if most of the first 50 filled cells match ``pattern`` (the rest are NaT), else None."""
    text = raw.astype("string").str.strip()
    head = text.dropna().head(50)
    if head.empty or head.str.fullmatch(pattern).mean() <= 0.5:
        return None
    head = head[head.str.fullmatch(pattern)]
    found = text.str.extract("^" + pattern.pattern + "$")
    years = pd.to_numeric(found[year - 1], errors="coerce").astype("float64")
    if kind == "month name":
        months = found[period - 1].str.lower().map(MONTHS).astype("float64")
        if months.loc[head.index].isna().mean() > 0.1:
            return None  # "2024 Total", not month names
    else:
        months = pd.to_numeric(found[period - 1], errors="coerce").astype("float64")
    if kind == "quarter":
        months = 3 * months - 2
    if kind == "relative":
        if not months.loc[head.index].between(1, 12).all():
            return None  # month-day or some other pair, left to pandas
        years = years + RELATIVE_BASE
    months = months.where(months.between(1, 12))
    return pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}), errors="coerce")


def is_split(columns: list[str]) -> bool:
    """Whether the time columns are date parts (several, or a year alone) rather than timestamps."""
    return len(columns) > 1 or columns[0].lower() == "year"


def parse_parts(file, frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Timestamps from split date parts (year, then quarter or month, day, hour), as strings.

    Raises:
        DataError: a part is not a whole number in its range (a month may be a name).
    """
    kinds = [name.lower() if name.lower() in PARTS else None for name in columns]
    if None in kinds:
        kinds = ["year", "month", "day", "hour"][: len(columns)]
    fields = {"year": None, "month": 1, "day": 1, "hour": 0}
    for kind, name in zip(kinds, columns):
        cells = frame[name].astype("string").str.strip()
        numbers = pd.to_numeric(cells, errors="coerce")
        if kind == "month":
            numbers = numbers.fillna(cells.str.lower().str.rstrip(".").map(MONTHS).astype("float64"))
        low, high = _RANGES[kind]
        bad = ~(numbers.between(low, high) & (numbers % 1 == 0))
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            value = frame[name].iloc[row]
            what = "a month (1-12 or a name like Jan)" if kind == "month" else f"a {kind} ({low}-{high})"
            raise _fail(file, f"column {name!r} row {row + 1}: {value!r} is not {what}",
                        "fix that value, or pass --date-col with the time column(s)")
        if kind == "quarter":
            kind, numbers = "month", 3 * numbers - 2
        fields[kind] = numbers.astype("int64")
    times = pd.to_datetime(pd.DataFrame(fields), errors="coerce")
    if times.isna().any():
        row = int(np.argmax(times.isna().to_numpy()))
        shown = ", ".join(f"{name}={frame[name].iloc[row]}" for name in columns)
        raise _fail(file, f"row {row + 1}: {shown} is not a date", "fix that row")
    return times


def check_parsed(file, raw: pd.Series | None, times: pd.Series, label: str) -> None:
    """Raise naming the first row whose time could not be read (`raw`: the cells, or None for parts)."""
    bad = times.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        value = raw.iloc[row] if raw is not None else None
        problem = "empty timestamp" if pd.isna(value) else f"{value!r} is not a timestamp"
        raise _fail(file, f"column {label!r} row {row + 1}: {problem}",
                    "pass --date-format (e.g. '%d/%m/%Y %H:%M') or --date-col")


def order_times(file, raw: pd.Series | None, times: pd.Series, label: str, notes: list[str]):
    """Check every row has a time, sort, reject duplicates.

    Args:
        raw: the cells as read (for messages), or None for split parts.
        label: the time column's name, or the comma-joined parts.

    Returns:
        (index, order): the sorted ``DatetimeIndex`` and the row order that sorts.
    """
    check_parsed(file, raw, times, label)
    order = np.argsort(times.to_numpy(), kind="stable")
    moved = int((order != np.arange(len(order))).sum())
    if moved:
        notes.append(f"sorted {moved} rows into time order")
    index = pd.DatetimeIndex(times.to_numpy()[order], name=label)
    dup = index.duplicated()
    if dup.any():
        first = int(np.argmax(dup))
        rows = sorted(int(order[i]) + 1 for i in (first - 1, first))
        raise _fail(file, f"duplicate timestamp {index[first]} at rows {rows[0]} and {rows[1]}",
                    "remove or aggregate the duplicate rows, or pass --date-col none")
    return index, order


# --- frequency -----------------------------------------------------------------

def infer_freq(index: pd.DatetimeIndex, expected: str | None, notes: list[str]) -> str | None:
    """Frequency alias of a regular index that may have gaps, or None if irregular.

    ``expected`` (a fitted bundle's) wins whenever every timestamp lies on its grid, unless
    the timestamps form a regular coarser grid of their own: daily data lie on an hourly
    grid too, but are daily (and the caller then reports the mismatch).
    Otherwise the coarsest regular grid holding every timestamp is taken among the
    most common step, business days, weeks, month, quarter and year starts and ends;
    a step of exactly one day is "D", never "24h".
    """
    if len(index) < 3 and expected is None:
        notes.append(f"only {len(index)} timestamps, too few to infer a frequency; steps are unlabelled")
        return None
    if expected is not None and (len(index) < 2 or _on_grid(index, expected)):
        own = infer_freq(index, None, []) if len(index) >= 3 else None
        return own if own is not None and not same_freq(own, expected) else to_offset(_modern(expected)).freqstr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = pd.infer_freq(index)
    if exact is not None:
        return _canonical(exact)
    step = pd.Timedelta(int(pd.Series(np.diff(index.asi8)).mode().iloc[0]), unit=index.unit)
    month = _ABBR[index[0].month - 1]
    candidates = ["D" if step == pd.Timedelta(days=1) else to_offset(step).freqstr]
    if step == pd.Timedelta(days=1):
        candidates.append("B")
    if step == pd.Timedelta(days=7):
        candidates.append(pd.offsets.Week(weekday=index[0].weekday()).freqstr)
    candidates += ["MS", "ME", f"QS-{month}", f"QE-{month}", f"YS-{month}", f"YE-{month}"]
    fits = [(size, alias) for alias in candidates
            if (size := _grid_size(index, alias)) is not None and _on_grid(index, alias)]
    if fits:
        return _canonical(min(fits)[1])
    notes.append("timestamps are irregular, no frequency found; forecasts are labelled by step")
    return None


def _grid_size(index: pd.DatetimeIndex, alias: str) -> int | None:
    """Rows of the regular grid from the first to the last timestamp; None if absurdly many."""
    offset = to_offset(alias)
    span = index[-1] - index[0]
    if isinstance(offset, pd.offsets.Tick) and span // pd.Timedelta(offset) > 100 * len(index):
        return None  # the grid would not fit in memory, and would be mostly invented rows
    return len(pd.date_range(index[0], index[-1], freq=offset))


def _on_grid(index: pd.DatetimeIndex, alias: str) -> bool:
    grid = pd.date_range(index[0], index[-1], freq=to_offset(_modern(alias)))
    return len(grid) > 0 and grid[0] == index[0] and bool(index.isin(grid).all())


def _canonical(alias: str) -> str:
    """One spelling per grid: a one-day tick is D, quarters are anchored on Jan/Feb/Mar (Oct/Nov/Dec for ends)."""
    offset = to_offset(_modern(alias))
    if isinstance(offset, pd.offsets.Tick) and offset.nanos == _DAY_NS:
        return "D"
    if isinstance(offset, (pd.offsets.QuarterBegin, pd.offsets.QuarterEnd)):
        anchor = (offset.startingMonth - 1) % 3 + (1 if isinstance(offset, pd.offsets.QuarterBegin) else 10)
        return type(offset)(n=offset.n, startingMonth=anchor).freqstr
    return offset.freqstr


def same_freq(a: str | None, b: str | None) -> bool:
    """Whether two aliases name the same grid spacing (QS-JAN and QS-OCT do)."""
    if a is None or b is None:
        return a is b
    return to_offset(_canonical(a)) == to_offset(_canonical(b))


def future_index(last: pd.Timestamp, freq: str, steps: int) -> pd.DatetimeIndex:
    """Return the ``steps`` timestamps that follow ``last`` at frequency ``freq``."""
    return pd.date_range(start=last, periods=steps + 1, freq=to_offset(_modern(freq)))[1:]


def offset(freq: str):
    """The pandas offset of a frequency alias, old spellings (H, T, M, Q) included."""
    return to_offset(_modern(freq))


def _modern(alias: str) -> str:
    """Rewrite pandas' deprecated aliases (H, T, M, Q, Y, A, ...) to the current ones."""
    match = re.fullmatch(r"\s*(-?\d*)\s*([A-Za-z]+)(-[A-Za-z]+)?\s*", alias)
    if match is None:
        return alias
    count, base, anchor = match.groups()
    return f"{count}{_LEGACY.get(base, base)}{anchor or ''}"


# --- season ----------------------------------------------------------------------

def season_for(freq: str | None) -> int:
    """Seasonal period (steps per cycle) of a frequency, by its offset type and duration.

    Monthly, quarterly and yearly offsets (any spelling, anchor or multiple): steps
    per year when they divide a year (MS 12, 2M 6, QE 4, 6M 2), else 1 (yearly 1).
    Weeks: 52 per year (2W 26, 4W 13; other multiples 1). Business days: 5.
    Fixed steps: one day (D, 24h) 7; a whole number of weeks as weeks; steps that
    divide a day give steps per day (h 24, 30min 48, 15min 96, 5min 288, 1min
    1440, 2h 12, 6h 4); when that would exceed ``MAX_SEASON`` (1440) the hourly
    cycle is used if it divides an hour and fits (10s 360), else 1. Everything
    else (irregular, None, 7h, 2D, unknown aliases) is 1.
    """
    if not freq:
        return 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            offset = to_offset(_modern(freq))
    except ValueError:
        return 1
    n = abs(offset.n) or 1
    per_year = {pd.offsets.MonthBegin: 12, pd.offsets.MonthEnd: 12, pd.offsets.BusinessMonthBegin: 12,
                pd.offsets.BusinessMonthEnd: 12, pd.offsets.QuarterBegin: 4, pd.offsets.QuarterEnd: 4,
                pd.offsets.BQuarterBegin: 4, pd.offsets.BQuarterEnd: 4, pd.offsets.YearBegin: 1,
                pd.offsets.YearEnd: 1, pd.offsets.BYearBegin: 1, pd.offsets.BYearEnd: 1,
                pd.offsets.Week: 52}.get(type(offset))
    if per_year is not None:
        return per_year // n if per_year % n == 0 and per_year > n else 1
    if isinstance(offset, (pd.offsets.BusinessDay, pd.offsets.CustomBusinessDay)):
        return 5 if n == 1 else 1
    if isinstance(offset, pd.offsets.Day):
        step = n * _DAY_NS
    elif isinstance(offset, pd.offsets.Tick):
        step = abs(offset.nanos)
    else:
        return 1
    if step == _DAY_NS:
        return 7
    if step > _DAY_NS:
        weeks, rest = divmod(step, 7 * _DAY_NS)
        return 52 // weeks if rest == 0 and 52 % weeks == 0 and weeks < 52 else 1
    if _DAY_NS % step:
        return 1
    if _DAY_NS // step <= MAX_SEASON:
        return _DAY_NS // step
    if _HOUR_NS % step == 0 and _HOUR_NS // step <= MAX_SEASON:
        return _HOUR_NS // step
    return 1
