"""CSV -> validated float32 arrays with timestamps. The only module that reads CSVs.

``load_csv`` checks the file (exists, is text, fits in memory), detects the
encoding and separator, reads only the columns asked for, parses the time
column, sorts, fills gaps and missing values, and returns a ``Series``. Every
user-facing problem is a ``DataError`` with one line naming the file, the
problem and the flag that fixes it. Rows in messages count data rows after the
header, from 1; lines count physical lines of the file, from 1.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from tsfc.errors import DataError, UsageError

SEPARATORS = (",", ";", "\t", "|")
NA_TOKENS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-", "#N/A"]
TIME_NAMES = {"date", "time", "timestamp", "datetime", "ds", "dt", "month"}
SAMPLE_LINES = 200
# Parsed float32 columns take far less than the text, but pandas' tokenizer and
# the string time column need headroom; 1.5x the file size is a safe upper guess.
MEMORY_FACTOR = 1.5
_MAGIC = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2",
          b"\xfd7zXZ\x00": "xz", b"PAR1": "parquet", b"\x28\xb5\x2f\xfd": "zstd"}


@dataclass
class ReadOptions:
    """How to read the CSV; ``None`` means detect."""

    sep: str | None = None
    decimal: str = "."
    thousands: str | None = None
    encoding: str | None = None
    date_format: str | None = None
    skip_rows: int = 0


@dataclass
class Series:
    """A loaded time series: ``values[:, 0]`` is the target, then the features."""

    values: np.ndarray  # [rows, C] float32
    columns: list[str]
    index: pd.DatetimeIndex | None
    date_col: str | None
    freq: str | None
    notes: list[str] = field(default_factory=list)
    path: str = ""
    sha256: str = ""


def file_sha256(path) -> str:
    """Return the SHA-256 hex digest of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def future_index(last: pd.Timestamp, freq: str, steps: int) -> pd.DatetimeIndex:
    """Return the ``steps`` timestamps that follow ``last`` at frequency ``freq``."""
    return pd.date_range(start=last, periods=steps + 1, freq=freq)[1:]


def load_csv(path, target: str, features: list[str] | str | None = None,
             date_col: str | None = None, options: ReadOptions | None = None,
             freq: str | None = None) -> Series:
    """Read a CSV into a validated, regular, gap-free ``Series``.

    Args:
        path: local CSV file.
        target: column to forecast (column 0 of ``values``).
        features: None (target only), "all" (every other numeric column, in file
            order) or a list of column names, kept in that order.
        date_col: None to detect, "none" for row order, or a column name.
        options: how to read the file; defaults to ``ReadOptions()``.
        freq: frequency the data must have (a fitted bundle's), or None.

    Returns:
        The ``Series``; ``notes`` lists what was changed (sorting, filling).

    Raises:
        DataError: the file cannot be used as asked; the message names the fix.
        UsageError: contradictory options (same decimal and thousands mark).
    """
    opts = options or ReadOptions()
    _check_options(opts)
    file = _check_file(path, opts.encoding)
    encoding = opts.encoding or _detect_encoding(file)
    sep, names, sample = _scan_text(file, encoding, opts)
    time_col = _choose_time_col(file, names, sample, target, date_col, opts)
    wanted = _choose_columns(file, names, sample, target, features, time_col, opts)
    frame = _read_frame(file, encoding, sep, names, wanted, time_col, opts)
    notes: list[str] = []
    index = None
    if time_col is None:
        if date_col is None:
            notes.append("no time column found; using row order (pass --date-col to name one)")
    else:
        index, frame = _time_order(file, frame, time_col, opts, notes)
    values = _to_matrix(file, frame, wanted)
    detected = None
    inserted = np.zeros(len(values), dtype=bool)
    if index is not None:
        detected = _infer_freq(index, freq, notes)
        if detected is not None:
            index, values, inserted = _fill_timestamps(index, values, detected, notes)
    _check_freq(file, detected, freq)
    _fill_missing(values, wanted, inserted, notes)
    return Series(values=np.ascontiguousarray(values, dtype=np.float32), columns=wanted,
                  index=index, date_col=time_col, freq=detected, notes=notes,
                  path=str(file), sha256=file_sha256(file))


def _fail(file: Path, problem: str, fix: str = "") -> DataError:
    return DataError(f"{file}: {problem}" + (f"; {fix}" if fix else ""))


def _check_options(opts: ReadOptions) -> None:
    if opts.sep is not None and len(opts.sep) != 1:
        raise UsageError(f"--sep must be one character, got {opts.sep!r}")
    if len(opts.decimal) != 1:
        raise UsageError(f"--decimal must be one character, got {opts.decimal!r}")
    if opts.thousands is not None and opts.thousands == opts.decimal:
        raise UsageError(f"--thousands and --decimal must differ, both are {opts.decimal!r}")
    if opts.skip_rows < 0:
        raise UsageError(f"--skip-rows must be >= 0, got {opts.skip_rows}")


def _check_file(path, encoding: str | None) -> Path:
    """Refuse URLs, missing paths, directories, empty, binary and too-large files."""
    text = str(path)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise DataError(f"{text}: only local files can be read; download it first and pass its path")
    file = Path(path).expanduser().resolve()
    if not file.exists():
        raise _fail(file, "no such file", "check the path")
    if file.is_dir():
        raise _fail(file, "is a directory, not a CSV file", "pass the path of a .csv file")
    size = file.stat().st_size
    if size == 0:
        raise _fail(file, "the file is empty", "pass a CSV with a header line and data rows")
    with open(file, "rb") as handle:
        head = handle.read(8192)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            raise _fail(file, f"is a {kind} file, not a text CSV", "decompress or export it to CSV first")
    wide = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        encoding is not None and encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32")))
    if b"\x00" in head and not wide:
        raise _fail(file, "contains NUL bytes, so it is binary or UTF-16 without a byte-order mark",
                    "export it as a UTF-8 CSV or pass --encoding utf-16-le")
    available = _available_memory()
    if available is not None and size * MEMORY_FACTOR > available:
        raise _fail(file, f"{size / 2**30:.1f} GiB file will not fit in the "
                          f"{available / 2**30:.1f} GiB of memory available",
                    "use a machine with more memory or a shorter extract of the file")
    return file


def _available_memory() -> int | None:
    """Bytes of memory available now (MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _detect_encoding(file: Path) -> str:
    with open(file, "rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _decode_failure(file: Path, encoding: str) -> DataError:
    """Locate the first undecodable byte (error path only, so reading it all is fine)."""
    raw = file.read_bytes()
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        return _fail(file, f"line {line}: byte 0x{raw[err.start]:02x} is not valid {encoding}",
                     "pass --encoding latin-1 (or the file's real encoding)")
    return _fail(file, f"cannot be decoded as {encoding}", "pass --encoding latin-1")


def _scan_text(file: Path, encoding: str, opts: ReadOptions):
    """Read the header and a sample, pick the separator, check every line's field count.

    Returns:
        (separator, stripped column names, sample rows as lists of strings).
    """
    try:
        with open(file, encoding=encoding, newline=None) as handle:
            numbered = enumerate(handle, start=1)
            head = []  # (line number, text) of non-blank lines after the skipped ones
            for lineno, line in numbered:
                if lineno > opts.skip_rows and line.strip():
                    head.append((lineno, line))
                if len(head) > SAMPLE_LINES:
                    break
            if not head:
                raise _fail(file, f"no header line after skipping {opts.skip_rows} lines",
                            "check --skip-rows")
            sep = opts.sep or _sniff_sep([line for _, line in head], opts.decimal)
            rows = list(csv.reader([line for _, line in head], delimiter=sep))
            names = [name.strip().lstrip("\ufeff") for name in rows[0]]
            _check_names(file, names, sep)
            if len(rows) == 1:
                raise _fail(file, "has a header but no data rows", "pass a CSV with data rows")
            _check_field_counts(file, itertools.chain(head[1:], numbered), sep, len(names))
    except UnicodeDecodeError:
        raise _decode_failure(file, encoding) from None
    return sep, names, rows[1:]


def _sniff_sep(head: list[str], decimal: str) -> str:
    """Pick the separator giving the most header fields with the same count on every line."""
    candidates = [sep for sep in SEPARATORS if sep != decimal]
    best, best_score = candidates[0], (False, 1)
    for sep in candidates:
        counts = [len(row) for row in csv.reader(head, delimiter=sep)]
        score = (all(c == counts[0] for c in counts), counts[0])
        if counts[0] > 1 and score > best_score:
            best, best_score = sep, score
    return best


def _check_names(file: Path, names: list[str], sep: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise _fail(file, f"column name {name!r} appears twice in the header",
                        "rename one of the columns")
        seen.add(name)
    if len(names) == 1 and any(s in names[0] for s in SEPARATORS if s != sep):
        # One wide column whose name holds another separator: a wrong --sep.
        raise _fail(file, f"the header has one column with separator {sep!r}",
                    "pass --sep with the file's separator (',', ';', tab or '|')")


def _check_field_counts(file: Path, numbered, sep: str, width: int) -> None:
    """Raise naming the first line whose field count differs from the header's.

    pandas silently pads short rows with NaN, so they are caught here.
    """
    for lineno, line in numbered:
        if not line.strip():
            continue
        if '"' in line:
            count = len(next(csv.reader([line], delimiter=sep)))
        else:
            count = line.count(sep) + 1
        if count != width:
            raise _fail(file, f"line {lineno} has {count} fields but the header has {width}",
                        "fix that line, or pass --sep (or --decimal if a decimal comma splits numbers)")


def _choose_time_col(file, names, sample, target, date_col, opts) -> str | None:
    if date_col is not None and date_col.lower() == "none":
        return None
    if date_col is not None:
        if date_col not in names:
            raise _missing(file, date_col, names, "--date-col (or --date-col none)")
        return date_col
    for name in names:
        if name.lower() in TIME_NAMES and name != target:
            return name
    for pos, name in enumerate(names):
        cells = [row[pos] for row in sample if pos < len(row) and row[pos].strip()]
        if name != target and cells and _mostly_times(cells, opts):
            return name
    return None


def _mostly_times(cells: list[str], opts: ReadOptions) -> bool:
    if pd.to_numeric(pd.Series(cells), errors="coerce").notna().any():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(pd.Series(cells), format=opts.date_format, errors="coerce", utc=True)
    return parsed.notna().mean() >= 0.9


def _missing(file: Path, name: str, names: list[str], flag: str) -> DataError:
    return _fail(file, f"no column {name!r}; the columns are {', '.join(names)}",
                 f"pass {flag} with one of them")


def _choose_columns(file, names, sample, target, features, time_col, opts) -> list[str]:
    """Return ``[target, *features]`` after checking each exists and is not the time column."""
    if target not in names:
        raise _missing(file, target, names, "--target")
    if target == time_col:
        raise _fail(file, f"target {target!r} is the time column", "pass --target with a numeric column")
    if features is None:
        return [target]
    if isinstance(features, str):
        if features != "all":
            raise UsageError(f"features must be a list of names or 'all', got {features!r}")
        return [target] + [name for pos, name in enumerate(names)
                           if name not in (target, time_col) and _looks_numeric(sample, pos, opts)]
    for name in features:
        if name not in names:
            raise _missing(file, name, names, "--features")
        if name == target or name == time_col:
            raise _fail(file, f"feature {name!r} is the {'target' if name == target else 'time column'}",
                        "leave it out of --features")
    if len(set(features)) != len(features):
        dup = next(name for name in features if list(features).count(name) > 1)
        raise _fail(file, f"feature {dup!r} is listed twice", "list each column once in --features")
    return [target, *features]


def _looks_numeric(sample, pos: int, opts: ReadOptions) -> bool:
    cells = pd.Series([row[pos].strip() for row in sample if pos < len(row)])
    cells = cells[~cells.isin(NA_TOKENS)]
    return len(cells) > 0 and _parse_numbers(cells, opts).notna().all()


def _parse_numbers(cells: pd.Series, opts: ReadOptions) -> pd.Series:
    """Parse strings as numbers the way the reader would (thousands and decimal marks)."""
    text = cells.astype(str).str.strip()
    if opts.thousands:
        text = text.str.replace(opts.thousands, "", regex=False)
    if opts.decimal != ".":
        text = text.str.replace(".", "\x00", regex=False).str.replace(opts.decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _read_frame(file, encoding, sep, names, wanted, time_col, opts) -> pd.DataFrame:
    """Read only the needed columns: numbers as float32, the time column as strings."""
    usecols = [names.index(name) for name in wanted] + ([names.index(time_col)] if time_col else [])
    kwargs = dict(sep=sep, encoding=encoding, skiprows=opts.skip_rows, header=0, names=names,
                  usecols=usecols, decimal=opts.decimal, thousands=opts.thousands,
                  na_values=NA_TOKENS, keep_default_na=False, engine="c")
    dtype = {name: "float32" for name in wanted}
    if time_col:
        dtype[time_col] = str
    try:
        return pd.read_csv(file, dtype=dtype, **kwargs)
    except pd.errors.ParserError as err:  # a ValueError too, so caught first
        raise _fail(file, f"cannot be parsed as CSV ({str(err).strip().splitlines()[-1]})",
                    "check quoting, --sep and --skip-rows") from None
    except ValueError:
        # A column holds text; reread the numeric columns as text to say where (error path).
        frame = pd.read_csv(file, dtype=str, **kwargs)
        for name in wanted:
            _check_numeric_column(file, name, frame[name], opts)
        raise _fail(file, f"columns {', '.join(wanted)} cannot be read as numbers",
                    "check --sep, --decimal and --thousands") from None


def _check_numeric_column(file: Path, name: str, cells: pd.Series, opts: ReadOptions) -> None:
    present = cells.notna()
    bad = present & _parse_numbers(cells.where(present, "0"), opts).isna()
    if not bad.any():
        return
    row = int(np.argmax(bad.to_numpy()))
    value = str(cells.iloc[row])
    fix = f"pass --features without {name!r}, or clean the file"
    if re.fullmatch(r"\s*-?\d+,\d+\s*", value) and opts.decimal != ",":
        fix = "pass --decimal , (or --thousands , if ',' groups thousands)"
    elif re.fullmatch(r"\s*-?\d{1,3}([,.' ]\d{3})+([.,]\d+)?\s*", value):
        fix = "pass --thousands with the grouping mark (and --decimal if it is ',')"
    raise _fail(file, f"column {name!r} row {row + 1}: {value!r} is not a number", fix)


def _time_order(file, frame, time_col, opts, notes):
    """Parse the time column, sort by it, reject duplicates; return (index, frame)."""
    raw = frame[time_col]
    times, aware = _parse_times(raw, opts.date_format)
    bad = times.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        value = raw.iloc[row]
        problem = "empty timestamp" if pd.isna(value) else f"{value!r} is not a timestamp"
        raise _fail(file, f"column {time_col!r} row {row + 1}: {problem}",
                    "pass --date-format (e.g. '%d/%m/%Y %H:%M') or --date-col")
    if aware:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
        notes.append(f"converted {len(times)} time-zone-aware timestamps to UTC and dropped the zone")
    order = np.argsort(times.to_numpy(), kind="stable")
    moved = int((order != np.arange(len(order))).sum())
    if moved:
        notes.append(f"sorted {moved} rows into time order")
    index = pd.DatetimeIndex(times.to_numpy()[order], name=time_col)
    dup = index.duplicated()
    if dup.any():
        first = int(np.argmax(dup))
        rows = sorted(int(order[i]) + 1 for i in (first - 1, first))
        raise _fail(file, f"duplicate timestamp {index[first]} at rows {rows[0]} and {rows[1]}",
                    "remove or aggregate the duplicate rows, or pass --date-col none")
    frame = frame.drop(columns=time_col).iloc[order].reset_index(drop=True)
    return index, frame


def _parse_times(raw: pd.Series, fmt: str | None):
    """Return (timestamps, tz_aware); mixed UTC offsets are parsed as UTC."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            times = pd.to_datetime(raw, format=fmt, errors="coerce")
            if fmt is None and times.isna().sum() > raw.isna().sum():
                # pandas guesses the format from the first row; ISO dates may mix precisions.
                times = pd.to_datetime(raw, format="ISO8601", errors="coerce")
            return times, times.dt.tz is not None
        except (ValueError, TypeError):
            return pd.to_datetime(raw, format=fmt, errors="coerce", utc=True), True


def _to_matrix(file: Path, frame: pd.DataFrame, wanted: list[str]) -> np.ndarray:
    values = np.empty((len(frame), len(wanted)), dtype=np.float32)  # [rows, C]
    for col, name in enumerate(wanted):
        values[:, col] = frame[name].to_numpy(dtype=np.float32)
        infinite = np.isinf(values[:, col])
        if infinite.any():
            row = int(np.argmax(infinite))
            raise _fail(file, f"column {name!r} row {row + 1}: value is infinite or too large "
                              f"for float32 ({values[row, col]})", "fix or blank out that value")
        if np.isnan(values[:, col]).all():
            raise _fail(file, f"column {name!r} has no values", "pass --target/--features with a filled column")
    return values


def _infer_freq(index: pd.DatetimeIndex, expected: str | None, notes: list[str]) -> str | None:
    """Frequency alias of a (possibly gappy) regular index, or None if irregular."""
    if len(index) < 3 and expected is None:
        notes.append(f"only {len(index)} timestamps, too few to infer a frequency; steps are unlabelled")
        return None
    if len(index) < 2:
        return to_offset(expected).freqstr  # one timestamp cannot contradict the expected frequency
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = pd.infer_freq(index) if len(index) >= 3 else None
    if exact is not None:
        return to_offset(exact).freqstr
    candidates = [expected] if expected else []
    step = pd.Series(np.diff(index.asi8)).mode().iloc[0]
    step = pd.Timedelta(int(step), unit=index.unit)
    if step == pd.Timedelta(days=7):
        candidates.append(pd.offsets.Week(weekday=index[0].weekday()).freqstr)
    candidates += [to_offset(step).freqstr, "MS", "ME", "QS", "QE", "YS", "YE"]
    for alias in candidates:
        grid = pd.date_range(index[0], index[-1], freq=alias)
        if len(grid) <= 2 * len(index) and index.isin(grid).all():
            return to_offset(alias).freqstr
    notes.append("timestamps are irregular, no frequency found; forecasts are labelled by step")
    return None


def _fill_timestamps(index, values, freq: str, notes: list[str]):
    """Reindex onto the full regular grid; inserted rows are NaN until filled."""
    grid = pd.date_range(index[0], index[-1], freq=freq, name=index.name)
    inserted = np.ones(len(grid), dtype=bool)
    inserted[grid.get_indexer(index)] = False
    if not inserted.any():
        return grid, values, inserted
    full = np.full((len(grid), values.shape[1]), np.nan, dtype=np.float32)  # [grid rows, C]
    full[~inserted] = values
    notes.append(f"inserted {len(grid) - len(index)} missing timestamps ({freq}) "
                 "and filled them by linear interpolation")
    return grid, full, inserted


def _check_freq(file: Path, detected: str | None, expected: str | None) -> None:
    if expected is None:
        return
    if detected is None or to_offset(detected) != to_offset(expected):
        raise _fail(file, f"data frequency is {detected or 'unknown'} but the model expects {expected}",
                    "pass data at the model's frequency (resample it first)")


def _fill_missing(values: np.ndarray, columns: list[str], inserted: np.ndarray,
                  notes: list[str]) -> None:
    """Linear interpolation in row order; ends take the nearest value (np.interp clamps).

    Rows in ``inserted`` (new timestamps) are filled too but already have their own note.
    """
    rows = np.arange(len(values))
    for col, name in enumerate(columns):
        missing = np.isnan(values[:, col])
        count = int((missing & ~inserted).sum())
        if missing.any():
            values[missing, col] = np.interp(rows[missing], rows[~missing], values[~missing, col])
        if count:
            notes.append(f"filled {count} missing values in {name} by linear interpolation")
