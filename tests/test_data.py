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

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ETTH1 = DATA / "ETTh1.csv"
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
                            "filled 3 missing values in x by linear interpolation",
                            "repeated the nearest value of x over its 1 empty rows at the start or end"]


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


# --- time formats, split date parts, index columns ---------------------------------

@pytest.mark.parametrize("cells, freq, first", [
    (["1998 Q1", "1998 Q2", "1998 Q3", "1998 Q4", "1999 Q1"], "QS-JAN", "1998-01-01"),
    (["1998Q1", "1998Q2", "1998Q3", "1998Q4", "1999Q1"], "QS-JAN", "1998-01-01"),
    (["1998-Q3", "1998-Q4", "1999-Q1", "1999-Q2", "1999-Q3"], "QS-JAN", "1998-07-01"),
    (["1976 Jul", "1976 Aug", "1976 Sep", "1976 Oct", "1976 Nov"], "MS", "1976-07-01"),
    (["Jul 1976", "Aug 1976", "Sep 1976", "Oct 1976", "Nov 1976"], "MS", "1976-07-01"),
    (["1976-07", "1976-08", "1976-09", "1976-10", "1976-11"], "MS", "1976-07-01"),
    (["1-11", "1-12", "2-01", "2-02", "2-03"], "MS", "2001-11-01"),
    (["2011-12-31T13:00:00Z", "2011-12-31T13:30:00Z", "2011-12-31T14:00:00Z", "2011-12-31T14:30:00Z",
      "2011-12-31T15:00:00Z"], "30min", "2011-12-31 13:00"),
])
def test_time_column_formats(tmp_path, cells, freq, first):
    text = "period,y\n" + "".join(f"{cell},{i}\n" for i, cell in enumerate(cells))
    series = load_csv(write(tmp_path, text), "y")
    assert series.date_col == "period" and series.freq == freq
    assert series.index[0] == pd.Timestamp(first) and len(series.index) == len(cells)
    assert series.values[:, 0].tolist() == list(range(len(cells)))


def test_pairs_of_numbers_are_relative_years_only_under_a_time_name(tmp_path):
    text = "score,y\n2-1,5\n0-3,6\n1-1,7\n"
    assert load_csv(write(tmp_path, text), "y").date_col is None
    with pytest.raises(DataError, match="inferred frequency is MS, but filling its gaps would invent 20 rows"):
        load_csv(write(tmp_path, text.replace("score", "month"), "m.csv"), "y")  # 2002-01, 2000-03, 2001-01


def test_integers_and_month_names_are_not_time_columns(tmp_path):
    series = load_csv(write(tmp_path, "step,y\n1,5\n2,6\n3,7\n"), "y")
    assert series.date_col is None and series.index is None
    series = load_csv(write(tmp_path, "month,y\nJan,5\nFeb,6\nMar,7\n", "m.csv"), "y")
    assert series.date_col is None
    series = load_csv(write(tmp_path, "date,y\n20240101,5\n20240102,6\n20240103,7\n", "c.csv"), "y")
    assert series.date_col == "date" and series.freq == "D"  # compact dates under a time name still count


@pytest.mark.parametrize("header, rows, date_col, freq, first", [
    ("year,month,y", ["2020,11", "2020,12", "2021,1", "2021,2"], "year,month", "MS", "2020-11-01"),
    ("Year,Month,y", ["2020,Nov", "2020,Dec", "2021,Jan", "2021,Feb"], "Year,Month", "MS", "2020-11-01"),
    ("year,month,day,y", ["2020,2,28", "2020,2,29", "2020,3,1", "2020,3,2"], "year,month,day", "D", "2020-02-28"),
    ("year,month,day,hour,y", ["2020,1,1,22", "2020,1,1,23", "2020,1,2,0", "2020,1,2,1"],
     "year,month,day,hour", "h", "2020-01-01 22:00"),
    ("year,quarter,y", ["2020,3", "2020,4", "2021,1", "2021,2"], "year,quarter", "QS-JAN", "2020-07-01"),
    ("year,y", ["2018", "2019", "2020", "2021"], "year", "YS-JAN", "2018-01-01"),
])
def test_split_date_parts(tmp_path, header, rows, date_col, freq, first):
    text = header + "\n" + "".join(f"{row},{i}\n" for i, row in enumerate(rows))
    path = write(tmp_path, text)
    series = load_csv(path, "y", "all")
    assert series.date_col == date_col and series.freq == freq and series.columns == ["y"]
    assert series.index[0] == pd.Timestamp(first)
    assert series.values[:, 0].tolist() == [0, 1, 2, 3]
    again = load_csv(path, "y", date_col=series.date_col)  # as a bundle passes it back at predict time
    assert again.date_col == date_col and list(again.index) == list(series.index)


def test_date_parts_named_explicitly(tmp_path):
    path = write(tmp_path, "yr,mo,y\n2020,11,1\n2020,12,2\n2021,1,3\n")
    assert load_csv(path, "y").date_col is None  # not part names: no guessing
    series = load_csv(path, "y", date_col="yr,mo")  # in the order year, month
    assert series.date_col == "yr,mo" and series.freq == "MS"
    assert load_csv(path, "y", date_col="yr, mo").date_col == "yr,mo"
    with pytest.raises(DataError, match=r"column 'mo' row 2: '13' is not a month \(1-12 or a name"):
        load_csv(write(tmp_path, "yr,mo,y\n2020,11,1\n2020,13,2\n", "bad.csv"), "y", date_col="yr,mo")
    with pytest.raises(DataError, match="no column 'mont'; did you mean 'month'"):
        load_csv(write(tmp_path, "year,month,y\n2020,1,1\n", "x.csv"), "y", date_col="year,mont")


def test_a_date_column_wins_over_parts(tmp_path):
    text = "date,year,month,y\n2020-01-01,2020,1,5\n2020-02-01,2020,2,6\n2020-03-01,2020,3,7\n"
    series = load_csv(write(tmp_path, text), "y", "all")
    assert series.date_col == "date" and series.columns == ["y", "year", "month"]


@pytest.mark.parametrize("name", ["rownames", "No", "index", "Unnamed: 0", ""])
def test_row_number_column_is_left_out(tmp_path, name):
    text = f"{name},date,x,y\n1,2024-01-01,5,1\n2,2024-01-02,6,2\n3,2024-01-03,8,3\n"
    path = write(tmp_path, text)
    series = load_csv(path, "y", "all")
    assert series.columns == ["y", "x"] and series.date_col == "date"
    assert series.notes == [f"left out {name or 'the unnamed first column'} (row numbers) of --features all"]
    with pytest.raises(DataError, match="no column 'z'; the columns are x, y;"):
        load_csv(path, "z")


def test_row_numbers_without_a_time_column(tmp_path):
    path = write(tmp_path, ",y,x\n1,10,5\n2,11,6\n3,12,7\n")
    series = load_csv(path, "y", "all")
    assert series.index is None and series.columns == ["y", "x"]
    # an unnamed first column that does not count rows is data
    assert load_csv(write(tmp_path, ",y\n7,10\n3,11\n9,12\n", "u.csv"), "y", "all").columns == ["y", ""]


# --- gaps, empty ends, absurd values -----------------------------------------------

def test_too_many_missing_timestamps_is_an_error(tmp_path):
    dates = pd.date_range("2024-01-01", periods=40, freq="h").delete(range(10, 16))  # 6 of 40 missing
    path = write(tmp_path, "date,y\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates)))
    with pytest.raises(DataError, match=r"inferred frequency is h, but filling its gaps would invent 6 rows, "
                                        r"18% of the 34 read; pass --date-format .* resample") as err:
        load_csv(path, "y")
    assert "\n" not in str(err.value)
    dates = pd.date_range("2024-01-01", periods=40, freq="h").delete([10, 11, 30])  # 3 of 40: filled
    series = load_csv(write(tmp_path, "date,y\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates)),
                            "ok.csv"), "y")
    assert len(series.values) == 40 and series.notes[0].startswith("inserted 3 missing timestamps (h)")


def test_empty_target_ends_are_dropped_not_filled(tmp_path):
    text = ("date,y,x\n2024-01-01,,1\n2024-01-02,,2\n2024-01-03,3,3\n2024-01-04,,4\n2024-01-05,5,5\n"
            "2024-01-06,,6\n")
    series = load_csv(write(tmp_path, text), "y", ["x"])
    assert series.index[0] == pd.Timestamp("2024-01-03") and series.index[-1] == pd.Timestamp("2024-01-05")
    np.testing.assert_allclose(series.values, [[3, 3], [4, 4], [5, 5]])  # the interior gap is interpolated
    assert series.notes == ["dropped 2 leading rows where y is empty", "dropped 1 trailing rows where y is empty",
                            "filled 1 missing values in y by linear interpolation"]
    plain = load_csv(write(tmp_path, "y\n1\n2\nNA\n", "p.csv"), "y", date_col="none")
    assert plain.values[:, 0].tolist() == [1, 2] and plain.notes == ["dropped 1 trailing rows where y is empty"]


@pytest.mark.parametrize("value, row", [("1e30", 3), ("-9.99e20", 3), ("3e12", 3)])
def test_absurd_values_are_refused(tmp_path, value, row):
    cells = ["12.5", "13.1", value, "12.9", "14.0", "13.3"]
    path = write(tmp_path, "date,y\n" + "".join(f"2024-01-0{i + 1},{c}\n" for i, c in enumerate(cells)))
    with pytest.raises(DataError, match=rf"column 'y' row {row}: .* times the column's spread .*fix or blank"):
        load_csv(path, "y")


def test_big_but_real_values_are_kept(tmp_path):
    cells = ["0", "0", "0", "0", "250000", "0", "3", "1e8"]  # intermittent demand, a spike, a big level
    path = write(tmp_path, "y\n" + "\n".join(cells) + "\n")
    assert load_csv(path, "y").values[-1, 0] == 1e8
    text = "date,y\n2024-01-02,5\n2024-01-01,1e20\n" + "".join(f"2024-01-{day:02d},6\n" for day in range(3, 9))
    path = write(tmp_path, text, "s.csv")
    with pytest.raises(DataError, match="column 'y' row 2: 1e\\+20"):  # the file's row, not the sorted one
        load_csv(path, "y")


# --- errors --------------------------------------------------------------------

@pytest.mark.parametrize("text, kwargs, fragment", [
    ("", {}, "the file is empty"),
    ("date,OT\n", {}, "header but no data rows"),
    (HOURLY, {"target": "ot"}, "no column 'ot'; did you mean 'OT'\\? The columns are load, OT; pass --target"),
    (HOURLY, {"target": "zzz"}, "no column 'zzz'; the columns are load, OT; pass --target"),
    (HOURLY, {"features": ["nope"]}, "no column 'nope'.*--features"),
    (HOURLY, {"features": ["LOAD"]}, "no column 'LOAD'; did you mean 'load'\\?.*--features"),
    (HOURLY, {"target": "Date"}, "no column 'Date'; the columns are load, OT"),
    (HOURLY, {"date_col": "Date"}, "no column 'Date'; did you mean 'date'\\?.*--date-col"),
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


REAL = [("ETTh1.csv", "OT", "h", 17420), ("ETTh2.csv", "OT", "h", 17420),
        ("monthly-mean-temp.csv", "Temperature", "MS", 240), ("monthly-robberies.csv", "Robberies", "MS", 118),
        ("monthly-writing-paper-sales.csv", "Sales", "MS", 147),
        ("daily-max-temperatures.csv", "Temperature", "D", 3652),
        *[("aus_production.csv", name, "QS-JAN", rows) for name, rows in
          [("Beer", 218), ("Cement", 218), ("Electricity", 218), ("Gas", 218), ("Tobacco", 194), ("Bricks", 198)]],
        ("vic_elec.csv", "Demand", "30min", 52608)]


@pytest.mark.parametrize("name, target, freq, rows", REAL, ids=[f"{n}-{t}" for n, t, *_ in REAL])
def test_real_files_load_without_flags(name, target, freq, rows):
    from tsfc.baselines import season_for

    path = DATA / name
    if not path.exists():
        pytest.skip(f"reference data not found at {path}")
    series = load_csv(path, target, "all")  # also runs the absurd-value check on every numeric column
    assert series.freq == freq and series.values.shape[0] == rows
    assert season_for(series.freq) == {"h": 24, "MS": 12, "D": 7, "QS-JAN": 4, "30min": 48}[freq]
    assert "rownames" not in series.columns and series.date_col not in series.columns
    inserted = [note for note in series.notes if note.startswith("inserted")]
    if name == "daily-max-temperatures.csv":  # the leap days 1984-02-29 and 1988-02-29
        assert inserted == ["inserted 2 missing timestamps (D) and filled them by linear interpolation"]
    else:
        assert inserted == []


def test_real_quarterly_ends_and_relative_years():
    production, paper = DATA / "aus_production.csv", DATA / "monthly-writing-paper-sales.csv"
    for path in (production, paper):
        if not path.exists():
            pytest.skip(f"reference data not found at {path}")
    tobacco = load_csv(production, "Tobacco")
    assert tobacco.notes == ["dropped 24 trailing rows where Tobacco is empty"]
    assert tobacco.index[-1] == pd.Timestamp("2004-04-01")
    sales = load_csv(paper, "Sales")
    assert sales.index[0] == pd.Timestamp("2001-01-01") and sales.index[-1] == pd.Timestamp("2013-03-01")
