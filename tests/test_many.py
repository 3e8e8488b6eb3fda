"""Many series in one file, end to end: fit --id-col, predict, evaluate, info and plot as a user runs them."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import TINY_ARGS
from tsfc.cli import app

SERIES = {  # (store, item): (start, rows, level)
    ("north", "apples"): ("2024-01-01 00:00", 240, 10.0),
    ("north", "pears"): ("2024-01-02 06:00", 200, 50.0),  # starts and ends later
    ("south", "apples"): ("2024-01-01 00:00", 220, 1000.0),  # ends earlier, a much larger level
    ("south", "figs"): ("2024-01-03 00:00", 6, 5.0),  # shorter than the window: a baseline forecasts it
}


def write_long(path, series=SERIES, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for (store, item), (start, n, level) in series.items():
        t = np.arange(n)
        values = level * (1 + 0.3 * np.sin(2 * np.pi * t / 24)) + rng.normal(0, level * 0.01, n)
        for stamp, v in zip(pd.date_range(start, periods=n, freq="h"), values):
            rows.append((store, item, stamp.strftime("%Y-%m-%d %H:%M:%S"), round(v, 4)))
    pd.DataFrame(rows, columns=["store", "item", "date", "sales"]).to_csv(path, index=False)
    return path


def tsfc(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("many")
    write_long(directory / "long.csv")
    result = tsfc("fit", directory / "long.csv", "--target", "sales", "--id-col", "store,item",
                  "--bundle", directory / "model.tsfc", *TINY_ARGS)
    assert result.exit_code == 0, result.stderr
    assert "1 series shorter than the window of 8 rows" in result.stderr and "'south|figs'" in result.stderr
    return directory


@pytest.fixture
def workdir(tmp_path, fitted, monkeypatch):
    for name in ("long.csv", "model.tsfc"):
        shutil.copy(fitted / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    return tmp_path


def test_predict_writes_every_series_in_long_format_with_the_original_id_columns(workdir):
    result = tsfc("predict", "--horizon", "5", "--output", "next.csv")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(workdir / "next.csv")
    assert list(frame.columns) == ["store", "item", "date", "sales", "method"]
    assert len(frame) == 4 * 5
    ends = frame.groupby(["store", "item"])["date"].first().to_dict()
    # each series continues from its own last timestamp
    assert ends[("north", "apples")] == "2024-01-11 00:00:00"
    assert ends[("north", "pears")] == "2024-01-10 14:00:00"
    assert ends[("south", "apples")] == "2024-01-10 04:00:00"
    methods = frame.groupby(["store", "item"])["method"].first().to_dict()
    assert methods[("south", "figs")] == "naive"  # 6 rows: less than a day's season of 24
    assert {methods[k] for k in methods if k != ("south", "figs")} == {"network"}
    figs = frame[frame["item"] == "figs"]["sales"].to_numpy()
    assert np.allclose(figs, figs[0])  # naive repeats the last value
    big = frame[(frame["store"] == "south") & (frame["item"] == "apples")]["sales"]
    small = frame[(frame["store"] == "north") & (frame["item"] == "apples")]["sales"]
    assert big.mean() > 20 * small.mean()  # each series is forecast in its own units


def test_predict_ids_chooses_series_and_refuses_unknown_ones(workdir):
    result = tsfc("predict", "--horizon", "3", "--ids", "north|pears", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["id_cols"] == ["store", "item"] and doc["series"] == 1
    assert [(r["store"], r["item"]) for r in doc["forecast"]] == [("north", "pears")] * 3
    result = tsfc("predict", "--ids", "north|pear")
    assert result.exit_code == 2
    assert "no series 'north|pear' in the bundle; did you mean 'north|pears'?" in result.stderr


def test_predict_from_newer_data_continues_each_series_and_forecasts_an_unseen_one(workdir):
    newer = dict(SERIES)
    newer[("east", "kiwis")] = ("2024-01-01 00:00", 100, 20.0)  # never seen, long enough for the window
    newer[("east", "limes")] = ("2024-01-01 00:00", 3, 7.0)  # never seen, too short
    del newer[("north", "pears")]
    write_long(workdir / "newer.csv", newer, seed=1)
    result = tsfc("predict", "--data", "newer.csv", "--horizon", "4", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(pd.io.common.StringIO(result.stdout))
    got = frame.groupby(["store", "item"])["method"].first().to_dict()
    assert got[("east", "kiwis")] == "network" and got[("east", "limes")] == "naive"
    assert ("north", "pears") not in got
    assert "2 series the bundle was not fitted on are forecast from their own rows" in result.stderr
    assert "1 series of the bundle are not in" in result.stderr


def test_evaluate_json_keeps_the_aggregate_keys_and_adds_every_series(workdir):
    result = tsfc("evaluate", "--horizon", "6", "--stride", "6", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["series_count"] == 3  # the short series has no test rows for a window of 8
    model = report["metrics"]["model"]
    assert {"mae", "rmse", "mase", "pooled_mae", "pooled_rmse"} <= set(model)
    per = report["series"]
    assert set(per) == {"north|apples", "north|pears", "south|apples"}
    assert model["mase"] == pytest.approx(np.mean([per[s]["model"]["mase"] for s in per]))
    assert model["mae"] == pytest.approx(np.mean([per[s]["model"]["mae"] for s in per]))
    assert len(report["by_lead"]["model"]["mae"]) == 6
    assert "left out 1 series with no test rows" in " ".join(report["notes"])


def test_evaluate_gate_judges_the_aggregate(workdir):
    result = tsfc("evaluate", "--horizon", "6", "--stride", "6", "--fail-if-worse-than", "naive", "--quiet")
    report = tsfc("evaluate", "--horizon", "6", "--stride", "6", "--json")
    metrics = json.loads(report.stdout)["metrics"]
    worse = metrics["model"]["mase"] > metrics["naive"]["mase"]
    assert result.exit_code == (7 if worse else 0), result.stderr


def test_info_shows_the_series_and_lists_them(workdir):
    result = tsfc("info")
    assert result.exit_code == 0, result.stderr
    assert "4 series by store, item, 6 to 240 rows" in result.stdout
    assert "1 series shorter than the window use a baseline: south|figs (naive)" in result.stdout
    listed = tsfc("info", "--series").stdout.splitlines()
    assert listed[0] == "id\trows\tmethod\tlast"
    assert "south|figs\t6\tnaive\t2024-01-03T05:00:00" in listed


def test_bundle_round_trip_keeps_each_series_scaling_and_last_window(workdir):
    from tsfc.pipeline import load_bundle

    loaded = load_bundle(workdir / "model.tsfc")
    state = loaded.panel
    assert state.ids == ["north|apples", "north|pears", "south|apples", "south|figs"]
    frame = pd.read_csv(workdir / "long.csv")
    south = frame[(frame["store"] == "south") & (frame["item"] == "apples")]["sales"].to_numpy()
    train = south[: int(len(south) * 0.7)]
    i = state.ids.index("south|apples")
    assert state.low[i, 0] == pytest.approx(train.min(), rel=1e-6)
    assert state.high[i, 0] == pytest.approx(train.max(), rel=1e-6)
    assert np.allclose(loaded.history[i, :, 0], south[-8:], rtol=1e-6)
    assert state.lengths.tolist() == [240, 200, 220, 6]


def test_ids_on_a_one_series_bundle_is_a_usage_error(tmp_path, monkeypatch):
    from conftest import write_hourly_csv

    monkeypatch.chdir(tmp_path)
    write_hourly_csv(tmp_path / "one.csv")
    assert tsfc("fit", "one.csv", "--target", "x", *TINY_ARGS).exit_code == 0
    result = tsfc("predict", "--ids", "a")
    assert result.exit_code == 2 and "--ids needs a bundle of many series" in result.stderr


def test_fit_refuses_a_missing_id_column_and_an_id_that_is_the_target(workdir):
    result = tsfc("fit", "long.csv", "--target", "sales", "--id-col", "shop", *TINY_ARGS)
    assert result.exit_code == 3 and "no column 'shop'" in result.stderr
    result = tsfc("fit", "long.csv", "--target", "sales", "--id-col", "sales", *TINY_ARGS)
    assert result.exit_code == 3 and "is also an --id-col" in result.stderr


def test_without_id_col_a_long_file_still_fails_as_before(workdir):
    result = tsfc("fit", "long.csv", "--target", "sales", *TINY_ARGS)
    assert result.exit_code == 3 and "duplicate timestamp" in result.stderr


def test_plot_draws_the_chosen_series(workdir):
    result = tsfc("plot", "--id", "north|apples,south|figs", "--output", "two.png")
    assert result.exit_code == 0, result.stderr
    assert (workdir / "two.png").stat().st_size > 1000
    result = tsfc("plot", "--id", "nowhere", "--output", "x.png")
    assert result.exit_code == 2 and "--id: no series 'nowhere'" in result.stderr
    assert not (workdir / "x.png").exists()
