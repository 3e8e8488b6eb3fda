"""Tests for `tsfc evaluate`: the verb's alignment, and the CLI end to end in a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

torch.set_num_threads(1)  # the in-process tests share a small machine
ROOT = Path(__file__).resolve().parents[1]
TINY = ["--hidden", "8", "--layers", "1", "--window", "16", "--block", "8", "--epochs", "1"]
KEYS = {"mae", "rmse", "mse", "mape", "smape", "mase", "mse_std", "mae_std"}
ROWS = 500  # default split 0.7,0.1,0.2: train < 350, validation < 400, 100 test rows


def tsfc(*args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "tsfc", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def hourly_csv(path: Path, rows: int = ROWS, start: int = 0, seed: int = 0) -> Path:
    """A daily cycle plus a random walk, hourly; rows [start, rows) of one fixed series."""
    rng = np.random.default_rng(seed)
    t = np.arange(700)
    values = 20 + 3 * np.sin(2 * np.pi * t / 24) + np.cumsum(rng.normal(0, 0.3, len(t)))
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=len(t), freq="h"), "OT": values})
    frame.iloc[start:rows].to_csv(path, index=False, float_format="%.6f")
    return path


def fit_tiny(work: Path) -> Path:
    """Fit a tiny bundle on 500 hourly rows in `work` (data.csv, model.tsfc)."""
    work.mkdir(exist_ok=True)
    hourly_csv(work / "data.csv")
    done = tsfc("fit", "data.csv", "--target", "OT", *TINY, "-q", cwd=work)
    assert done.returncode == 0, done.stderr
    return work


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A tiny bundle shared by the tests that leave its files alone."""
    return fit_tiny(tmp_path_factory.mktemp("fitted"))


def evaluate_json(*args, cwd) -> dict:
    done = tsfc("evaluate", "--json", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_json_report_has_the_contract_keys(fitted):
    report = evaluate_json(cwd=fitted)
    # the default horizon is the bundle's, chosen at fit time: one day of hourly rows
    assert report["target"] == "OT" and report["horizon"] == 24 and report["season"] == 24
    assert report["origins"] == 100 + 1 - 24  # test rows + 1 - H
    assert report["verdict"].startswith("model ") and "on MASE" in report["verdict"]
    assert report["first_origin"] == "2024-01-17T16:00:00"  # row 400, the first test row
    assert set(report["metrics"]) == {"model", "naive", "seasonal_naive", "linear"}
    for name, scores in report["metrics"].items():
        assert set(scores) == KEYS, name
        assert set(report["by_lead"][name]) == KEYS
        assert len(report["by_lead"][name]["mae"]) == 24
        assert np.mean(report["by_lead"][name]["mae"]) == pytest.approx(scores["mae"])


def test_stride_and_horizon_set_the_origins(fitted):
    report = evaluate_json("--horizon", "5", "--stride", "7", cwd=fitted)
    assert report["origins"] == 14  # rows 400, 407, ..., 491; 495 is the last with 5 actuals
    assert report["last_origin"] == "2024-01-21T11:00:00"  # row 491


def test_plain_text_when_piped_and_output_file(fitted, tmp_path):
    done = tsfc("evaluate", "--output", tmp_path / "report.json", cwd=fitted)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if not line.startswith("#")]
    assert lines[0] == ["method", *["mae", "rmse", "mse", "mape", "smape", "mase", "mse_std", "mae_std"]]
    assert [row[0] for row in lines[1:]] == ["model", "naive", "seasonal_naive", "linear"]
    assert "\u2500" not in done.stdout and "\x1b" not in done.stdout  # no Rich boxes or colours
    saved = json.loads((tmp_path / "report.json").read_text())
    assert float(lines[1][1]) == pytest.approx(saved["metrics"]["model"]["mae"], rel=1e-5)


def test_verb_aligns_forecasts_with_the_rows_they_forecast(fitted, tmp_path):
    from tsfc.evaluation import evaluate
    from tsfc.pipeline import predict

    ev = evaluate(fitted / "model.tsfc", 6, stride=10)
    values = pd.read_csv(fitted / "data.csv")["OT"].to_numpy()
    assert ev.origin_rows.tolist() == list(range(400, 495, 10))
    np.testing.assert_allclose(ev.actual, values[ev.origin_rows[:, None] + np.arange(6)], rtol=1e-6)
    np.testing.assert_allclose(ev.predictions["naive"][:, 0], values[ev.origin_rows - 1], rtol=1e-6)
    # the backtest's forecast from origin o is what `predict` gives on the rows before o
    o = int(ev.origin_rows[3])
    hourly_csv(tmp_path / "upto.csv", rows=o)
    alone = predict(fitted / "model.tsfc", 6, data=tmp_path / "upto.csv").frame["OT"].to_numpy()
    np.testing.assert_allclose(ev.predictions["model"][3], alone, rtol=1e-5)


def test_new_csv_evaluates_rows_after_validation(fitted, tmp_path):
    report = evaluate_json(hourly_csv(tmp_path / "new.csv", rows=600), cwd=fitted)
    assert report["origins"] == 200 + 1 - 24 and report["first_origin"] == "2024-01-17T16:00:00"
    assert report["metrics"]["linear"] is not None
    # only rows after training: the linear baseline is fitted on the bundle's own, unchanged CSV
    recent = evaluate_json(hourly_csv(tmp_path / "recent.csv", rows=600, start=380), cwd=fitted)
    assert recent["metrics"]["linear"] == report["metrics"]["linear"]


def test_changed_or_moved_source_csv(tmp_path):
    """The source CSV changes or moves away: evaluating it alone fails, a newer CSV still works without `linear`."""
    work = fit_tiny(tmp_path / "w")
    (work / "data.csv").rename(work / "moved.csv")
    hourly_csv(work / "data.csv", seed=1)
    done = tsfc("evaluate", cwd=work)
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("tsfc: error: ") and "has changed since" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    (work / "data.csv").unlink()
    done = tsfc("evaluate", cwd=work)
    assert done.returncode == 3 and done.stdout == ""
    assert "no longer exists" in done.stderr and "tsfc evaluate DATA.csv" in done.stderr
    assert tsfc("evaluate", "moved.csv", "--json", cwd=work).returncode == 0
    done = tsfc("evaluate", "--json", hourly_csv(tmp_path / "recent.csv", rows=600, start=380), cwd=work)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["metrics"]["linear"] is None and report["by_lead"]["linear"] is None
    assert report["metrics"]["model"]["mase"] is not None  # the scale stored at fit time
    assert "training rows are unavailable" in done.stderr


def test_csv_without_rows_after_validation_is_exit_3(fitted, tmp_path):
    done = tsfc("evaluate", hourly_csv(tmp_path / "old.csv", rows=400), cwd=fitted)
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("tsfc: error: ") and "no rows after the end of the bundle's validation data" in done.stderr
    from tsfc.errors import DataError
    from tsfc.evaluation import evaluate

    with pytest.raises(DataError, match="5 rows after the bundle's validation data.*lower --horizon"):
        evaluate(fitted / "model.tsfc", data=hourly_csv(tmp_path / "short.csv", rows=405))


def test_threads_change_the_speed_not_the_report(fitted, tmp_path):
    from tsfc.forecast import CPU_CHUNK

    data = hourly_csv(tmp_path / "long.csv", rows=700)  # 300 rows after validation
    one = evaluate_json(data, "--threads", "1", cwd=fitted)
    two = evaluate_json(data, "--threads", "2", cwd=fitted)
    assert one["origins"] > CPU_CHUNK  # more than one chunk, so two threads do roll in parallel
    assert one == two


def test_parallel_backtest_gives_the_serial_forecasts_bit_for_bit(fitted, monkeypatch):
    import tsfc.forecast
    from tsfc.evaluation import evaluate

    pools = []  # the worker count of each pool backtest opens: proof that the parallel path ran

    class Pool(tsfc.forecast.ThreadPoolExecutor):
        def __init__(self, workers, *args, **kwargs):
            pools.append(workers)
            super().__init__(workers, *args, **kwargs)

    monkeypatch.setattr(tsfc.forecast, "CPU_CHUNK", 16)  # 100 origins in 7 chunks
    monkeypatch.setattr(tsfc.forecast, "ThreadPoolExecutor", Pool)
    serial = evaluate(fitted / "model.tsfc", threads=1)
    assert pools == []
    parallel = evaluate(fitted / "model.tsfc", threads=2)
    assert pools == [2]
    assert np.array_equal(serial.predictions["model"], parallel.predictions["model"])
    assert serial.metrics == parallel.metrics


def test_negative_threads_is_exit_2(fitted):
    done = tsfc("evaluate", "--threads", "-1", cwd=fitted)
    assert done.returncode == 2 and done.stderr == "tsfc: error: --threads must be >= 0 (0 = every core), got -1\n"


@pytest.mark.parametrize("option", ["--horizon", "--stride", "--season"])
def test_zero_option_is_exit_2(fitted, option):
    done = tsfc("evaluate", option, "0", cwd=fitted)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"tsfc: error: {option} must be >= 1, got 0\n"


def test_unknown_gate_baseline_is_exit_2(fitted):
    done = tsfc("evaluate", "--fail-if-worse-than", "prophet", cwd=fitted)
    assert done.returncode == 2 and "must be one of naive, seasonal_naive, linear" in done.stderr


def test_season_override_recomputes_mase_scale(fitted):
    from tsfc.metrics import seasonal_naive_mae
    from tsfc.evaluation import evaluate

    default, weekly = evaluate(fitted / "model.tsfc"), evaluate(fitted / "model.tsfc", season=168)
    assert (default.season, weekly.season) == (24, 168)
    assert weekly.metrics["model"]["mae"] == default.metrics["model"]["mae"]
    train = pd.read_csv(fitted / "data.csv")["OT"].to_numpy(np.float32)[:350]
    for ev in (default, weekly):
        scale = seasonal_naive_mae(train, ev.season)
        assert ev.metrics["model"]["mase"] == pytest.approx(ev.metrics["model"]["mae"] / scale, rel=1e-6)
    values = pd.read_csv(fitted / "data.csv")["OT"].to_numpy()
    assert weekly.predictions["seasonal_naive"][0, 0] == pytest.approx(values[400 - 168], rel=1e-6)


def _evaluation_with_mase(model: float, naive: float | None):
    from tsfc.evaluation import Evaluation

    scores = lambda m: {"mae": 2 * m, "mase": m}  # noqa: E731 - one shared scale of 0.5
    metrics = {"model": scores(model), "naive": None if naive is None else scores(naive),
               "seasonal_naive": None, "linear": None}
    return Evaluation("y", 1, 1, 1, "d.csv", None, np.array([0]), np.zeros((1, 1)), {}, metrics, {}, [])


def test_gate_compares_mase():
    from tsfc.errors import QualityGateError, UsageError
    from tsfc.evaluation import check_gate

    check_gate(_evaluation_with_mase(0.9, 1.0), "naive")
    check_gate(_evaluation_with_mase(1.0, 1.0), "naive")  # a tie is not worse
    with pytest.raises(QualityGateError, match=r"worse than naive: model MASE 1\.1000 vs 1\.0000 for naive"):
        check_gate(_evaluation_with_mase(1.1, 1.0), "naive")
    with pytest.raises(QualityGateError, match="naive baseline is unavailable"):
        check_gate(_evaluation_with_mase(0.5, None), "naive")
    with pytest.raises(UsageError, match="must be one of naive, seasonal_naive, linear"):
        check_gate(_evaluation_with_mase(0.5, 1.0), "mean")


def test_gate_fails_a_deliberately_bad_model(tmp_path):
    # a 2-unit network without the per-window shift or highway, after one epoch, cannot match
    # the last value on a random walk that wanders far from its training range
    walk = 100 + np.cumsum(np.random.default_rng(3).normal(0, 1, ROWS))
    walk[350:] += np.linspace(0, 60, ROWS - 350)
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=ROWS, freq="h"), "y": walk}).to_csv(
        tmp_path / "walk.csv", index=False)
    fit = tsfc("fit", "walk.csv", "--target", "y", "--hidden", "2", "--layers", "1", "--window", "8",
               "--block", "4", "--epochs", "1", "--norm", "none", "--no-highway", "-q", cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr
    done = tsfc("evaluate", "--json", "--fail-if-worse-than", "naive", cwd=tmp_path)
    assert done.returncode == 7, done.stderr
    report = json.loads(done.stdout)  # the report came first
    model, naive = report["metrics"]["model"]["mase"], report["metrics"]["naive"]["mase"]
    assert model > naive
    assert done.stderr == (f"tsfc: error: the model is worse than naive: model MASE {model:.4f} "
                           f"vs {naive:.4f} for naive; do not ship this bundle\n")
    assert tsfc("evaluate", "--fail-if-worse-than", "linear", cwd=tmp_path).returncode == 7
