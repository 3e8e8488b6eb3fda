"""What the forecast ledger costs (issue 14): `predict` with and without `--ledger`, and `score`
over a year of hourly forecasts (8,760 origins x 24 leads = 210,240 forecasts).

Run from the repository root:

    python benchmarks/ledger.py            # about 3 minutes on 2 busy cores
    python benchmarks/ledger.py --quick    # fewer repetitions, about 1 minute

1. predict: a bundle fitted on sample_data/energy_hourly.csv (default network, `--epochs 1`)
   forecasts 24 steps from that CSV into a file, alternately without and with `--ledger`
   (a ledger already holding the year of forecasts below; the same origin each time, so every
   run after the first replaces its rows: a delete and an insert). Medians of whole commands,
   interleaved so a busy machine slows both alike; then, in one process, the forecast itself
   (`many.predict`) and the ledger write alone (`ledger.entry_of` + `ledger.recording`).
2. score: a ledger of 8,760 hourly runs of 24 leads with 80 % intervals, on a year of hourly
   data (a daily cycle plus noise); `tsfc score --json` as a whole command, and in one process
   its parts. The ledger is built with `ledger._insert`, the code `predict --ledger` runs, 24
   runs to a transaction (one transaction per run, as predict commits, costs an fsync each:
   about 30 ms here, so 8,760 of them would take minutes to build).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
SAMPLE = ROOT / "sample_data" / "energy_hourly.csv"
ORIGINS, LEADS = 8760, 24


def env() -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for name in ("TSFC_BUNDLE", "TSFC_LEDGER"):
        e.pop(name, None)
    return e


def run(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return wall


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def year_of_data(work: Path) -> Path:
    import numpy as np
    import pandas as pd

    rows = ORIGINS + LEADS
    t = np.arange(rows)
    stamps = pd.date_range("2023-01-01", periods=rows, freq="h")
    x = 20 + 5 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 1, rows)
    path = work / "year.csv"
    pd.DataFrame({"date": stamps.strftime("%Y-%m-%d %H:%M:%S"), "x": x.round(3)}).to_csv(path, index=False)
    return path


def build_year_ledger(work: Path, data: Path) -> tuple[Path, float]:
    """8,760 runs x 24 leads, each forecast the actual plus noise, with an 80 % interval."""
    import numpy as np
    import pandas as pd

    from tsfc import ledger

    actual = pd.read_csv(data)["x"].to_numpy()
    stamps = np.datetime_as_string(pd.to_datetime(pd.read_csv(data)["date"]).to_numpy(), unit="s").tolist()
    manifest = {"target": "x", "columns": ["x"], "date_col": "date", "freq": "h",
                "validation": {"rows": 876, "mae": {"model": 0.9}},
                "train_stats": {"mase_scale": {"season": 24, "mae": 1.13}}}
    noise = np.random.default_rng(1).normal(0, 1, (ORIGINS, LEADS))
    path = work / "year.db"
    t0 = time.perf_counter()
    con = ledger._open(path, create=True, timeout=60)
    for day in range(0, ORIGINS, 24):
        con.execute("BEGIN IMMEDIATE")
        for o in range(day, min(day + 24, ORIGINS)):
            values = actual[o + 1 : o + 1 + LEADS] + noise[o]
            rows = [("", stamps[o], k + 1, stamps[o + 1 + k], float(v)) for k, v in enumerate(values)]
            bounds = [("", stamps[o], k + 1, 80.0, float(v - 1.3), float(v + 1.3)) for k, v in enumerate(values)]
            ledger._insert(con, ledger.Entry("b" * 64, str(work / "model.tsfc"), "x", manifest, {"": 1.13}, LEADS,
                                             str(data), "0.1.0", rows, bounds))
        con.execute("COMMIT")
    con.close()
    return path, time.perf_counter() - t0


def predict_section(work: Path, year_db: Path, repeats: int) -> None:
    from tsfc import ledger, many

    bundle = work / "model.tsfc"
    run([PY, "-m", "tsfc", "fit", str(SAMPLE), "--target", "OT", "--epochs", "1", "--threads", "1", "--quiet",
         "--bundle", str(bundle)], work)
    db = work / "predict.db"
    shutil.copy(year_db, db)
    base = [PY, "-m", "tsfc", "predict", "--bundle", str(bundle), "--data", str(SAMPLE), "--horizon", "24",
            "--output", str(work / "next.csv")]
    run(base + ["--ledger", str(db)], work)  # warm the file cache; the first write adds the bundle's row
    without, with_ledger = [], []
    for _ in range(repeats):
        without.append(run(base, work))
        with_ledger.append(run(base + ["--ledger", str(db)], work))
    a, b = statistics.median(without), statistics.median(with_ledger)
    print(f"\n## predict --horizon 24 --data energy_hourly.csv --output next.csv (median of {repeats}, interleaved)")
    print("| command | median | x without |\n| --- | --- | --- |")
    print(f"| without --ledger | {a:.3f} s | 1.000 |")
    print(f"| with --ledger (ledger of {ORIGINS * LEADS:,} forecasts) | {b:.3f} s | {b / a:.3f} |")
    print(f"spread without: {min(without):.3f}-{max(without):.3f} s; with: {min(with_ledger):.3f}-{max(with_ledger):.3f} s")

    forecast = many.predict(bundle, 24, data=SAMPLE)
    inner = median_time(lambda: many.predict(bundle, 24, data=SAMPLE), 5 * repeats)

    def write():
        with ledger.recording(db, ledger.entry_of(forecast, SAMPLE)):
            pass

    added = median_time(write, 5 * repeats)
    print(f"\nIn one process (median of {5 * repeats}): many.predict {inner * 1000:.1f} ms; "
          f"entry_of + recording (commit with fsync) {added * 1000:.1f} ms = "
          f"{added / inner * 100:.1f} % of the forecast alone, {added / a * 100:.1f} % of the whole command")


def score_section(work: Path, year_db: Path, data: Path, repeats: int) -> None:
    from tsfc import ledger, scoring

    cmd = [PY, "-m", "tsfc", "score", "--ledger", str(year_db), "--data", str(data), "--json"]
    whole = [run(cmd, work) for _ in range(repeats)]
    reading = median_time(lambda: ledger.read(year_db), repeats)
    result = scoring.score(year_db, data)
    inner = median_time(lambda: scoring.score(year_db, data), repeats)
    print(f"\n## score over {ORIGINS:,} origins x {LEADS} leads = {result.counts['forecasts']:,} forecasts "
          f"(median of {repeats})")
    print("| what | median |\n| --- | --- |")
    print(f"| `tsfc score --ledger year.db --data year.csv --json` (whole command) | {statistics.median(whole):.2f} s |")
    print(f"| scoring.score in one process | {inner:.2f} s |")
    print(f"| of which ledger.read (SQLite to pandas) | {reading:.2f} s |")
    print(f"scored {result.counts['scored']:,}, MAE {result.overall['mae']:.3f}, "
          f"coverage 80 % {result.overall['coverage'].get('80', float('nan')):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9
    work = args.work or Path(tempfile.mkdtemp(prefix="tsfc-ledger-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# ledger benchmark: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    t0 = time.perf_counter()
    data = year_of_data(work)
    year_db, built = build_year_ledger(work, data)
    print(f"built {year_db.name}: {ORIGINS:,} runs in {built:.1f} s ({year_db.stat().st_size / 2**20:.1f} MiB)")
    score_section(work, year_db, data, max(3, repeats // 3))
    predict_section(work, year_db, repeats)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
