"""CSV -> validated float32 arrays with timestamps. The only module that reads CSVs.

``load_csv`` checks the file (exists, is text, fits in memory), detects the
encoding and separator, reads only the columns asked for, parses the time
column (with ``tsfc.times``), sorts, trims the rows before the target's first
and after its last value, fills small gaps and missing values, and returns a
``Series``. Every
user-facing problem is a ``DataError`` with one line naming the file, the
problem and the flag that fixes it. Rows in messages count data rows after the
header, from 1; lines count physical lines of the file, from 1.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tsfc import times
from tsfc.errors import DataError, UsageError
from tsfc.times import future_index  # noqa: F401  (re-exported: pipeline and plotting import it from here)

SEPARATORS = (",", ";", "\t", "|")
NA_TOKENS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-", "#N/A"]
# A leading column of row numbers (R's write.csv, pandas' to_csv) carries no signal.
INDEX_NAMES = {"rownames", "no", "no.", "index", "unnamed: 0", ""}
# Filling more missing timestamps than this share of the rows read (and more than
# MAX_FILL_ROWS) means misread dates or irregular data, not a few lost readings.
MAX_FILL_SHARE = 0.10
MAX_FILL_ROWS = 3
# A value further than this many spreads (IQR, else median |x|) from the median,
# and further than ABSURD_DIFF, is a unit or sentinel error (1e30, 9.9e20).
ABSURD_SPREADS = 1e6
ABSURD_DIFF = 1e9
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
    header: list[str] = field(default_factory=list)  # the file's column names, in file order
    filled: np.ndarray | None = None  # [rows, C] bool: values not in the file (empty cells, inserted rows)
    utc: bool = False  # the timestamps were time-zone-aware and are now UTC (else: the file's own clock)


def file_sha256(path) -> str:
    """Return the SHA-256 hex digest of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_csv(path, target: str, features: list[str] | str | None = None,
             date_col: str | None = None, options: ReadOptions | None = None,
             freq: str | None = None) -> Series:
    """Read a CSV into a validated, regular, gap-free ``Series``.

    Args:
        path: local CSV file.
        target: column to forecast (column 0 of ``values``).
        features: None (target only), "all" (every other numeric column, in file
            order) or a list of column names, kept in that order.
        date_col: None to detect, "none" for row order, a column name, or a comma
            list of split date parts (year,month[,day[,hour]] or year,quarter);
            ``Series.date_col`` holds the same spelling, so it can be passed back.
        options: how to read the file; defaults to ``ReadOptions()``.
        freq: frequency the data must have (a fitted bundle's), or None.

    Returns:
        The ``Series``; ``notes`` lists what was changed (sorting, trimming, filling).

    Raises:
        DataError: the file cannot be used as asked; the message names the fix.
        UsageError: contradictory options (same decimal and thousands mark).
    """
    opts, file, encoding, sep, names, sample, row_numbers = _open(path, options)
    _check_date_col(file, names, target, date_col)
    time_cols = times.find_time_columns(file, names, sample, target, date_col, opts.date_format,
                                        skip=(row_numbers,))
    notes: list[str] = []
    wanted = _choose_columns(file, names, sample, target, features, time_cols, row_numbers, opts, notes)
    frame = _read_frame(file, encoding, sep, names, wanted, time_cols, opts)
    index, utc = None, False
    if not time_cols:
        if date_col is None:
            notes.insert(0, "no time column found; using row order (pass --date-col to name one)")
    else:
        index, frame, utc = _time_order(file, frame, time_cols, opts, notes)
    values = _to_matrix(file, frame, wanted)
    index, values = _trim_ends(index, values, wanted[0], notes)
    detected = None
    inserted = np.zeros(len(values), dtype=bool)
    if index is not None:
        detected = times.infer_freq(index, freq, notes)
        if detected is not None:
            index, values, inserted = _fill_timestamps(file, index, values, detected, notes)
    _check_freq(file, detected, freq)
    filled = np.isnan(values)
    _fill_missing(values, wanted, inserted, notes)
    return Series(values=np.ascontiguousarray(values, dtype=np.float32), columns=wanted,
                  index=index, date_col=",".join(time_cols) or None, freq=detected, notes=notes,
                  path=str(file), sha256=file_sha256(file), header=names, filled=filled, utc=utc)


def _open(path, options: ReadOptions | None):
    """The steps every reader starts with: check the options and the file, find the encoding,
    separator, header, a sample of rows and any leading row-number column.

    Returns:
        (options, file, encoding, separator, column names, sample rows, row-number column or None).
    """
    opts = options or ReadOptions()
    _check_options(opts)
    file = _check_file(path, opts.encoding)
    encoding = opts.encoding or _detect_encoding(file)
    sep, names, sample = _scan_text(file, encoding, opts)
    return opts, file, encoding, sep, names, sample, _index_column(names, sample)


def column_names(path, options: ReadOptions | None = None) -> list[str]:
    """The header's column names, read as `load_csv` would.

    Raises:
        DataError: the file cannot be read that far.
    """
    opts = options or ReadOptions()
    file = _check_file(path, opts.encoding)
    return _scan_text(file, opts.encoding or _detect_encoding(file), opts)[1]


@dataclass
class Table:
    """A CSV read whole for profiling (`tsfc doctor`): every column, nothing sorted, filled or dropped."""

    path: Path
    encoding: str
    sep: str
    header: list[str]
    row_numbers: str | None  # a leading column of row numbers, left out of `frame`
    time_cols: list[str]
    times: pd.Series | None  # the parsed timestamps in file order (None: row order)
    utc: bool
    frame: pd.DataFrame  # every other column in file order: numbers as float64, text as strings
    numeric: list[str]
    not_numeric: dict[str, str]  # a column that looked numeric but holds text -> the reader's error
    notes: list[str] = field(default_factory=list)


def read_table(path, date_col: str | None = None, options: ReadOptions | None = None) -> Table:
    """Read every column of a CSV as `load_csv` would, without choosing a target or cleaning.

    Encoding, separator, header, row-number column and time column are found by the same code
    as `load_csv`, and numbers are parsed with the same dialect, so a file this reads
    `load_csv` reads too (for a numeric target and unique timestamps).

    Raises:
        DataError: as `load_csv`: an unreadable file, a bad --date-col, a row without a time.
        UsageError: contradictory options.
    """
    opts, file, encoding, sep, names, sample, row_numbers = _open(path, options)
    _check_date_col(file, names, None, date_col)
    time_cols = times.find_time_columns(file, names, sample, None, date_col, opts.date_format,
                                        skip=(row_numbers,))
    columns = [name for name in names if name not in time_cols and name != row_numbers]
    numeric = [name for name in columns if _looks_numeric(sample, names.index(name), opts)]
    kwargs = _csv_kwargs(encoding, sep, names, [*columns, *time_cols], opts)
    not_numeric: dict[str, str] = {}
    try:
        frame = pd.read_csv(file, dtype={name: "float64" if name in numeric else str
                                         for name in [*columns, *time_cols]}, **kwargs)
    except pd.errors.ParserError as err:
        raise _parse_failure(file, err) from None
    except ValueError:  # a column that looked numeric holds text further down
        frame = pd.read_csv(file, dtype=str, **kwargs)
        for name in list(numeric):
            try:
                _check_numeric_column(file, name, frame[name], opts)
            except DataError as exc:
                not_numeric[name], numeric = str(exc), [n for n in numeric if n != name]
            else:
                frame[name] = _parse_numbers(frame[name], opts)
    notes: list[str] = []
    stamps, utc = None, False
    if time_cols:
        raw, stamps, utc = _parse_time_columns(file, frame, time_cols, opts, notes)
        times.check_parsed(file, raw, stamps, ",".join(time_cols))
    return Table(path=file, encoding=encoding, sep=sep, header=names, row_numbers=row_numbers,
                 time_cols=time_cols, times=stamps, utc=utc, frame=frame[columns], numeric=numeric,
                 not_numeric=not_numeric, notes=notes)


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


def _index_column(names: list[str], sample: list[list[str]]) -> str | None:
    """The first column when it holds row numbers: named like an index, or unnamed and counting 1..n."""
    if not names or names[0].lower() not in INDEX_NAMES:
        return None
    numbers = pd.to_numeric(pd.Series([row[0] for row in sample if row]), errors="coerce")
    steps = numbers.diff().dropna()
    if numbers.isna().any() or (numbers % 1 != 0).any() or not (steps > 0).all():
        return None
    if names[0] == "" and not ((steps == 1).all() and numbers.iloc[0] in (0, 1)):
        return None  # an unnamed first column is data unless it counts the rows
    return names[0]


def missing_column(file: Path, name: str, choices: list[str], flag: str) -> DataError:
    """'no column X', suggesting a column that differs only in case or by a typo."""
    folded = [choice for choice in choices if choice.lower() == name.lower()]
    guess = folded or difflib.get_close_matches(name, choices, n=1, cutoff=0.75)
    hint = f"; did you mean {guess[0]!r}? The" if guess else "; the"
    return _fail(file, f"no column {name!r}{hint} columns are {', '.join(choices)}", f"pass {flag} with one of them")


def _check_date_col(file: Path, names: list[str], target: str, date_col: str | None) -> None:
    if date_col is None or date_col.strip().lower() == "none" or date_col in names:
        return
    for name in date_col.split(","):
        if name.strip() not in names:
            raise missing_column(file, name.strip(), [n for n in names if n != target],
                                 "--date-col (or --date-col none)")


def _choose_columns(file, names, sample, target, features, time_cols, row_numbers, opts, notes,
                    exclude=()) -> list[str]:
    """Return ``[target, *features]`` after checking each exists and is not a time (or `exclude`d id) column."""
    usable = [name for name in names if name not in time_cols and name != row_numbers and name not in exclude]
    if target not in names:
        numeric = [name for name in usable if _looks_numeric(sample, names.index(name), opts)]
        raise missing_column(file, target, numeric or usable, "--target")
    if target in time_cols:
        raise _fail(file, f"target {target!r} is the time column", "pass --target with a numeric column")
    if features is None:
        return [target]
    if isinstance(features, str):
        if features != "all":
            raise UsageError(f"features must be a list of names or 'all', got {features!r}")
        if row_numbers is not None:
            notes.append(f"left out {row_numbers or 'the unnamed first column'} (row numbers) of --features all")
        return [target] + [name for name in usable
                           if name != target and _looks_numeric(sample, names.index(name), opts)]
    for name in features:
        if name not in names:
            raise missing_column(file, name, [n for n in usable if n != target], "--features")
        if name == target or name in time_cols or name in exclude:
            what = "target" if name == target else "time column" if name in time_cols else "id column"
            raise _fail(file, f"feature {name!r} is the {what}", "leave it out of --features")
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


def _csv_kwargs(encoding, sep, names, columns, opts) -> dict:
    """pandas.read_csv arguments that read `columns` as the reader does (dialect, NA tokens)."""
    return dict(sep=sep, encoding=encoding, skiprows=opts.skip_rows, header=0, names=names,
                usecols=[names.index(name) for name in columns], decimal=opts.decimal,
                thousands=opts.thousands, na_values=NA_TOKENS, keep_default_na=False, engine="c")


def _read_frame(file, encoding, sep, names, wanted, time_cols, opts) -> pd.DataFrame:
    """Read only the needed columns: numbers as float32, the time column(s) as strings."""
    kwargs = _csv_kwargs(encoding, sep, names, [*wanted, *time_cols], opts)
    dtype = {name: "float32" for name in wanted} | {name: str for name in time_cols}
    try:
        return pd.read_csv(file, dtype=dtype, **kwargs)
    except pd.errors.ParserError as err:  # a ValueError too, so caught first
        raise _parse_failure(file, err) from None
    except ValueError:
        # A column holds text; reread the numeric columns as text to say where (error path).
        frame = pd.read_csv(file, dtype=str, **kwargs)
        for name in wanted:
            _check_numeric_column(file, name, frame[name], opts)
        raise _fail(file, f"columns {', '.join(wanted)} cannot be read as numbers",
                    "check --sep, --decimal and --thousands") from None


def _parse_failure(file: Path, err: Exception) -> DataError:
    return _fail(file, f"cannot be parsed as CSV ({str(err).strip().splitlines()[-1]})",
                 "check quoting, --sep and --skip-rows")


def _check_numeric_column(file: Path, name: str, cells: pd.Series, opts: ReadOptions) -> None:
    present = cells.notna()
    bad = present & _parse_numbers(cells.where(present, "0"), opts).isna()
    if not bad.any():
        return
    row = int(np.argmax(bad.to_numpy()))
    value = str(cells.iloc[row])
    if re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+\s*", value) and np.isinf(float(value)):
        # pandas' C parser refuses exponents past float64 instead of reading inf.
        raise _fail(file, f"column {name!r} row {row + 1}: value is infinite or too large for float32 ({value})",
                    "fix or blank out that value")
    fix = f"pass --features without {name!r}, or clean the file"
    if re.fullmatch(r"\s*-?\d+,\d+\s*", value) and opts.decimal != ",":
        fix = "pass --decimal , (or --thousands , if ',' groups thousands)"
    elif re.fullmatch(r"\s*-?\d{1,3}([,.' ]\d{3})+([.,]\d+)?\s*", value):
        fix = "pass --thousands with the grouping mark (and --decimal if it is ',')"
    raise _fail(file, f"column {name!r} row {row + 1}: {value!r} is not a number", fix)


def _time_order(file, frame, time_cols, opts, notes):
    """Parse the time column(s), sort by time, reject duplicates; return (index, frame, utc).

    The frame keeps its row labels (data rows from 0) so later messages name the file's row.
    """
    raw, stamps, utc = _parse_time_columns(file, frame, time_cols, opts, notes)
    index, order = times.order_times(file, raw, stamps, ",".join(time_cols), notes)
    return index, frame.drop(columns=time_cols).iloc[order], utc


def _parse_time_columns(file, frame, time_cols, opts, notes):
    """(cells or None, timestamps in file order, whether they were converted to UTC)."""
    if not times.is_split(time_cols):
        raw = frame[time_cols[0]]
        stamps, note = times.parse_times(raw, opts.date_format)
        if note:
            notes.append(note)
        return raw, stamps, note is not None and times.TO_UTC in note
    notes.append(f"built the time column from {', '.join(time_cols)}")
    return None, times.parse_parts(file, frame, time_cols), False


def _to_matrix(file: Path, frame: pd.DataFrame, wanted: list[str]) -> np.ndarray:
    values = np.empty((len(frame), len(wanted)), dtype=np.float32)  # [rows, C]
    for col, name in enumerate(wanted):
        values[:, col] = frame[name].to_numpy(dtype=np.float32)
        infinite = np.isinf(values[:, col])
        if infinite.any():
            row = int(frame.index[np.argmax(infinite)])
            raise _fail(file, f"column {name!r} row {row + 1}: value is infinite or too large "
                              f"for float32 ({frame[name].iloc[np.argmax(infinite)]})", "fix or blank out that value")
        if np.isnan(values[:, col]).all():
            raise _fail(file, f"column {name!r} has no values", "pass --target/--features with a filled column")
        _check_magnitudes(file, name, values[:, col], frame.index)
    return values


def _check_magnitudes(file: Path, name: str, column: np.ndarray, rows: pd.Index) -> None:
    """Refuse a value many orders of magnitude away from the rest of its column.

    A value is absurd when it lies more than ``ABSURD_SPREADS`` times the column's
    spread (interquartile range, else median absolute value) from the median and
    more than ``ABSURD_DIFF`` from it: sentinels like 9.99e20 and unit slips of
    10^9, never the spikes and level shifts of real series.
    """
    present = column[~np.isnan(column)].astype(np.float64)
    if len(present) < 3:
        return
    low, median, high = np.percentile(present, [25, 50, 75])
    spread = (high - low) or float(np.median(np.abs(present)))
    distance = np.abs(column.astype(np.float64) - median)
    absurd = (distance > ABSURD_SPREADS * spread) & (distance > ABSURD_DIFF)
    if absurd.any():
        at = int(np.argmax(absurd))
        raise _fail(file, f"column {name!r} row {int(rows[at]) + 1}: {column[at]:.6g} is more than "
                          f"{ABSURD_SPREADS:.0e} times the column's spread from its median {median:.6g}",
                    "fix or blank out that value (a missing-value code or a unit error?)")


def _trim_ends(index, values: np.ndarray, target: str, notes: list[str]):
    """Drop the rows before the target's first value and after its last: nothing to learn or fill there."""
    present = np.flatnonzero(~np.isnan(values[:, 0]))
    first, last = int(present[0]), int(present[-1])
    for count, where in ((first, "leading"), (len(values) - 1 - last, "trailing")):
        if count:
            notes.append(f"dropped {count} {where} rows where {target} is empty")
    if first == 0 and last == len(values) - 1:
        return index, values
    return (None if index is None else index[first:last + 1]), values[first:last + 1]


def _fill_timestamps(file: Path, index, values, freq: str, notes: list[str]):
    """Reindex onto the full regular grid; inserted rows are NaN until filled.

    Raises:
        DataError: the grid would invent more than ``MAX_FILL_SHARE`` of the rows
            (and more than ``MAX_FILL_ROWS``).
    """
    grid = pd.date_range(index[0], index[-1], freq=freq, name=index.name)
    inserted = np.ones(len(grid), dtype=bool)
    inserted[grid.get_indexer(index)] = False
    if not inserted.any():
        return grid, values, inserted
    added = len(grid) - len(index)
    if added > max(MAX_FILL_ROWS, MAX_FILL_SHARE * len(index)):
        raise _fail(file, f"the inferred frequency is {freq}, but filling its gaps would invent {added} rows, "
                          f"{added / len(index):.0%} of the {len(index)} read",
                    "pass --date-format if the dates are misread, resample or aggregate the data to "
                    "one regular frequency first, or pass --date-col none to use row order")
    full = np.full((len(grid), values.shape[1]), np.nan, dtype=np.float32)  # [grid rows, C]
    full[~inserted] = values
    notes.append(f"inserted {added} missing timestamps ({freq}) "
                 "and filled them by linear interpolation")
    return grid, full, inserted


def _check_freq(file: Path, detected: str | None, expected: str | None) -> None:
    if expected is None:
        return
    if not times.same_freq(detected, expected):
        raise _fail(file, f"data frequency is {detected or 'unknown'} but the model expects {expected}",
                    "pass data at the model's frequency (resample it first)")


def _fill_missing(values: np.ndarray, columns: list[str], inserted: np.ndarray,
                  notes: list[str]) -> None:
    """Linear interpolation in row order; a feature's ends take its nearest value (np.interp clamps).

    Rows in ``inserted`` (new timestamps) are filled too but already have their own note.
    """
    rows = np.arange(len(values))
    for col, name in enumerate(columns):
        missing = np.isnan(values[:, col])
        if not missing.any():
            continue
        present = rows[~missing]
        ends = missing & ((rows < present[0]) | (rows > present[-1]))
        values[missing, col] = np.interp(rows[missing], present, values[~missing, col])
        count = int((missing & ~inserted & ~ends).sum())
        if count:
            notes.append(f"filled {count} missing values in {name} by linear interpolation")
        if ends.any():
            notes.append(f"repeated the nearest value of {name} over its {int(ends.sum())} empty rows "
                         "at the start or end")


# --- many series in one long table (tsfc.panel groups them) -----------------

ID_SEP = "|"  # joins the values of several id columns into one id: "Sydney|New South Wales|Holiday"


@dataclass
class LongTable:
    """A long-format CSV as read, before grouping: one row per series and time, in file order."""

    values: np.ndarray  # [rows, C] float32, NaN where empty
    columns: list[str]  # target, then features
    ids: np.ndarray  # [rows] object: each row's id, the id columns' values joined by ID_SEP
    id_cols: list[str]
    times: np.ndarray | None  # [rows] datetime64[ns], or None for row order
    rows: np.ndarray  # [rows] the file's data row numbers, from 1 (for messages)
    date_col: str | None
    notes: list[str]
    path: Path
    sha256: str


def read_long(path, target: str, id_cols: list[str], features: list[str] | str | None = None,
              date_col: str | None = None, options: ReadOptions | None = None) -> LongTable:
    """Read a long-format CSV (an id column or several, a time column, values) without grouping it.

    The checks of `load_csv` apply to the whole file (encoding, separator, field counts,
    numbers, absurd values); the id columns are read as text and never chosen as the time
    column or as features.

    Raises:
        DataError: as `load_csv`, and an id column that is missing, empty in some row,
            or also the target, a feature or the time column.
    """
    opts, file, encoding, sep, names, sample, row_numbers = _open(path, options)
    for name in id_cols:
        if name not in names:
            raise missing_column(file, name, [n for n in names if n != target], "--id-col")
    if target in id_cols:
        raise _fail(file, f"target {target!r} is also an --id-col", "pass --id-col with the columns naming the series")
    _check_date_col(file, names, target, date_col)
    time_cols = times.find_time_columns(file, names, sample, target, date_col, opts.date_format,
                                        skip=(row_numbers, *id_cols))
    clash = [name for name in id_cols if name in time_cols]
    if clash:
        raise _fail(file, f"--id-col {clash[0]!r} is also the time column", "pass --date-col with the time column")
    notes: list[str] = []
    wanted = _choose_columns(file, names, sample, target, features, time_cols, row_numbers, opts, notes,
                             exclude=id_cols)
    frame = _read_frame(file, encoding, sep, names, wanted, [*time_cols, *id_cols], opts)
    ids = _join_ids(file, frame, id_cols)
    stamps = None
    if time_cols:
        raw, stamps, _ = _parse_time_columns(file, frame, time_cols, opts, notes)
        times.check_parsed(file, raw, stamps, ",".join(time_cols))
        stamps = stamps.to_numpy(dtype="datetime64[ns]")
    elif date_col is None:
        notes.insert(0, "no time column found; using row order within each series (pass --date-col to name one)")
    values = _to_matrix(file, frame, wanted)
    return LongTable(values, wanted, ids, list(id_cols), stamps, frame.index.to_numpy() + 1,
                     ",".join(time_cols) or None, notes, file, file_sha256(file))


def _join_ids(file: Path, frame: pd.DataFrame, id_cols: list[str]) -> np.ndarray:
    """Each row's id: the id columns' values, stripped, joined by ID_SEP; refuse empty ones."""
    parts = []
    for name in id_cols:
        cells = frame[name].astype("string").str.strip()
        empty = cells.isna() | (cells == "")
        if empty.any():
            row = int(frame.index[int(np.argmax(empty.to_numpy()))]) + 1
            raise _fail(file, f"column {name!r} row {row}: empty id", "fill in the id, or remove the row")
        if cells.str.contains(ID_SEP, regex=False).any():
            value = cells[cells.str.contains(ID_SEP, regex=False)].iloc[0]
            raise _fail(file, f"id {value!r} in column {name!r} contains {ID_SEP!r}, which tsfc uses to join ids",
                        f"replace {ID_SEP!r} in the ids")
        parts.append(cells)
    joined = parts[0]
    for cells in parts[1:]:
        joined = joined + ID_SEP + cells
    return joined.to_numpy(dtype=object)
