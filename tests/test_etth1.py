"""The real ETTh1 data set and the tutorial scenarios, through the CLI with small settings."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tsfc.cli import app

ETTH1 = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETTh1.csv"
AIRLINE = Path(__file__).resolve().parents[1] / "sample_data" / "airline_monthly.csv"
SMALL = ["--window", "24", "--hidden", "16", "--layers", "1", "--epochs", "1", "--threads", "1", "--quiet"]


@pytest.fixture(scope="module")
def etth1() -> Path:
    if not ETTH1.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{ETTH1} is missing; CI must provide the ETTh1 data set")
        pytest.skip(f"{ETTH1} is absent")
    return ETTH1


def tsfc(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result


def forecast(bundle, horizon, *extra):
    from io import StringIO

    out = tsfc("predict", "--bundle", str(bundle), "--horizon", str(horizon), *extra).stdout
    return pd.read_csv(StringIO(out), index_col=0, parse_dates=True)


@pytest.fixture(scope="module")
def etth1_bundle(etth1, tmp_path_factory):
    bundle = tmp_path_factory.mktemp("etth1") / "ot.tsfc"
    tsfc("fit", str(etth1), "--target", "OT", "--bundle", str(bundle), *SMALL)
    return bundle


@pytest.mark.parametrize("horizon", [12, 30])
def test_forecast_continues_hourly_after_the_data(etth1_bundle, horizon):
    frame = forecast(etth1_bundle, horizon)
    assert list(frame.columns) == ["OT"] and frame.index.name == "date"
    expected = pd.date_range("2018-06-26 20:00:00", periods=horizon, freq="h")
    assert list(frame.index) == list(expected)
    assert np.isfinite(frame["OT"]).all()
    assert frame["OT"].between(-10, 60).all()  # OT spans about -4 to 47 in the file


def test_tutorial_all_features_rnn(etth1, tmp_path):
    bundle = tmp_path / "all.tsfc"
    tsfc("fit", str(etth1), "--target", "OT", "--features", "all", "--window", "10", "--model", "rnn",
         "--hidden", "16", "--layers", "1", "--epochs", "1", "--threads", "1", "--quiet", "--bundle", str(bundle))
    info = json.loads(tsfc("info", "--json", "--bundle", str(bundle)).stdout)
    assert info["columns"] == ["OT", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]
    assert info["config"]["model"] == "rnn" and info["config"]["window"] == 10
    frame = forecast(bundle, 24, "--all-columns")
    assert list(frame.columns) == ["OT", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]
    assert frame.index[0] == pd.Timestamp("2018-06-26 20:00:00") and len(frame) == 24
    assert np.isfinite(frame.to_numpy()).all()


@pytest.fixture
def airline(tmp_path) -> Path:
    if AIRLINE.exists():
        return AIRLINE
    path = tmp_path / "airline_monthly.csv"  # the same shape: 144 months from 1949-01
    months = pd.period_range("1949-01", periods=144, freq="M").astype(str)
    t = np.arange(144)
    passengers = np.round(120 + 2 * t + 30 * np.sin(2 * np.pi * t / 12)).astype(int)
    pd.DataFrame({"month": months, "passengers": passengers}).to_csv(path, index=False)
    return path


def test_monthly_univariate(airline, tmp_path):
    bundle = tmp_path / "air.tsfc"
    tsfc("fit", str(airline), "--target", "passengers", "--window", "12", "--hidden", "8", "--layers", "1",
         "--epochs", "3", "--threads", "1", "--quiet", "--bundle", str(bundle))
    frame = forecast(bundle, 15)
    last = pd.Timestamp(pd.read_csv(airline)["month"].iloc[-1])
    expected = pd.date_range(last, periods=16, freq="MS")[1:]
    assert list(frame.index) == list(expected)
    assert frame.index[0] == pd.Timestamp("1961-01-01")  # both the sample and the generated file end in 1960-12
    assert np.isfinite(frame["passengers"]).all() and (frame["passengers"] > 0).all()
