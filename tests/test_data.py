"""Tests for tsfc.data: tiny hand-made CSVs, error messages, round-trip properties."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsfc import data
from tsfc.data import ReadOptions, file_sha256, future_index, load_csv
from tsfc.errors import DataError, UsageError

ETTH1 = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETTh1.csv"
HOURLY = "date,load,OT\n2024-01-01 00:00:00,1.5,10\n2024-01-01 01:00:00,2.5,11\n2024-01-01 02:00:00,3.5,12\n"


def write(tmp_path, text: str, name: str = "d.csv", encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def assert_hourly(series, notes=()):
    np.testing.assert_array_equal(series.values, np.array([[10, 1.5], [11, 2.5], [12, 3.5]], np.float32))
    assert series.columns == ["OT", "load"]
    assert series.freq == "h"
    assert series.date_col == "date"
    assert series.index[0] == pd.Timestamp("2024-01-01 00:00")
    assert series.notes == list(notes)


# --- accepted dialects -------------------------------------------------------

@pytest.mark.parametrize("text, encoding, newline, options", [
    (HOURLY, "utf-8", "\n", None),
    (HOURLY.replace(",", ";").replace("1.5", "1,5").replace("2.5", "2,5").replace("3.5", "3,5"),
     "utf-8", "\n", ReadOptions(decimal=",")),
    (HOURLY.replace(",", "\t"), "utf-8", "\n", None),
    (HOURLY.replace(",", "|"), "utf-8", "\n", None),
    (HOURLY, "utf-8", "\r\n", None),
    (HOURLY, "utf-8-sig", "\n", None),
    (HOURLY, "utf-16", "\n", None),
    (HOURLY.replace(",", ";"), "utf-8", "\n", ReadOptions(sep=";")),
    ('"date","load","OT"\n"2024-01-01 00:00:00","1.5","10"\n"2024-01-01 01:00:00","2.5","11"\n'
     '"2024-01-01 02:00:00","3.5","12"\n', "utf-8", "\n", None),
], ids=["comma", "semicolon-decimal-comma", "tab", "pipe", "crlf", "bom", "utf16", "explicit-sep", "quoted"])
def test_dialects_read_back_exactly(tmp_path, text, encoding, newline, options):
    path = write(tmp_path, text, encoding=encoding, newline=newline)
    assert_hourly(load_csv(path, "OT", ["load"], options=options))


def test_latin1_needs_encoding_flag(tmp_path):
    path = write(tmp_path, HOURLY.replace("load", "lödé"), encoding="latin-1")
    with pytest.raises(DataError, match="line 1: byte 0xf6 .*--encoding latin-1"):
        load_csv(path, "OT")
    series = load_csv(path, "OT", ["lödé"], options=ReadOptions(encoding="latin-1"))
    assert series.columns == ["OT", "lödé"]
    assert series.values[:, 1].tolist() == [1.5, 2.5, 3.5]


def test_utf16_without_bom_needs_encoding_flag(tmp_path):
    path = write(tmp_path, HOURLY, encoding="utf-16-le")
    with pytest.raises(DataError, match="contains NUL bytes.*--encoding utf-16-le"):
        load_csv(path, "OT")
    assert_hourly(load_csv(path, "OT", ["load"], options=ReadOptions(encoding="utf-16-le")))


def test_quoted_thousands(tmp_path):
    path = write(tmp_path, 'date,sales\n2024-01-01,"1,234.5"\n2024-01-02,"12,000"\n2024-01-03,7\n')
    with pytest.raises(DataError, match=r"row 1: '1,234.5' is not a number; pass --thousands"):
        load_csv(path, "sales")
    series = load_csv(path, "sales", options=ReadOptions(thousands=","))
    assert series.values[:, 0].tolist() == [1234.5, 12000, 7]
    assert series.freq == "D"


def test_skip_rows_and_path_and_hash(tmp_path):
    path = write(tmp_path, "exported by tool\nunits: C\n" + HOURLY)
    series = load_csv(path, "OT", ["load"], options=ReadOptions(skip_rows=2))
    assert_hourly(series)
    assert series.path == str(path.resolve())
    assert series.sha256 == file_sha256(path) and len(series.sha256) == 64


# --- time handling -------------------------------------------------------------

def test_sorting_is_noted(tmp_path):
    lines = HOURLY.strip().split("\n")
    path = write(tmp_path, "\n".join([lines[0], lines[3], lines[1], lines[2]]) + "\n")
    assert_hourly(load_csv(path, "OT", ["load"]), ["sorted 3 rows into time order"])


def test_gap_and_na_filling(tmp_path):
    text = ("date,OT,x\n2024-01-01 00:00,0,NA\n2024-01-01 01:00,,1\n2024-01-01 02:00,2,n/a\n"
            "2024-01-01 04:00,4,-\n2024-01-01 05:00,5,null\n2024-01-01 06:00,6,6\n")
    series = load_csv(write(tmp_path, text), "OT", ["x"])
    assert series.freq == "h"
    assert len(series.index) == 7
    np.testing.assert_allclose(series.values[:, 0], [0, 1, 2, 3, 4, 5, 6])
    # x: NA at the start takes the first value, inner gaps interpolate linearly in time.
    np.testing.assert_allclose(series.values[:, 1], [1, 1, 2, 3, 4, 5, 6])
    assert series.notes == ["inserted 1 missing timestamps (h) and filled them by linear interpolation",
                            "filled 1 missing values in OT by linear interpolation",
                            "filled 4 missing values in x by linear interpolation"]


@pytest.mark.parametrize("dates, freq", [
    (pd.date_range("2024-01-01", periods=5, freq="h"), "h"),
    (pd.date_range("2024-01-01", periods=5, freq="D"), "D"),
    (pd.date_range("2020-01-01", periods=5, freq="MS"), "MS"),
    (pd.date_range("2020-01-31", periods=5, freq="ME"), "ME"),
    (pd.date_range("2024-01-07", periods=5, freq="W-SUN"), "W-SUN"),
    (pd.date_range("2024-01-01", periods=5, freq="15min"), "15min"),
])
def test_frequency_detection(tmp_path, dates, freq):
    text = "ds,y\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates))
    series = load_csv(write(tmp_path, text), "y")
    assert series.freq == freq
    assert list(future_index(series.index[-1], series.freq, 2)) == list(
        pd.date_range(dates[-1], periods=3, freq=freq)[1:])


def test_monthly_with_gap_is_regular(tmp_path):
    text = "month,y\n2020-01,1\n2020-02,2\n2020-04,4\n2020-05,5\n2020-06,6\n"
    series = load_csv(write(tmp_path, text), "y")
    assert series.freq == "MS"
    np.testing.assert_allclose(series.values[:, 0], [1, 2, 3, 4, 5, 6])
    assert "inserted 1 missing timestamps (MS)" in series.notes[0]


def test_irregular_series_has_no_freq(tmp_path):
    text = "date,y\n2024-01-01 00:00,1\n2024-01-01 00:07,2\n2024-01-01 03:00,3\n2024-01-02 11:13,4\n"
    series = load_csv(write(tmp_path, text), "y")
    assert series.freq is None and len(series.index) == 4
    assert any("irregular" in note for note in series.notes)


def test_freq_mismatch(tmp_path):
    path = write(tmp_path, HOURLY)
    assert load_csv(path, "OT", freq="h").freq == "h"
    with pytest.raises(DataError, match="data frequency is h but the model expects D"):
        load_csv(path, "OT", freq="D")


def test_timezone_offsets_become_utc(tmp_path):
    # Europe/Berlin around the 2024 DST switch: offsets change from +01:00 to +02:00.
    text = ("time,y\n2024-03-31 00:00:00+01:00,1\n2024-03-31 01:00:00+01:00,2\n"
            "2024-03-31 03:00:00+02:00,3\n2024-03-31 04:00:00+02:00,4\n")
    series = load_csv(write(tmp_path, text), "y")
    assert series.index.tz is None
    assert series.index[0] == pd.Timestamp("2024-03-30 23:00")
    assert series.freq == "h"
    assert series.notes == ["converted 4 time-zone-aware timestamps to UTC and dropped the zone"]


def test_iso_timestamps_of_mixed_precision(tmp_path):
    path = write(tmp_path, "date,y\n2024-01-01,1\n2024-01-01 01:00,2\n2024-01-01T02:00:00,3\n")
    assert load_csv(path, "y").freq == "h"


def test_single_row_with_expected_freq(tmp_path):
    series = load_csv(write(tmp_path, "date,y\n2024-01-01,1\n"), "y", freq="D")
    assert series.freq == "D" and series.values.shape == (1, 1)
    assert load_csv(write(tmp_path, "date,y\n2024-01-01,1\n", "n.csv"), "y").freq is None


def test_date_format(tmp_path):
    path = write(tmp_path, "date,y\n31/01/2024,1\n01/02/2024,2\n02/02/2024,3\n")
    series = load_csv(path, "y", options=ReadOptions(date_format="%d/%m/%Y"))
    assert series.index[0] == pd.Timestamp("2024-01-31") and series.freq == "D"


def test_date_col_none_and_detection(tmp_path):
    path = write(tmp_path, "when,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    assert load_csv(path, "y").date_col == "when"  # detected by its values
    series = load_csv(path, "y", date_col="none")
    assert series.index is None and series.freq is None and series.notes == []
    plain = load_csv(write(tmp_path, "y\n1\n\n3\n", "p.csv"), "y")
    assert plain.index is None and plain.values[:, 0].tolist() == [1, 3]
    assert plain.notes == ["no time column found; using row order (pass --date-col to name one)"]


def test_features_all_and_list(tmp_path):
    text = "date,a,name,OT,b\n2024-01-01,1,x,10,5\n2024-01-02,2,y,11,6\n2024-01-03,3,z,12,7\n"
    path = write(tmp_path, text)
    assert load_csv(path, "OT", "all").columns == ["OT", "a", "b"]
    series = load_csv(path, "OT", ["b", "a"])
    assert series.columns == ["OT", "b", "a"]
    np.testing.assert_array_equal(series.values, np.array([[10, 5, 1], [11, 6, 2], [12, 7, 3]], np.float32))
    assert series.values.dtype == np.float32 and series.values.flags.c_contiguous


def test_constant_column_is_fine(tmp_path):
    series = load_csv(write(tmp_path, "date,y\n2024-01-01,3\n2024-01-02,3\n2024-01-03,3\n"), "y")
    assert series.values[:, 0].tolist() == [3, 3, 3]


# --- errors --------------------------------------------------------------------

@pytest.mark.parametrize("text, kwargs, fragment", [
    ("", {}, "the file is empty"),
    ("date,OT\n", {}, "header but no data rows"),
    (HOURLY, {"target": "ot"}, "no column 'ot'; the columns are date, load, OT; pass --target"),
    (HOURLY, {"features": ["nope"]}, "no column 'nope'.*--features"),
    (HOURLY, {"features": ["load", "load"]}, "feature 'load' is listed twice"),
    (HOURLY, {"features": ["OT"]}, "feature 'OT' is the target"),
    (HOURLY, {"date_col": "when"}, "no column 'when'.*--date-col"),
    (HOURLY.replace("11", "abc"), {}, r"column 'OT' row 2: 'abc' is not a number"),
    (HOURLY.replace("11", "inf"), {}, r"column 'OT' row 2: value is infinite"),
    (HOURLY.replace("11", "1e999"), {}, r"column 'OT' row 2: value is infinite"),
    (HOURLY.replace("10", "").replace("11", "NA").replace("12", "null"), {}, "column 'OT' has no values"),
    ("date,OT,OT\n2024-01-01,1,2\n", {}, "column name 'OT' appears twice"),
    (HOURLY.replace("2.5,11", "2.5"), {}, "line 3 has 2 fields but the header has 3"),
    (HOURLY.replace("2.5,11", "2.5,11,9"), {}, "line 3 has 4 fields but the header has 3"),
    ("skip me\n\n" + HOURLY.replace("\n2024", "\n\n2024", 1).replace("3.5,12", "3.5"),
     {"options": ReadOptions(skip_rows=1)}, "line 7 has 2 fields"),
    (HOURLY.replace("02:00:00", "01:00:00"), {}, "duplicate timestamp 2024-01-01 01:00:00 at rows 2 and 3"),
    (HOURLY.replace("2024-01-01 01:00:00", "tomorrow"), {"date_col": "date"},
     r"column 'date' row 2: 'tomorrow' is not a timestamp; pass --date-format"),
    ("date;OT\n2024-01-01;1,5\n2024-01-02;2,5\n", {}, r"'1,5' is not a number; pass --decimal ,"),
    ("date,OT\n2024-01-01,1,5\n2024-01-02,2,5\n", {}, "line 2 has 3 fields.*--decimal"),
    ("date;OT\n2024-01-01;1\n", {"options": ReadOptions(sep=",")}, "one column with separator ','.*--sep"),
    ('date,OT\n2024-01-01,"1\n', {}, "cannot be parsed as CSV .*EOF inside string"),
    (HOURLY, {"options": ReadOptions(skip_rows=9)}, "no header line after skipping 9 lines; check --skip-rows"),
])
def test_errors_name_the_problem_and_fix(tmp_path, text, kwargs, fragment):
    kwargs = {"target": "OT", **kwargs}
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=fragment) as err:
        load_csv(path, **kwargs)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path.resolve()))


@pytest.mark.parametrize("content, fragment", [
    (gzip.compress(HOURLY.encode()), "is a gzip file"),
    (b"PK\x03\x04rest", "is a zip file"),
    (b"date,OT\n\x00\x01\x02", "contains NUL bytes"),
])
def test_binary_files_refused(tmp_path, content, fragment):
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=fragment):
        load_csv(path, "OT")


def test_path_problems(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv", "OT")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path, "OT")
    with pytest.raises(DataError, match="only local files"):
        load_csv("https://example.com/d.csv", "OT")


def test_too_big_for_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_available_memory", lambda: 100)
    with pytest.raises(DataError, match="will not fit in the .* memory available"):
        load_csv(write(tmp_path, HOURLY), "OT")


def test_bad_options(tmp_path):
    path = write(tmp_path, HOURLY)
    with pytest.raises(UsageError, match="--thousands and --decimal must differ"):
        load_csv(path, "OT", options=ReadOptions(thousands="."))
    with pytest.raises(UsageError, match="--skip-rows must be >= 0, got -1"):
        load_csv(path, "OT", options=ReadOptions(skip_rows=-1))


# --- properties ----------------------------------------------------------------

frames = st.integers(3, 12).flatmap(lambda rows: st.lists(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=rows, max_size=rows),
    min_size=1, max_size=3))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=frames, sep=st.sampled_from([",", ";", "\t", "|"]), decimal=st.sampled_from([".", ","]),
       newline=st.sampled_from(["\n", "\r\n"]), dated=st.booleans())
def test_round_trip(tmp_path, columns, sep, decimal, newline, dated):
    if sep == "," and decimal == ",":
        decimal = "."
    names = [f"c{i}" for i in range(len(columns))]
    rows = len(columns[0])
    dates = pd.date_range("2024-01-01", periods=rows, freq="D")
    lines = [sep.join((["date"] if dated else []) + names)]
    for r in range(rows):
        cells = [repr(float(col[r])).replace(".", decimal) for col in columns]
        lines.append(sep.join(([str(dates[r].date())] if dated else []) + cells))
    path = tmp_path / "round.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    series = load_csv(path, names[0], names[1:], options=ReadOptions(decimal=decimal))
    expected = np.array(columns, dtype=np.float32).T
    np.testing.assert_allclose(series.values, expected, rtol=1e-6)
    assert series.freq == ("D" if dated else None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("0123456789.,;\t|\n\"-eaNn: ")), max_size=80))
def test_junk_raises_data_error_or_reads(tmp_path, text):
    path = tmp_path / "junk.csv"
    path.write_text("date,y\n" + text, encoding="utf-8")
    try:
        series = load_csv(path, "y")
    except DataError as err:
        assert "\n" not in str(err)
    else:
        assert np.isfinite(series.values).all() and series.values.shape[1] == 1


# --- real data -----------------------------------------------------------------

@pytest.mark.skipif(not ETTH1.exists(), reason=f"reference data not found at {ETTH1}")
def test_etth1():
    series = load_csv(ETTH1, "OT", "all")
    assert series.values.shape == (17420, 7)
    assert series.freq == "h"
    assert series.index[-1] == pd.Timestamp("2018-06-26 19:00:00")
    assert series.columns == ["OT", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]
    assert series.notes == []
