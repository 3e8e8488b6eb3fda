"""The data contract: recorded at fit, checked by `predict --data` and `evaluate FILE`.

Every violation with its exit code and message; the notes and --strict; --max-age with a
fixed now ($TSFC_NOW or `Checks.now`), so no test reads the clock.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import write_hourly_csv
from tsfc import bundle as bundle_file
from tsfc.cli import app
from tsfc.contract import Checks, check_age, check_series, parse_age, record
from tsfc.data import Series
from tsfc.errors import DataError, UsageError

# The session bundle (conftest.fitted_bundle): target x, feature y, 400 hourly rows from
# 2024-01-01 00:00, so its last timestamp is 2024-01-17 15:00 and it trained on rows < 280.
LAST = "2024-01-17 15:00:00"


def tsfc(*args, env=None):
    return CliRunner().invoke(app, list(args), env=env)


def assert_error(result, code, *fragments):
    """Exit `code`, nothing on stdout, the last stderr line one `tsfc: error:` holding `fragments`."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    *before, error = result.stderr.splitlines()
    assert error.startswith("tsfc: error: ") and all(line.startswith("tsfc: note: ") for line in before)
    for fragment in fragments:
        assert fragment in error, (fragment, error)


def notes_of(result) -> list[str]:
    """The notes on stderr, but predict's own about its forecast (a tiny model strays)."""
    notes = [line.removeprefix("tsfc: note: ") for line in result.stderr.splitlines() if line.startswith("tsfc: note: ")]
    return [n for n in notes if "forecast values of" not in n]


def predict(bundle, data, *extra, env=None):
    return tsfc("predict", "--bundle", str(bundle), "--data", str(data), "-H", "3", *extra, env=env)


@pytest.fixture
def feed(tmp_path):
    """A clean continuation of the session bundle's data: the 100 hours after it."""
    return write_hourly_csv(tmp_path / "feed.csv", rows=100, start="2024-01-17 16:00:00", offset=400)


def edited(path, **changes):
    """Rewrite the CSV at `path` with pandas: columns renamed (rename=), or cells set (cells={(row, col): v})."""
    frame = pd.read_csv(path, dtype=str)
    if "rename" in changes:
        frame = frame.rename(columns=changes["rename"])
    for (row, col), value in changes.get("cells", {}).items():
        frame.loc[row, col] = value
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------- what fit records

def test_fit_records_the_contract(fitted_bundle, session_csv):
    manifest, _ = bundle_file.load(fitted_bundle)
    contract = manifest["contract"]
    assert contract["version"] == 1
    assert contract["header"] == ["date", "x", "y"] and contract["time_col"] == "date"
    assert contract["freq"] == "h" and contract["utc"] is False
    train = pd.read_csv(session_csv).iloc[:280]  # the training rows, split 0.7 of 400
    x = contract["columns"]["x"]
    assert x["min"] == pytest.approx(train["x"].min(), abs=1e-5)
    assert x["max"] == pytest.approx(train["x"].max(), abs=1e-5)
    q25, q75 = np.percentile(train["x"].astype(np.float32).astype(np.float64), [25, 75])
    assert x["iqr"] == pytest.approx(q75 - q25, rel=1e-6)
    assert x["missing"] == 0.0 and set(contract["columns"]) == {"x", "y"}


def hand_series(values, filled=None, header=("t", "v"), start="2024-01-01", freq="h"):
    values = np.asarray(values, dtype=np.float32).reshape(-1, 1)
    index = pd.date_range(start, periods=len(values), freq=freq) if start else None
    return Series(values=values, columns=["v"], index=index, date_col="t" if start else None, freq=freq if start else None,
                  path="/data/feed.csv", header=list(header),
                  filled=np.zeros(values.shape, bool) if filled is None else np.asarray(filled).reshape(-1, 1))


def test_record_by_hand():
    series = hand_series([1, 2, 3, 4, 5, 100], filled=[0, 1, 0, 0, 0, 0])
    stats = record(series, train_end=5)["columns"]["v"]  # the training rows: 1..5, one filled
    assert stats == {"min": 1.0, "max": 5.0, "median": 3.0, "iqr": 2.0, "std": pytest.approx(np.sqrt(2)),
                     "missing": 0.2}


def manifest_of(series, train_end, last=None):
    return {"contract": record(series, train_end), "freq": series.freq,
            "last_timestamp": last or series.index[train_end - 1].isoformat()}


def test_far_values_are_counted_and_the_worst_named():
    fitted = hand_series([1, 2, 3, 4, 5])  # spread: IQR 2, so far = beyond [1 - 6, 5 + 6]
    m = manifest_of(fitted, 5, last="2023-12-31T23:00:00")  # the new rows continue it
    assert check_series(m, hand_series([1, 11, 3, -4.9])) == []  # at most 3 spreads out
    notes = check_series(m, hand_series([1, 12, 100, 3]))
    assert notes == ["2 values far outside the training range (more than 3 spreads beyond it); "
                     "worst v = 100, 48 spreads outside its training range [1, 5]: a unit or sensor change?"]


def test_a_constant_training_column_uses_its_magnitude_as_spread():
    m = manifest_of(hand_series([10, 10, 10, 10]), 4, last="2023-12-31T23:00:00")
    assert check_series(m, hand_series([10, 39, 41])) == [
        "1 value far outside the training range (more than 3 spreads beyond it); worst v = 41, "
        "3 spreads outside its training range [10, 10]: a unit or sensor change?"]


def test_more_missing_values_than_at_fit_time():
    m = manifest_of(hand_series([1, 2, 3, 4, 5], filled=[0, 0, 0, 0, 1]), 5, last="2023-12-31T23:00:00")
    assert check_series(m, hand_series([1, 2, 3, 4], filled=[0, 0, 0, 1])) == []  # 25 % vs 20 %
    assert check_series(m, hand_series([1, 2, 3, 4, 5], filled=[0, 0, 0, 1, 1])) == [
        "v: 40% of the values are missing and were filled (20% in the training rows)"]  # more than +10 points


def test_continuity_by_hand():
    m = manifest_of(hand_series(range(10)), 10)  # last timestamp 2024-01-01 09:00
    assert check_series(m, hand_series(range(5), start="2024-01-01 10:00")) == []  # the next hour
    assert check_series(m, hand_series(range(20))) == []  # overlaps and goes on
    assert check_series(m, hand_series(range(5), start="2024-01-01 13:00")) == [
        "the data start at 2024-01-01 13:00:00, leaving 3 timestamps missing after the bundle's last "
        "timestamp 2024-01-01 09:00:00"]
    assert check_series(m, hand_series(range(5))) == [
        "the data end at 2024-01-01 04:00:00, before the bundle's last timestamp 2024-01-01 09:00:00 "
        "(the feed is behind the model)"]
    assert check_series(m, hand_series(range(5), start=None)) == []  # row order: nothing to compare


def test_columns_the_model_does_not_read():
    m = manifest_of(hand_series(range(5), header=("t", "v", "w", "u")), 5, last="2023-12-31T23:00:00")
    assert check_series(m, hand_series(range(3), header=("t", "v", "w", "u"))) == []
    assert check_series(m, hand_series(range(3), header=("t", "v", "u", "w"))) == [
        "the columns are in a different order than at fit time (they are read by name)"]
    assert check_series(m, hand_series(range(3), header=("t", "v", "w", "z"))) == [
        "the columns changed since fit time: missing u; new z"]


def test_strict_turns_notes_into_one_error():
    m = manifest_of(hand_series([1, 2, 3, 4, 5]), 5)
    with pytest.raises(DataError) as caught:
        check_series(m, hand_series([1, 50], header=("t", "v", "new")), Checks(strict=True))
    message = str(caught.value)
    assert message.startswith("/data/feed.csv: the data end at") and "(and 2 more)" in message
    assert "--strict makes this an error" in message and "\n" not in message


def test_old_bundles_skip_the_contract():
    m = manifest_of(hand_series([1, 2, 3, 4, 5]), 5, last="2023-12-31T23:00:00")
    del m["contract"]
    assert check_series(m, hand_series([1, 1000], header=("t", "v", "new"))) == []


# ---------------------------------------------------------------- --max-age

@pytest.mark.parametrize("text, expected", [("2d", pd.Timedelta(days=2)), ("36h", pd.Timedelta(hours=36)),
                                            ("90min", pd.Timedelta(minutes=90)), (" 1 days 2 hours ", pd.Timedelta(hours=26))])
def test_parse_age(text, expected):
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["2x", "", "-1d", "0h", "soon"])
def test_parse_age_refuses(text):
    with pytest.raises(UsageError, match="--max-age must be a positive duration such as 2d, 36h or 90min"):
        parse_age(text)


def test_check_age_with_an_injected_now():
    now = pd.Timestamp("2024-01-03 12:00")
    check_age(pd.Timestamp("2024-01-01 12:00"), Checks(max_age=parse_age("2d"), now=now), False, "feed.csv")
    with pytest.raises(DataError) as caught:
        check_age(pd.Timestamp("2024-01-01 11:00"), Checks(max_age=parse_age("2d"), now=now), False, "feed.csv")
    assert str(caught.value) == (
        "feed.csv: stale feed: its last timestamp 2024-01-01 11:00:00 is 2 days 1 hour before now "
        "(2024-01-03 12:00), more than --max-age 2 days; check that the feed is still updated, or raise --max-age")
    check_age(None, Checks(), False, "feed.csv")  # no limit, nothing to check
    with pytest.raises(UsageError, match="--max-age needs timestamps"):
        check_age(None, Checks(max_age=parse_age("1h"), now=now), False, "feed.csv")


def test_an_aware_now_is_taken_on_the_data_clock():
    """UTC data (converted from time-zone-aware stamps) are compared with now in UTC."""
    now = pd.Timestamp("2024-01-03 12:00", tz="Europe/Paris")  # 11:00 UTC
    limit = Checks(max_age=parse_age("1h"), now=now)
    check_age(pd.Timestamp("2024-01-03 10:00"), limit, True, "feed.csv")  # 1 h old in UTC
    with pytest.raises(DataError, match="2 hours before now"):
        check_age(pd.Timestamp("2024-01-03 09:00"), limit, True, "feed.csv")


def test_now_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TSFC_NOW", "2024-01-03T12:00")
    assert Checks.from_options(max_age="1d").now == pd.Timestamp("2024-01-03 12:00")
    monkeypatch.setenv("TSFC_NOW", "yesterday-ish")
    with pytest.raises(UsageError, match="TSFC_NOW must be a time such as 2024-06-01T12:00, got 'yesterday-ish'"):
        Checks.from_options(max_age="1d")


# ---------------------------------------------------------------- the commands, end to end

def test_a_clean_feed_gives_no_note(fitted_bundle, feed):
    result = predict(fitted_bundle, feed, "--strict")
    assert result.exit_code == 0, result.stderr
    assert notes_of(result) == [] and result.stdout.splitlines()[1].startswith("2024-01-21 20:00:00,")


def test_a_missing_column_is_exit_3(fitted_bundle, feed):
    frame = pd.read_csv(feed).drop(columns=["y"])
    frame.to_csv(feed, index=False)
    assert_error(predict(fitted_bundle, feed), 3, "feed.csv: does not match the bundle, which expects the columns "
                 "date, x, y; missing: y")


def test_a_renamed_column_is_exit_3_with_a_guess(fitted_bundle, feed):
    edited(feed, rename={"y": "humidity"})
    assert_error(predict(fitted_bundle, feed), 3, "missing: y (renamed 'humidity'?)")
    assert_error(tsfc("evaluate", str(feed), "--bundle", str(fitted_bundle)), 3, "missing: y (renamed 'humidity'?)")


def test_a_non_numeric_column_is_exit_3(fitted_bundle, feed):
    edited(feed, cells={(5, "y"): "n/a?"})
    assert_error(predict(fitted_bundle, feed), 3, "feed.csv: column 'y' row 6: 'n/a?' is not a number")


@pytest.mark.parametrize("freq, name", [("D", "D"), ("30min", "30min"), ("2h", "2h")])
def test_a_different_frequency_is_exit_3(fitted_bundle, tmp_path, freq, name):
    index = pd.date_range("2024-01-18", periods=60, freq=freq)
    pd.DataFrame({"date": index.strftime("%Y-%m-%d %H:%M"), "x": 10.0, "y": 5.0}).to_csv(tmp_path / "f.csv", index=False)
    assert_error(predict(fitted_bundle, tmp_path / "f.csv"), 3,
                 f"f.csv: data frequency is {name} but the model expects h", "resample")


def test_a_gap_is_a_note_and_strict_makes_it_exit_3(fitted_bundle, tmp_path):
    late = write_hourly_csv(tmp_path / "late.csv", rows=100, start="2024-01-18 00:00:00", offset=409)
    result = predict(fitted_bundle, late)
    assert result.exit_code == 0, result.stderr
    gap = ("the data start at 2024-01-18 00:00:00, leaving 8 timestamps missing after the bundle's "
           f"last timestamp {LAST}")
    assert notes_of(result) == [gap]
    assert_error(predict(fitted_bundle, late, "--strict"), 3, f"late.csv: {gap}; --strict makes this an error")


def test_data_ending_before_the_bundle_is_a_note(fitted_bundle, tmp_path):
    early = write_hourly_csv(tmp_path / "early.csv", rows=100)
    result = predict(fitted_bundle, early)
    assert result.exit_code == 0 and notes_of(result) == [
        f"the data end at 2024-01-05 03:00:00, before the bundle's last timestamp {LAST} (the feed is behind the model)"]
    assert_error(predict(fitted_bundle, early, "--strict"), 3, "early.csv: the data end at 2024-01-05 03:00:00")


def test_values_far_outside_the_training_range(fitted_bundle, feed):
    edited(feed, cells={(10, "x"): "10000", (11, "x"): "9000", (12, "y"): "-500"})  # a unit slip of 1,000
    result = predict(fitted_bundle, feed)
    assert result.exit_code == 0, result.stderr
    [note] = notes_of(result)
    assert note.startswith("3 values far outside the training range (more than 3 spreads beyond it); worst x = 10000,")
    assert_error(predict(fitted_bundle, feed, "--strict"), 3, "3 values far outside the training range")
    report = tsfc("evaluate", str(feed), "--bundle", str(fitted_bundle), "--json", "-H", "2")
    assert report.exit_code == 0, report.stderr
    assert note in json.loads(report.stdout)["notes"]
    assert_error(tsfc("evaluate", str(feed), "--bundle", str(fitted_bundle), "-H", "2", "--strict"), 3,
                 "3 values far outside the training range")


def test_changed_unused_columns_are_a_note(fitted_bundle, feed):
    frame = pd.read_csv(feed)
    frame["station"] = "north"
    frame.to_csv(feed, index=False)
    result = predict(fitted_bundle, feed)
    assert result.exit_code == 0 and notes_of(result) == ["the columns changed since fit time: new station"]
    assert_error(predict(fitted_bundle, feed, "--strict"), 3, "the columns changed since fit time: new station")


NOW = {"TSFC_NOW": "2024-01-19T12:00:00"}  # 1 day 21 hours after the bundle's last timestamp


def test_max_age_refuses_a_stale_feed(fitted_bundle, feed):
    fresh = {"TSFC_NOW": "2024-01-22T12:00:00"}  # the feed ends 2024-01-21 19:00: 17 hours old
    assert predict(fitted_bundle, feed, "--max-age", "1d", env=fresh).exit_code == 0
    assert_error(predict(fitted_bundle, feed, "--max-age", "12h", env=fresh), 3,
                 "feed.csv: stale feed: its last timestamp 2024-01-21 19:00:00 is 17 hours before now "
                 "(2024-01-22 12:00), more than --max-age 12 hours")
    assert_error(tsfc("evaluate", str(feed), "-b", str(fitted_bundle), "-H", "2", "--max-age", "90min", env=fresh),
                 3, "stale feed", "more than --max-age 1 hour 30 minutes")


def test_max_age_without_data_checks_the_bundle_data(fitted_bundle):
    assert tsfc("predict", "-b", str(fitted_bundle), "--max-age", "2d", env=NOW).exit_code == 0
    assert_error(tsfc("predict", "-b", str(fitted_bundle), "--max-age", "36h", env=NOW), 3,
                 f"the data of {fitted_bundle}: stale feed: its last timestamp {LAST} is 1 day 21 hours before now")
    assert_error(tsfc("evaluate", "-b", str(fitted_bundle), "--max-age", "36h", env=NOW), 3, "stale feed")


def test_max_age_usage_errors(fitted_bundle, tmp_path):
    assert_error(tsfc("predict", "-b", str(fitted_bundle), "--max-age", "soon"), 2,
                 "--max-age must be a positive duration such as 2d, 36h or 90min, got 'soon'")
    assert_error(tsfc("predict", "-b", str(fitted_bundle), "--max-age", "1d", env={"TSFC_NOW": "noon"}), 2,
                 "TSFC_NOW must be a time")
    rows = tmp_path / "rows.csv"
    pd.DataFrame({"v": np.sin(np.arange(120.0))}).to_csv(rows, index=False)
    assert tsfc("fit", str(rows), "-t", "v", "-b", str(tmp_path / "r.tsfc"), "--window", "8", "--hidden", "8",
                "--layers", "1", "--epochs", "1", "--threads", "1", "-q").exit_code == 0
    assert_error(tsfc("predict", "-b", str(tmp_path / "r.tsfc"), "--data", str(rows), "--max-age", "1d"), 2,
                 "--max-age needs timestamps", "row order")


def test_an_old_bundle_without_a_contract(fitted_bundle, feed, tmp_path):
    """Bundles fitted before the contract: its checks are skipped, without an error; info says so."""
    manifest, arrays = bundle_file.load(fitted_bundle)
    manifest = {k: v for k, v in manifest.items() if k not in ("contract", "format", "format_version")}
    old = tmp_path / "old.tsfc"
    bundle_file.save(old, manifest, arrays)
    frame = pd.read_csv(feed)
    frame["station"] = "north"
    frame.loc[3, "x"] = 1e4
    frame.to_csv(feed, index=False)
    result = predict(old, feed, "--strict")
    assert result.exit_code == 0 and [n for n in notes_of(result) if "far outside" in n or "columns" in n] == []
    info = tsfc("info", "-b", str(old))
    assert "contract: none (fitted by an older tsfc)" in info.stdout
    assert "contract: 3 columns in the header; training range x " in tsfc("info", "-b", str(fitted_bundle)).stdout


def test_the_fitted_csv_keeps_its_own_contract(fitted_bundle, session_csv, tmp_path):
    """evaluate without a CSV re-reads the fitted one: no contract note, even with --strict."""
    result = tsfc("evaluate", "-b", str(fitted_bundle), "--strict", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == []


def test_max_age_for_many_series(tmp_path):
    """A bundle of many series has no contract yet, but --max-age holds: the newest series counts."""
    from conftest import TINY_ARGS
    from test_many import write_long

    write_long(tmp_path / "long.csv")  # the newest row: north|apples at 2024-01-10 23:00
    bundle = tmp_path / "many.tsfc"
    fitted = tsfc("fit", str(tmp_path / "long.csv"), "--target", "sales", "--id-col", "store,item",
                  "--bundle", str(bundle), *TINY_ARGS)
    assert fitted.exit_code == 0, fitted.stderr
    fresh, stale = {"TSFC_NOW": "2024-01-11T12:00"}, {"TSFC_NOW": "2024-01-12T12:00"}
    for data in ([], ["--data", str(tmp_path / "long.csv")]):
        assert tsfc("predict", "-b", str(bundle), *data, "-H", "2", "--max-age", "1d", env=fresh).exit_code == 0
        assert_error(tsfc("predict", "-b", str(bundle), *data, "-H", "2", "--max-age", "1d", env=stale), 3,
                     "stale feed: its last timestamp 2024-01-10 23:00:00 is 1 day 13 hours before now")
    assert_error(tsfc("evaluate", str(tmp_path / "long.csv"), "-b", str(bundle), "-H", "2", "--max-age", "1d",
                      env=stale), 3, "long.csv: stale feed")


def test_the_fitted_file_itself_is_not_new_data(fitted_bundle, session_csv, tmp_path):
    """Its own test rows may drift far beyond the training range: that is no feed change (same SHA-256)."""
    shutil.copy(session_csv, tmp_path / "same.csv")
    edited(tmp_path / "same.csv", cells={(390, "x"): "500"})  # one byte off: new data, and far outside
    changed = predict(fitted_bundle, tmp_path / "same.csv")
    assert any("far outside the training range" in n for n in notes_of(changed))
    assert notes_of(predict(fitted_bundle, session_csv, "--strict")) == []
