"""Many series in one file: accuracy on tourism.csv and scale on 10,000 synthetic hourly series.

    python benchmarks/many_series.py                 # both parts
    python benchmarks/many_series.py --part accuracy # tourism: global model vs baselines and AutoETS
    python benchmarks/many_series.py --part scale    # 10,000 x 500 hourly rows: fit, predict, evaluate

Accuracy: the last 8 quarters of each of tourism.csv's 304 series are the test; the model is
fitted (defaults, --split 0.85,0.15,0) on the rows before them and forecasts 8 quarters from
the end of each series; every method is scored by MASE with the in-sample seasonal-naive
(season 4) MAE of the rows it saw, then averaged over series. AutoETS (statsforecast, the
`bench` extra) is fitted per series on the same rows.

Scale: a seeded long CSV of 10,000 series x 500 hourly rows (daily and weekly cycles, trends,
noise, different levels) is written to a temporary folder; `tsfc fit`, `predict --horizon 24`
and `evaluate --horizon 24 --stride 24` run as a user would run them, timed end to end, with
their peak memory (the child's maximum resident set); the loop a user would otherwise write
(one `tsfc fit` and `predict` per series) is timed on 20 series and extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TSFC = [sys.executable, "-m", "tsfc"]


WRAP = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
        "sys.stderr.write('\\npeak_kib %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.exit(done.returncode)")


def run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run tsfc; return (seconds, its peak resident memory in MiB, stdout).

    A fresh wrapper process runs each command, so the peak is that command's alone.
    """
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAP, *TSFC, *args], cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"tsfc {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = int(done.stderr.rsplit("peak_kib ", 1)[1].split()[0])
    return seconds, peak / 1024, done.stdout


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int) -> float:
    scale = np.mean(np.abs(history[season:] - history[:-season]))
    return float(np.mean(np.abs(actual - forecast)) / scale) if scale > 0 else float("nan")


def accuracy(work: Path, horizon: int = 8, season: int = 4, seed: int = 0) -> dict:
    source = pd.read_csv(DATA / "tourism.csv")
    ids = ["Region", "State", "Purpose"]
    source["Quarter"] = pd.PeriodIndex(source["Quarter"].str.replace(" ", ""), freq="Q").to_timestamp()
    source = source.sort_values([*ids, "Quarter"])
    train = source.groupby(ids, sort=False).apply(lambda g: g.iloc[:-horizon], include_groups=False).reset_index(level=ids)
    test = source.groupby(ids, sort=False).apply(lambda g: g.iloc[-horizon:], include_groups=False).reset_index(level=ids)
    train[[*ids, "Quarter", "Trips"]].to_csv(work / "tourism_train.csv", index=False)
    fit_s, fit_mb, _ = run(["fit", "tourism_train.csv", "--target", "Trips", "--id-col", ",".join(ids),
                            "--split", "0.85,0.15,0", "--seed", str(seed), "--quiet"], work)
    _, _, text = run(["predict", "--horizon", str(horizon), "--format", "csv", "--level", "80,95"], work)
    from io import StringIO

    model = pd.read_csv(StringIO(text))
    key = lambda frame: frame[ids].astype(str).agg("|".join, axis=1)  # noqa: E731
    model["id"], train["id"], test["id"] = key(model), key(train), key(test)
    forecasts = {"model": {i: g["Trips"].to_numpy() for i, g in model.groupby("id")}}
    histories = {i: g["Trips"].to_numpy(dtype=float) for i, g in train.groupby("id")}
    actuals = {i: g["Trips"].to_numpy(dtype=float) for i, g in test.groupby("id")}
    from numpy.lib.stride_tricks import sliding_window_view

    forecasts["naive"], forecasts["seasonal_naive"], forecasts["linear"] = {}, {}, {}
    for i, y in histories.items():
        forecasts["naive"][i] = np.repeat(y[-1], horizon)
        forecasts["seasonal_naive"][i] = y[-season:][np.arange(horizon) % season]
        window = 8  # the model's default window for these series (tsfc info)
        pairs = sliding_window_view(y, window + horizon)
        x = np.hstack([pairs[:, :window], np.ones((len(pairs), 1))])
        coef, *_ = np.linalg.lstsq(x, pairs[:, window:], rcond=None)
        forecasts["linear"][i] = np.append(y[-window:], 1.0) @ coef
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        frame = train.rename(columns={"id": "unique_id", "Quarter": "ds", "Trips": "y"})[["unique_id", "ds", "y"]]
        start = time.perf_counter()
        sf = StatsForecast(models=[AutoETS(season_length=season)], freq="QS", n_jobs=1)
        ets = sf.forecast(df=frame, h=horizon)
        ets_s = time.perf_counter() - start
        ets = ets.reset_index() if "unique_id" not in ets.columns else ets
        forecasts["AutoETS"] = {i: g["AutoETS"].to_numpy() for i, g in ets.groupby("unique_id")}
    except ImportError:
        ets_s = None
        print("statsforecast is not installed (pip install -e '.[bench]'); AutoETS left out", file=sys.stderr)
    scores = {name: float(np.nanmean([mase(actuals[i], f[i], histories[i], season) for i in actuals]))
              for name, f in forecasts.items()}
    coverage = {}
    for level in ("80", "95"):
        inside = [((g[f"Trips_lo_{level}"].to_numpy() <= actuals[i]) & (actuals[i] <= g[f"Trips_hi_{level}"].to_numpy()))
                  for i, g in model.groupby("id") if g["method"].iloc[0] == "network"]
        coverage[level] = float(np.mean(np.concatenate(inside)))
    return {"series": len(actuals), "mase": scores, "coverage": coverage, "fit_seconds": round(fit_s, 1), "fit_peak_mib": round(fit_mb),
            "autoets_seconds": None if ets_s is None else round(ets_s, 1)}


def synthetic(path: Path, series: int = 10_000, rows: int = 500, seed: int = 0) -> None:
    """Hourly series with daily and weekly cycles, a trend, noise and their own level."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    level = rng.lognormal(3, 1, series)[:, None]
    daily = rng.uniform(0.1, 0.5, series)[:, None] * np.sin(2 * np.pi * (t + rng.integers(0, 24, series)[:, None]) / 24)
    weekly = rng.uniform(0.0, 0.3, series)[:, None] * np.sin(2 * np.pi * t / 168)
    trend = rng.normal(0, 0.3, series)[:, None] * t / rows
    noise = rng.normal(0, 1, (series, rows)) * rng.uniform(0.02, 0.15, series)[:, None]
    values = level * (1 + daily + weekly + trend + noise)
    stamps = pd.date_range("2024-01-01", periods=rows, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    with open(path, "w") as handle:
        handle.write("series,time,load\n")
        for s in range(series):
            handle.write("".join(f"s{s:05d},{stamp},{v:.3f}\n" for stamp, v in zip(stamps, values[s])))


def scale(work: Path, series: int, rows: int, loop: int = 20) -> dict:
    csv = work / "synthetic.csv"
    start = time.perf_counter()
    synthetic(csv, series, rows)
    print(f"wrote {csv} ({csv.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    out: dict = {"series": series, "rows_per_series": rows}
    out["fit_seconds"], out["fit_peak_mib"], _ = run(["fit", str(csv), "--target", "load", "--id-col", "series", "--quiet"], work)
    out["bundle_mib"] = (work / "model.tsfc").stat().st_size / 2**20
    out["predict_seconds"], out["predict_peak_mib"], _ = run(["predict", "--horizon", "24", "--output", "next.csv"], work)
    out["evaluate_seconds"], out["evaluate_peak_mib"], text = run(
        ["evaluate", "--horizon", "24", "--stride", "24", "--json"], work)
    report = json.loads(text)
    out["mase"] = {name: (m or {}).get("mase") for name, m in report["metrics"].items()}
    out["evaluate_jobs2_seconds"], _, _ = run(["evaluate", "--horizon", "24", "--stride", "24", "--jobs", "2",
                                               "--json"], work)
    # the loop a user would write without --id-col: 20 series, extrapolated
    folder = work / "loop"
    folder.mkdir()
    frame = pd.read_csv(csv, nrows=loop * rows)
    start = time.perf_counter()
    for sid, g in frame.groupby("series"):
        g[["time", "load"]].to_csv(folder / f"{sid}.csv", index=False)
        run(["fit", f"{sid}.csv", "--target", "load", "--bundle", f"{sid}.tsfc", "--quiet"], folder)
        run(["predict", "--bundle", f"{sid}.tsfc", "--horizon", "24", "--output", f"{sid}.out.csv"], folder)
    per_series = (time.perf_counter() - start) / loop
    out["loop_seconds_per_series"] = per_series
    out["loop_seconds_extrapolated"] = per_series * series
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("accuracy", "scale", "both"), default="both")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="accuracy: the fit's --seed")
    parser.add_argument("--loop", type=int, default=20, help="series timed one by one for the loop estimate")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("accuracy", "both"):
            (Path(tmp) / "acc").mkdir()
            results["accuracy"] = accuracy(Path(tmp) / "acc", seed=args.seed)
            print(json.dumps(results["accuracy"], indent=2), flush=True)
        if args.part in ("scale", "both"):
            (Path(tmp) / "scale").mkdir()
            results["scale"] = scale(Path(tmp) / "scale", args.series, args.rows, args.loop)
            print(json.dumps(results["scale"], indent=2), flush=True)


if __name__ == "__main__":
    main()
