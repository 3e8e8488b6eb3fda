"""Prediction intervals end to end: `--level` in predict, evaluate, plot and info, as a user runs them."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from tsfc.cli import app

torch.set_num_threads(1)
TINY = ["--window", "24", "--hidden", "8", "--layers", "1", "--epochs", "1", "--threads", "1", "--quiet"]
ROWS = 900  # split 0.7,0.1,0.2: train < 630, validation < 720, test after


def noisy_csv(path, rows: int = ROWS, sigma: float = 0.5, later_sigma: float | None = None, seed: int = 0):
    """A daily cycle plus Gaussian noise, hourly; with `later_sigma` the rows after ROWS are noisier."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    noise = rng.normal(0, 1, rows) * np.where(t < ROWS, sigma, later_sigma or sigma)
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=rows, freq="h"),
                          "y": 10 + 3 * np.sin(2 * np.pi * t / 24) + noise})
    frame.to_csv(path, index=False, float_format="%.4f")
    return path


def tsfc(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("intervals")
    noisy_csv(directory / "data.csv")
    done = tsfc("fit", directory / "data.csv", "--target", "y", "--bundle", directory / "model.tsfc", *TINY)
    assert done.exit_code == 0, done.stderr
    return directory


@pytest.fixture
def work(tmp_path, fitted, monkeypatch):
    for name in ("data.csv", "model.tsfc"):
        shutil.copy(fitted / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    return tmp_path


def one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    error = result.stderr.splitlines()[-1]
    assert error.startswith("tsfc: error: ")
    assert all(f in error for f in fragments), error


def forecast_csv(*args) -> pd.DataFrame:
    done = tsfc("predict", "--format", "csv", "--precision", "6", *args)
    assert done.exit_code == 0, done.stderr
    return pd.read_csv(io.StringIO(done.stdout), index_col=0)


def test_predict_adds_named_bounds_in_csv_and_json(work):
    frame = forecast_csv("--horizon", "30", "--level", "97.5,80")
    assert list(frame.columns) == ["y", "y_lo_80", "y_hi_80", "y_lo_97.5", "y_hi_97.5"]
    half80, half97 = frame["y_hi_80"] - frame["y"], frame["y_hi_97.5"] - frame["y"]
    np.testing.assert_allclose(frame["y"] - frame["y_lo_80"], half80, atol=2e-6)  # symmetric
    assert (half80 > 0).all() and (half97 >= half80).all()
    assert (np.diff(half80) >= -2e-6).all()  # never narrower at a later lead
    done = tsfc("predict", "--horizon", "3", "--level", "80", "--format", "json")
    doc = json.loads(done.stdout)
    assert doc["columns"] == ["y", "y_lo_80", "y_hi_80"] and doc["levels"] == [80]
    assert doc["calibration"]["source"] == "validation" and doc["calibration"]["origins"] == 90  # validation rows
    assert set(doc["forecast"][0]) == {"date", "y", "y_lo_80", "y_hi_80"}
    assert "y_lo_80" not in tsfc("predict", "--format", "csv").stdout  # only when asked


def test_the_bundle_stores_the_calibration_predict_uses(work):
    """Round trip: the stored widths are the network's validation errors, and predict applies them."""
    from tsfc.calibration import on_rows, widths
    from tsfc.data import load_csv
    from tsfc.pipeline import load_bundle

    loaded = load_bundle(work / "model.tsfc")
    stored = loaded.manifest["calibration"]
    series = load_csv(work / "data.csv", "y")
    again = on_rows(loaded.net, loaded.scaler.transform(series.values), 630, 720, stored["leads"], "validation",
                    lambda row: series.index[row].isoformat())
    assert again["rows"] == ["2024-01-27T06:00:00", "2024-01-30T23:00:00"]  # rows 630 and 719
    assert set(again["widths"]) == set(stored["widths"]) and again["origins"] == stored["origins"]
    for level, values in stored["widths"].items():
        np.testing.assert_allclose(values, again["widths"][level], rtol=1e-6)
    frame = forecast_csv("--level", "80")
    expected = widths(stored, [80], len(frame))[0] / loaded.scaler.scale_[0]
    np.testing.assert_allclose(frame["y_hi_80"] - frame["y"], expected, atol=2e-6)


def test_an_old_bundle_without_calibration_refuses_level_with_exit_4(work):
    from tsfc import bundle

    manifest, arrays = bundle.load(work / "model.tsfc")
    for key in ("calibration", "format", "format_version"):
        manifest.pop(key)
    bundle.save(work / "model.tsfc", manifest, arrays)
    one_line_error(tsfc("predict", "--level", "80"), 4, "no interval calibration", "fit the model again")
    one_line_error(tsfc("evaluate", "--level", "80", "--calibration", "0"), 4, "no interval calibration")
    assert tsfc("predict").exit_code == 0  # point forecasts as before
    frame = forecast_csv("--level", "80", "--data", "data.csv")  # calibrated on the data instead
    assert (frame["y_hi_80"] > frame["y"]).all()
    assert "intervals" in json.loads(tsfc("evaluate", "--level", "80", "--json").stdout)
    assert "intervals: none" in tsfc("info").stdout


def test_a_damaged_calibration_is_a_bundle_error(work):
    from tsfc import bundle

    manifest, arrays = bundle.load(work / "model.tsfc")
    manifest.pop("format"), manifest.pop("format_version")
    manifest["calibration"]["widths"]["80"] = manifest["calibration"]["widths"]["80"][:-1]  # one lead short
    bundle.save(work / "model.tsfc", manifest, arrays)
    one_line_error(tsfc("predict", "--level", "80"), 4, "interval calibration is invalid", "fit the model again")
    assert tsfc("predict").exit_code == 0


@pytest.mark.parametrize("args, fragment", [
    (["--level", "0"], "--level must be percentages between 0 and 100"),
    (["--level", "100"], "--level must be"),
    (["--level", "80,abc"], "--level must be"),
    (["--calibration", "100"], "add --level"),
    (["--level", "80", "--calibration", "100"], "pass --data CSV"),
    (["--clip-min", "nan"], "--clip-min must be a finite number"),
    (["--level", "80", "--calibration", "-1"], "--calibration must be >= 0"),
])
def test_bad_interval_options_exit_2_with_one_line(work, args, fragment):
    one_line_error(tsfc("predict", *args), 2, fragment)


def test_evaluate_and_plot_refuse_bad_levels_too(work):
    one_line_error(tsfc("evaluate", "--level", "95,101"), 2, "--level must be")
    one_line_error(tsfc("plot", "--level", "x"), 2, "--level must be")
    one_line_error(tsfc("evaluate", "--calibration", "10"), 2, "add --level")


def test_recalibration_follows_noisier_data(work):
    noisy_csv(work / "newer.csv", rows=ROWS + 600, later_sigma=2.0)  # the same rows, then 600 noisier ones
    stored = forecast_csv("--level", "80", "--data", "newer.csv", "--calibration", "0")
    recent = forecast_csv("--level", "80", "--data", "newer.csv")  # the 500 latest origins: all noisier
    np.testing.assert_allclose(stored["y"], recent["y"])
    widen = (recent["y_hi_80"] - recent["y"]) / (stored["y_hi_80"] - stored["y"])
    assert widen.min() > 2.5  # the noise grew fourfold
    doc = json.loads(tsfc("predict", "--level", "80", "--data", "newer.csv", "--format", "json").stdout)
    assert doc["calibration"] == {"method": "conformal", "source": "recent", "leads": 24, "origins": 500,
                                  "rows": ["2024-02-11T16:00:00", "2024-03-03T11:00:00"]}  # rows 1000-1499


def test_clip_min_raises_forecast_and_bounds_only_when_asked(work):
    plain = forecast_csv("--level", "95")
    floor = float(plain["y_lo_95"].median())
    assert (plain["y_lo_95"] < floor).any()
    clipped = forecast_csv("--level", "95", "--clip-min", floor)
    assert (clipped >= floor - 1e-6).all().all()
    assert (clipped["y_lo_95"] <= clipped["y"]).all() and (clipped["y"] <= clipped["y_hi_95"]).all()


def test_evaluate_reports_intervals_for_the_model_and_every_baseline(work):
    done = tsfc("evaluate", "--level", "80,95", "--json", "--horizon", "12")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["intervals"]) == {"model", "naive", "seasonal_naive", "linear"}
    for method, levels in report["intervals"].items():
        assert set(levels) == {"80", "95"}
        for level, scores in levels.items():
            assert set(scores) == {"coverage", "width", "interval_score"}
            assert 0 <= scores["coverage"] <= 1 and scores["interval_score"] >= scores["width"] > 0
            by_lead = report["intervals_by_lead"][method][level]
            assert len(by_lead["coverage"]) == 12
            assert np.mean(by_lead["width"]) == pytest.approx(scores["width"])
    assert report["calibration"]["rolling"] is True and report["calibration"]["origins"] == 500
    assert report["levels"] == [80, 95]
    fixed = json.loads(tsfc("evaluate", "--level", "80", "--json", "--calibration", "0").stdout)
    assert fixed["calibration"]["rolling"] is False
    # the model's fixed widths are the bundle's: the same width at every origin
    text = tsfc("evaluate", "--level", "80").stdout  # piped: a plain table with an intervals part
    assert "# Intervals (recalibrated at each origin on the 500 latest errors per lead)" in text
    assert "\nmodel 80 " in text and "\nseasonal_naive 80 " in text


def test_evaluate_terminal_table_fits_80_columns(work):
    from rich.console import Console

    from tsfc.evaluation import evaluate
    from tsfc.render import interval_table

    result = evaluate(work / "model.tsfc", levels=[80, 95, 99.5], threads=1)
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(interval_table(result.intervals, 80))
    lines = console.export_text().splitlines()
    assert max(map(len, lines)) <= 80 and any(line.startswith("│ model") for line in lines)
    assert sum("*" in line for line in lines) >= 3  # the best interval score at each level


def test_info_says_how_the_intervals_are_calibrated(work):
    out = tsfc("info").stdout
    line = next(x for x in out.splitlines() if x.startswith("intervals: "))
    assert line.startswith("intervals: conformal, 90 errors per lead on the validation rows 2024-01-27T06:00:00")


def test_plot_shades_bands_and_marks_the_actuals_outside(work):
    from tsfc.evaluation import evaluate
    from tsfc.plotting import backtest_view, forecast_view

    notes = []
    view = forecast_view(work / "model.tsfc", 12, None, None, None, None, notes, levels=[80, 95])
    assert [b[0] for b in view.bands] == ["80", "95"]
    lo80, hi80 = view.bands[0][1:]
    lo95, hi95 = view.bands[1][1:]
    assert (lo95 <= lo80).all() and (lo80 < view.forecast).all() and (hi80 <= hi95).all()
    result = evaluate(work / "model.tsfc", 24, levels=[80], threads=1)
    back = backtest_view(result, "GRU", [24], shown=100)
    (label, lo, hi), = back.bands[24]
    times, actual = back.outside[24]
    assert label == "80" and len(lo) == len(back.leads[24][0]) == 100
    at = np.searchsorted(back.leads[24][0], times)  # where the crosses sit among the band's times
    assert 5 < len(actual) < 40 and ((actual < lo[at]) | (actual > hi[at])).all()
    for kind in ("forecast", "backtest"):
        done = tsfc("plot", "--kind", kind, "--level", "80,95", "--output", f"{kind}.png", "--threads", "1")
        assert done.exit_code == 0, done.stderr
        assert (work / f"{kind}.png").stat().st_size > 10_000


def test_a_many_series_bundle_gives_intervals_in_each_series_units(tmp_path, monkeypatch):
    from conftest import TINY_ARGS
    from test_many import write_long

    from tsfc.pipeline import load_bundle

    monkeypatch.chdir(tmp_path)
    write_long(tmp_path / "long.csv")
    done = tsfc("fit", "long.csv", "--target", "sales", "--id-col", "store,item", "--bundle", "many.tsfc", *TINY_ARGS)
    assert done.exit_code == 0, done.stderr
    done = tsfc("predict", "--bundle", "many.tsfc", "--level", "80,95", "--horizon", "4", "--format", "csv",
                "--precision", "8")
    assert done.exit_code == 0, done.stderr
    frame = pd.read_csv(io.StringIO(done.stdout))
    assert list(frame.columns) == ["store", "item", "date", "sales", "sales_lo_80", "sales_hi_80", "sales_lo_95",
                                   "sales_hi_95", "method"]
    net = frame[frame["method"] == "network"]
    assert ((net["sales_lo_95"] <= net["sales_lo_80"]) & (net["sales_lo_80"] <= net["sales"])
            & (net["sales"] <= net["sales_hi_80"]) & (net["sales_hi_80"] <= net["sales_hi_95"])).all()
    # one pooled calibration in scaled units: each series' width is its own scale times the same number
    loaded = load_bundle(tmp_path / "many.tsfc")
    state, width = loaded.panel, (net["sales_hi_80"] - net["sales"]).to_numpy().reshape(-1, 4)
    spans = [state.high[state.ids.index(f"{a}|{b}"), 0] - state.low[state.ids.index(f"{a}|{b}"), 0]
             for a, b in net[["store", "item"]].drop_duplicates().itertuples(index=False)]
    ratio = width / np.array(spans)[:, None]
    assert np.allclose(ratio, ratio[0], rtol=1e-3) and loaded.manifest["calibration"]["source"] == "validation"
    assert frame.loc[frame["method"] == "naive", "sales_lo_80"].isna().all()  # a baseline's series: no interval
    assert "no intervals for the 1 series a baseline forecasts" in done.stderr
    for args in (["evaluate", "--level", "80"], ["plot", "--level", "80"]):
        one_line_error(tsfc(*args, "--bundle", "many.tsfc"), 2, "bundles of one series so far")
    one_line_error(tsfc("predict", "--bundle", "many.tsfc", "--level", "80", "--calibration", "100", "--data",
                        "long.csv"), 2, "pooled over its series at fit time")
    clipped = tsfc("predict", "--bundle", "many.tsfc", "--level", "95", "--clip-min", "0", "--format", "csv")
    assert (pd.read_csv(io.StringIO(clipped.stdout))["sales_lo_95"].dropna() >= 0).all()


def test_the_ledger_records_the_bounds_and_score_reports_their_coverage(work):
    noisy_csv(work / "newer.csv", rows=ROWS + 48)
    done = tsfc("predict", "--level", "80,95", "--data", "data.csv", "--ledger", "f.db", "--format", "csv")
    assert done.exit_code == 0, done.stderr
    frame = pd.read_csv(io.StringIO(done.stdout), index_col=0)
    actual = pd.read_csv(work / "newer.csv", index_col=0)["y"].reindex(frame.index)
    inside = ((actual >= frame["y_lo_80"]) & (actual <= frame["y_hi_80"])).mean()
    report = json.loads(tsfc("score", "--ledger", "f.db", "--data", "newer.csv", "--json").stdout)
    assert report["overall"]["coverage"]["80"] == pytest.approx(inside)
    assert set(report["overall"]["coverage"]) == {"80", "95"}
