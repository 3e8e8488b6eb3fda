"""`tsfc doctor`: tiny synthetic files with one trait each, the real files of ../shared/data,
and the promise that the suggested `tsfc fit` command parses (and, for small files, fits)."""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tsfc.cli import app
from tsfc.doctor import diagnose, find_ids, season_strength
from tsfc.errors import DataError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TINY_FIT = ["--hidden", "8", "--layers", "1", "--epochs", "1", "--threads", "1", "--quiet"]


def tsfc(*args):
    return CliRunner().invoke(app, list(args))


def hourly(path: Path, rows: int = 120, drop=(), **columns) -> Path:
    """An hourly CSV from 2024-01-01 with a daily sine `v` (and `columns`), rows in `drop` left out."""
    t = np.arange(rows)
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M"),
                          "v": np.round(10 + 3 * np.sin(2 * np.pi * t / 24), 4), **columns})
    frame.drop(index=list(drop)).to_csv(path, index=False)
    return path


def fit_parses(argv: list[str]) -> None:
    """Parse `tsfc fit` options as the CLI would (raises click's UsageError on an unknown one)."""
    fit = typer.main.get_command(app).commands["fit"]
    if "--id-col" in argv and not any("--id-col" in p.opts for p in fit.params):
        pytest.skip("tsfc fit has no --id-col yet (many-series support)")
    fit.make_context("fit", argv[2:])


# ---------------------------------------------------------------- tiny files, one trait each

def test_a_clean_hourly_file(tmp_path):
    report = diagnose(hourly(tmp_path / "h.csv"))
    assert (report.encoding, report.separator, report.decimal, report.rows) == ("utf-8", ",", ".", 120)
    assert report.time == {"column": "date", "first": "2024-01-01T00:00:00", "last": "2024-01-05T23:00:00",
                           "span": "4 days 23:00:00", "frequency": "h", "missing_timestamps": 0, "largest_gap": 0,
                           "duplicates": 0, "sorted": True, "utc": False}
    assert report.series == {"ids": None, "count": 1, "rows_min": 120, "rows_max": 120}
    assert report.columns[1] == {"name": "v", "kind": "numeric", "missing": 0, "min": 7.0, "max": 13.0,
                                 "mean": pytest.approx(10.0), "std": pytest.approx(3 / np.sqrt(2), rel=1e-3)}
    assert report.target == "v" and report.problems == [] and report.notes == []
    assert report.suggestion["argv"] == ["tsfc", "fit", str(tmp_path / "h.csv"), "--target", "v"]
    assert {k: report.suggestion["plan"][k] for k in ("season", "horizon", "window", "block", "rows")} == {
        "season": 24, "horizon": 24, "window": 24, "block": 24, "rows": 120}
    [daily] = report.seasonality  # 120 rows hold no two weeks, so only the daily cycle is scored
    assert daily["period"] == 24 and daily["default"] and daily["strength"] > 0.99


def test_gaps_are_counted(tmp_path):
    report = diagnose(hourly(tmp_path / "g.csv", drop=(10, 50, 51, 52)))
    assert report.time["missing_timestamps"] == 4 and report.time["largest_gap"] == 3
    assert report.notes == ["inserted 4 missing timestamps (h) and filled them by linear interpolation"]


def test_too_many_gaps_are_what_would_stop_fit(tmp_path):
    report = diagnose(hourly(tmp_path / "g.csv", drop=range(10, 60)))
    assert report.time["missing_timestamps"] == 50
    [problem] = report.problems
    assert "filling its gaps would invent 50 rows" in problem


def test_missing_values_per_column(tmp_path):
    w = np.arange(120.0)
    w[[3, 4, 90]] = np.nan
    path = hourly(tmp_path / "m.csv", w=w, label=["a"] * 119 + [None])
    report = diagnose(path, target="w")
    assert [(c["name"], c["kind"], c["missing"]) for c in report.columns] == [
        ("date", "time", 0), ("v", "numeric", 0), ("w", "numeric", 3), ("label", "text", 1)]
    assert report.columns[3]["distinct"] == 1
    assert report.notes == ["filled 3 missing values in w by linear interpolation"]
    assert report.suggestion["argv"][-2:] == ["--target", "w"]


def test_unsorted_rows(tmp_path):
    path = hourly(tmp_path / "u.csv")
    frame = pd.read_csv(path)
    frame.iloc[::-1].to_csv(path, index=False)
    report = diagnose(path)
    assert report.time["sorted"] is False and report.notes == ["sorted 120 rows into time order"]


def test_many_series_are_told_apart_by_their_id_columns(tmp_path):
    """Duplicate timestamps and a store column: many series; region is an attribute of the store."""
    parts = []
    for store, region, level in (("a", "north", 10), ("b", "north", 20), ("c", "south", 30)):
        frame = pd.read_csv(hourly(tmp_path / "one.csv", rows=60))
        parts.append(frame.assign(store=store, region=region, v=frame["v"] + level))
    long = pd.concat(parts)[["date", "region", "store", "v"]]
    long.to_csv(tmp_path / "long.csv", index=False)
    report = diagnose(tmp_path / "long.csv")
    assert report.series == {"ids": ["region", "store"], "count": 3, "rows_min": 60, "rows_max": 60}
    assert report.time["duplicates"] == 120 and report.time["frequency"] == "h" and report.time["sorted"]
    assert report.problems == [] and report.target == "v"
    assert report.suggestion["argv"][3:] == ["--target", "v", "--id-col", "region,store"]
    assert report.seasonality[0]["period"] == 24 and report.seasonality[0]["strength"] > 0.99


def test_duplicates_without_ids_are_what_would_stop_fit(tmp_path):
    path = hourly(tmp_path / "d.csv", rows=50)
    frame = pd.read_csv(path)
    pd.concat([frame, frame.iloc[[7]]]).to_csv(path, index=False)
    report = diagnose(path)
    assert report.series["ids"] is None and report.time["duplicates"] == 1
    [problem] = report.problems
    assert "duplicate timestamp 2024-01-01 07:00:00" in problem


def test_find_ids_prefers_the_smallest_combination():
    stamps = pd.DatetimeIndex(["2024-01-01", "2024-01-02"] * 4)
    frame = pd.DataFrame({"kind": list("aabbaabb"), "site": list("xxxxyyyy"), "code": [1, 1, 2, 2, 3, 3, 4, 4],
                          "v": np.arange(8.0)})
    assert find_ids(frame, stamps, ["code", "v"]) == ["kind", "site", "code"]  # code: kind x site, an attribute
    assert find_ids(frame[["v", "code"]], stamps, ["code", "v"]) == ["code"]  # whole numbers as ids
    assert find_ids(frame[["v"]], stamps, ["v"]) is None


def test_a_file_in_row_order(tmp_path):
    pd.DataFrame({"v": np.sin(np.arange(100.0))}).to_csv(tmp_path / "r.csv", index=False)
    report = diagnose(tmp_path / "r.csv")
    assert report.time is None and report.problems == []
    assert report.notes == ["no time column found; using row order (pass --date-col to name one)"]
    assert report.suggestion["plan"]["season"] == 1


def test_a_column_with_text_further_down(tmp_path):
    w = [str(i) for i in range(300)]
    w[250] = "broken"
    path = hourly(tmp_path / "t.csv", rows=300, w=w)
    report = diagnose(path, target="v")
    assert [c["kind"] for c in report.columns] == ["time", "numeric", "text"]
    [problem] = report.problems
    assert "column 'w' row 251: 'broken' is not a number" in problem


def test_dialect_options_are_repeated_in_the_suggestion(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("when;load\n" + "".join(f"01/02/2024 {h:02d}:00;{h},5\n" for h in range(24)) * 1, encoding="utf-8")
    report = diagnose(path, options=_options(decimal=",", date_format="%d/%m/%Y %H:%M"))
    assert report.separator == ";" and report.decimal == ","
    assert report.time["first"] == "2024-02-01T00:00:00"
    assert report.suggestion["argv"][3:] == ["--target", "load", "--decimal", ",", "--date-format", "%d/%m/%Y %H:%M"]
    fit_parses(report.suggestion["argv"])


def _options(**kw):
    from tsfc.data import ReadOptions

    return ReadOptions(**kw)


def test_an_unknown_target_is_exit_3(tmp_path):
    path = hourly(tmp_path / "h.csv")
    with pytest.raises(DataError, match="no column 'V'; did you mean 'v'"):
        diagnose(path, target="V")
    result = tsfc("doctor", str(path), "--target", "V")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith("tsfc: error: ") and "pass --target" in result.stderr


def test_an_unreadable_file_is_exit_3(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\x1f\x8b\x08\x00rest")
    result = tsfc("doctor", str(tmp_path / "x.csv"))
    assert result.exit_code == 3 and "gzip file, not a text CSV" in result.stderr


# ---------------------------------------------------------------- seasonal strength by hand

def test_season_strength_by_hand():
    t = np.arange(40.0)
    clean = t + np.tile([0.0, 2.0], 20)  # a trend plus an exact 2-step cycle
    found = season_strength(clean, 2)
    assert found["strength"] == 1.0
    centred = clean - clean.mean()
    assert found["autocorrelation"] == pytest.approx(centred[2:] @ centred[:-2] / (centred @ centred), abs=1e-4)
    noise = np.random.default_rng(0).normal(size=400)
    assert season_strength(noise, 24)["strength"] < 0.1
    assert season_strength(np.arange(10.0), 6) is None  # fewer than two whole periods
    assert season_strength(np.ones(50), 5) == {"period": 5, "strength": 0.0, "autocorrelation": 0.0}


# ---------------------------------------------------------------- the command

def test_doctor_json_keys(tmp_path):
    result = tsfc("doctor", str(hourly(tmp_path / "h.csv")), "--json")
    assert result.exit_code == 0 and result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == {"path", "encoding", "separator", "decimal", "thousands", "rows", "columns", "time",
                           "series", "seasonality", "target", "suggestion", "problems", "notes"}
    assert set(report["suggestion"]) == {"argv", "command", "plan"}
    assert report["suggestion"]["command"] == f"tsfc fit {tmp_path / 'h.csv'} --target v"


def test_doctor_text_piped(tmp_path):
    result = tsfc("doctor", str(hourly(tmp_path / "h.csv", drop=(5,))))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "time: date, hourly (h), 2024-01-01 00:00:00 to 2024-01-05 23:00:00 (4 days 23:00:00)" in lines
    assert "gaps: 1 missing timestamps, the longest gap 1 step (fit fills them by interpolation)" in lines
    assert "fit chooses: season 24, horizon 24, window 24, block 24; window: 1 season of 24 (84 training rows)" in lines
    assert lines[-1] == f"suggest: tsfc fit {tmp_path / 'h.csv'} --target v"


def test_doctor_on_a_terminal_fits_80_columns(tmp_path, monkeypatch, capsys):
    from tsfc import render

    report = diagnose(hourly(tmp_path / "a-rather-long-file-name-for-a-csv.csv", w=np.arange(120.0) * 1e6))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    render.print_doctor(report)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out).splitlines()  # without the styles
    assert any("┃ column" in line for line in lines)  # the Rich table, not the plain one
    command = [line for line in lines if line.startswith("suggest: ")]
    assert command == [f"suggest: {report.suggestion['command']}"]  # one line, to copy whole
    assert max(len(line) for line in lines if not line.startswith("suggest: ")) <= 80


# ---------------------------------------------------------------- the real files

EXPECTED = {  # file: time column, frequency, ids, default target
    "ETTh1.csv": ("date", "h", None, "HUFL"),
    "ETTh2.csv": ("date", "h", None, "HUFL"),
    "aus_production.csv": ("Quarter", "QS-JAN", None, "Beer"),
    "daily-max-temperatures.csv": ("Date", "D", None, "Temperature"),
    "monthly-mean-temp.csv": ("Month", "MS", None, "Temperature"),
    "monthly-robberies.csv": ("Month", "MS", None, "Robberies"),
    "monthly-writing-paper-sales.csv": ("Month", "MS", None, "Sales"),
    "tourism.csv": ("Quarter", "QS-JAN", ["Region", "State", "Purpose"], "Trips"),
    "vic_elec.csv": ("Time", "30min", None, "Demand"),
}


def shared(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI must provide ../shared/data")
        pytest.skip(f"{path} is absent")
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_doctor_on_the_shared_data(name):
    path = shared(name)
    result = tsfc("doctor", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    time_col, freq, ids, target = EXPECTED[name]
    assert (report["time"]["column"], report["time"]["frequency"], report["series"]["ids"], report["target"]) == (
        time_col, freq, ids, target)
    assert report["problems"] == []
    assert report["seasonality"] and report["seasonality"][0]["default"]
    fit_parses(report["suggestion"]["argv"])


def test_tourism_is_304_series_of_80_quarters():
    report = diagnose(shared("tourism.csv"))
    assert report.series == {"ids": ["Region", "State", "Purpose"], "count": 304, "rows_min": 80, "rows_max": 80}
    assert report.suggestion["command"].endswith("--target Trips --id-col Region,State,Purpose")


def test_daily_temperatures_show_their_leap_day_gaps_and_yearly_cycle():
    report = diagnose(shared("daily-max-temperatures.csv"))
    assert report.time["missing_timestamps"] == 2 and report.time["largest_gap"] == 1
    by_period = {s["period"]: s for s in report.seasonality}
    assert set(by_period) == {7, 365} and by_period[365]["strength"] > 5 * by_period[7]["strength"]


@pytest.mark.parametrize("name, target", [("monthly-robberies.csv", None), ("aus_production.csv", "Gas"),
                                          ("tourism.csv", None)])
def test_the_suggested_fit_succeeds(name, target, tmp_path):
    """What doctor accepts, fit accepts: its command, plus tiny settings, trains a bundle."""
    report = diagnose(shared(name), target=target)
    result = tsfc(*report.suggestion["argv"][1:], "--bundle", str(tmp_path / "m.tsfc"), *TINY_FIT)
    assert result.exit_code == 0, result.stderr
    info = json.loads(tsfc("info", "--json", "--bundle", str(tmp_path / "m.tsfc")).stdout)
    plan = report.suggestion["plan"]
    assert (info["config"]["window"], info["config"]["season"], info["defaults"]["horizon"]) == (
        plan["window"], plan["season"], plan["horizon"])


def test_doctor_imports_no_torch(tmp_path):
    """Profiling trains nothing, so it needs no torch (about a second of start-up saved)."""
    import subprocess

    code = ("import sys; from tsfc.doctor import diagnose; diagnose(sys.argv[1]); "
            "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(hourly(tmp_path / "h.csv"))], capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
