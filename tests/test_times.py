"""Tests for tsfc.times: seasons by offset, time formats, frequency inference."""

from __future__ import annotations

import pandas as pd
import pytest

from tsfc import baselines
from tsfc.times import infer_freq, parse_times, same_freq, season_for


@pytest.mark.parametrize("freq, season", [
    # hourly and finer, however spelled
    ("h", 24), ("H", 24), ("1h", 24), ("60min", 24), ("3600s", 24),
    ("30min", 48), ("30T", 48), ("15min", 96), ("10min", 144), ("5min", 288), ("1min", 1440), ("T", 1440),
    ("90min", 16), ("7min", 1), ("10s", 360), ("1s", 1),
    ("2h", 12), ("3h", 8), ("4h", 6), ("6h", 4), ("12h", 2), ("7h", 1), ("5h", 1),
    # days and weeks
    ("D", 7), ("1D", 7), ("24h", 7), ("1440min", 7), ("B", 5), ("2D", 1),
    ("W", 52), ("W-SUN", 52), ("W-MON", 52), ("7D", 52), ("2W", 26), ("14D", 26),
    # months, quarters, years
    ("MS", 12), ("ME", 12), ("M", 12), ("1M", 12), ("BMS", 12), ("2M", 6), ("2MS", 6), ("3M", 4), ("3MS", 4),
    ("6M", 2), ("12MS", 1),
    ("QS", 4), ("QE", 4), ("Q", 4), ("QS-OCT", 4), ("QE-DEC", 4), ("Q-DEC", 4), ("2QS", 2),
    ("YS", 1), ("YE", 1), ("Y", 1), ("A-DEC", 1), ("YS-JAN", 1),
    # no frequency
    (None, 1), ("", 1), ("nonsense", 1),
])
def test_season_by_duration_not_spelling(freq, season):
    assert season_for(freq) == season
    assert baselines.season_for(freq) == season  # still importable where callers look for it


@pytest.mark.parametrize("cells, first, second", [
    (["1998 Q1", "1998 Q2"], "1998-01-01", "1998-04-01"),
    (["1998Q3", "1998Q4"], "1998-07-01", "1998-10-01"),
    (["1998-Q4", "1999-Q1"], "1998-10-01", "1999-01-01"),
    (["Q2 2001", "Q3 2001"], "2001-04-01", "2001-07-01"),
    (["1976 Jul", "1976 Aug"], "1976-07-01", "1976-08-01"),
    (["Jul 1976", "Aug 1976"], "1976-07-01", "1976-08-01"),
    (["July 1976", "Sept 1976"], "1976-07-01", "1976-09-01"),
    (["1976-07", "1976-08"], "1976-07-01", "1976-08-01"),
    (["1976M07", "1976M08"], "1976-07-01", "1976-08-01"),
    (["1-01", "1-12"], "2001-01-01", "2001-12-01"),
    (["2011-12-31T13:00:00Z", "2011-12-31T13:30:00Z"], "2011-12-31 13:00", "2011-12-31 13:30"),
])
def test_time_formats(cells, first, second):
    times, _ = parse_times(pd.Series(cells, name="t"), None)
    assert list(times) == [pd.Timestamp(first), pd.Timestamp(second)]


def test_relative_years_are_noted_and_month_days_are_left_to_pandas():
    times, note = parse_times(pd.Series(["1-01", "1-02", "13-03"], name="Month"), None)
    assert list(times.dt.year) == [2001, 2001, 2013] and list(times.dt.month) == [1, 2, 3]
    assert note == "read Month values like '1-01' as year index-month, year 1 stored as 2001"
    # 13 and later cannot be months, so these are not relative years
    _, note = parse_times(pd.Series([f"01-{day:02d}" for day in range(1, 20)]), None)
    assert note is None


def test_a_misspelt_cell_is_not_a_time():
    times, _ = parse_times(pd.Series(["1998 Q1", "1998 Q2", "1998 Q5"]), None)
    assert times.isna().tolist() == [False, False, True]


@pytest.mark.parametrize("dates, freq", [
    (pd.date_range("2020-01-01", periods=30, freq="D").delete([4, 17]), "D"),
    (pd.date_range("2020-01-06", periods=30, freq="B").delete([3, 12]), "B"),
    (pd.date_range("2020-01-01", periods=20, freq="QS").delete([5]), "QS-JAN"),
    (pd.date_range("2020-02-01", periods=20, freq="QS-FEB"), "QS-FEB"),
    (pd.date_range("2020-03-31", periods=20, freq="QE-DEC").delete([5]), "QE-DEC"),
    (pd.date_range("2020-01-01", periods=20, freq="30min").delete([7]), "30min"),
])
def test_infer_freq_with_gaps(dates, freq):
    assert infer_freq(pd.DatetimeIndex(dates), None, []) == freq


def test_expected_freq_keeps_its_spelling():
    dates = pd.date_range("2020-01-01", periods=8, freq="QS")
    assert infer_freq(dates, None, []) == "QS-JAN"
    assert infer_freq(dates, "QS-OCT", []) == "QS-OCT"
    assert same_freq("QS-OCT", "QS-JAN") and same_freq("24h", "D") and same_freq(None, None)
    assert not same_freq("QS-JAN", "QS-FEB") and not same_freq("h", None)
