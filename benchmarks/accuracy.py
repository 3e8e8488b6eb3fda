"""Accuracy of tsfc on the standard univariate ETTh1 protocol, next to baselines and published results.

Protocol (Informer / DLinear / PatchTST): the first 14,400 rows of ETTh1 (12/4/4 months),
split 0.6/0.2/0.2 in time order, target OT alone, errors on values standardized with the
training rows' mean and std (tsfc's mse_std, mae_std), one forecast from every test row
(2,881 - H forecasts). tsfc is driven through its CLI exactly as a user would:

    python -m tsfc fit data.csv --target OT --model gru --window 96 --split 0.6,0.2,0.2
    python -m tsfc evaluate --horizon 24 --json
    python -m tsfc evaluate --horizon 24 --json --level 80,95 [--calibration 0]   # with --levels

With --levels, each evaluation also scores the conformal prediction intervals of the model and
of every baseline: recalibrated at each test origin on the 500 latest origins with known actuals
(rolling, the default of `evaluate --level`) and fixed at the bundle's validation calibration
(`--calibration 0`): coverage, mean width and interval (Winkler) score, in standardized units.

Usage: python benchmarks/accuracy.py [--models gru,lstm,rnn] [--horizons 24,96] [--quick] [--threads N]
                                     [--levels 80,95] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ETTH1 = ROOT.parent / "shared" / "data" / "ETTh1.csv"
ROWS = 14_400  # 8,640 train + 2,880 validation + 2,880 test hours
WINDOW = 96

# Published univariate ETTh1 results (MSE, MAE on standardized OT), same split and scaling,
# quoted from the univariate results table of the PatchTST paper (Nie et al., ICLR 2023), which
# also lists DLinear (Zeng et al., AAAI 2023). None = not reported there / not quoted.
PUBLISHED = {
    "DLinear (336-step window)": {96: (0.056, 0.180)},
    "PatchTST/64 (512-step window)": {96: (0.059, 0.189)},
}


def tsfc(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "tsfc", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tsfc {' '.join(args)} failed with exit {done.returncode}:\n{done.stderr}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gru,lstm,rnn")
    parser.add_argument("--horizons", default="24,96")
    parser.add_argument("--quick", action="store_true", help="2 epochs per model: a smoke run, not a result")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for the tsfc runs")
    parser.add_argument("--data", type=Path, default=ETTH1)
    parser.add_argument("--levels", default="", help="also score prediction intervals at these levels, e.g. 80,95")
    parser.add_argument("--output", type=Path, help="also write the markdown here")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    horizons = [int(h) for h in args.horizons.split(",") if h]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if args.threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)

    results: dict[int, dict[str, dict]] = {h: {} for h in horizons}
    with tempfile.TemporaryDirectory(prefix="tsfc-accuracy-") as tmp:
        work = Path(tmp)
        with open(args.data, encoding="utf-8") as src, open(work / "ETTh1_14400.csv", "w", encoding="utf-8") as dst:
            for _, line in zip(range(ROWS + 1), src):  # header + 14,400 rows
                dst.write(line)
        for model in models:
            fit = ["fit", "ETTh1_14400.csv", "--target", "OT", "--model", model, "--window", str(WINDOW),
                   "--split", "0.6,0.2,0.2", "--bundle", f"{model}.tsfc", "--quiet"]
            if args.quick:
                fit += ["--epochs", "2"]
            started = time.perf_counter()
            tsfc(fit, work, env)
            fit_seconds = time.perf_counter() - started
            training = json.loads(tsfc(["info", "--bundle", f"{model}.tsfc", "--json"], work, env).stdout)["training"]
            for h in horizons:
                started = time.perf_counter()
                evaluate = ["evaluate", "--bundle", f"{model}.tsfc", "--horizon", str(h), "--json"]
                report = json.loads(tsfc(evaluate, work, env).stdout)
                results[h][model] = {
                    "report": report,
                    "fit_seconds": fit_seconds,
                    "epochs": f"{training['best_epoch']}/{training['epochs_run']}",
                    "evaluate_seconds": time.perf_counter() - started,
                }
                if args.levels:
                    for mode, extra in (("rolling", []), ("fixed", ["--calibration", "0"])):
                        started = time.perf_counter()
                        done = tsfc([*evaluate, "--level", args.levels, *extra], work, env)
                        results[h][model][mode] = json.loads(done.stdout)
                        results[h][model][f"{mode}_seconds"] = time.perf_counter() - started
            print(f"{model}: fitted in {fit_seconds:.0f}s ({training['epochs_run']} epochs)", file=sys.stderr)
    text = render(results, args.quick) + (render_intervals(results) if args.levels else "")
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


def render_intervals(results: dict[int, dict[str, dict]]) -> str:
    """Coverage, width and interval score of every method's intervals, rolling and fixed calibration."""
    lines = ["", "", "## Prediction intervals (`evaluate --level`)", ""]
    for h, by_model in results.items():
        for model, r in by_model.items():
            std = r["rolling"]["metrics"]["model"]["mae"] / r["rolling"]["metrics"]["model"]["mae_std"]
            levels = list(next(iter(r["rolling"]["intervals"].values())))
            lines += [f"### H = {h}, tsfc {model}: coverage % / mean width / interval score (standardized units)",
                      "", "| method | calibration | " + " | ".join(f"{level} %" for level in levels) + " |",
                      "| --- | --- | " + " | ".join("---:" for _ in levels) + " |"]
            for name in r["rolling"]["intervals"]:
                for mode in ("rolling", "fixed"):
                    scores = r[mode]["intervals"][name]
                    cells = ["n/a" if scores is None else
                             f"{100 * scores[lv]['coverage']:.1f} / {scores[lv]['width'] / std:.3f} / "
                             f"{scores[lv]['interval_score'] / std:.3f}" for lv in levels]
                    how = "rolling 500" if mode == "rolling" else "fixed (validation)"
                    lines.append(f"| {name} | {how} | " + " | ".join(cells) + " |")
            lines += ["", f"evaluate --level: {r['rolling_seconds']:.1f} s rolling, {r['fixed_seconds']:.1f} s fixed "
                      f"(without --level: {r['evaluate_seconds']:.1f} s), whole commands.", ""]
    lines += [
        "rolling 500: recalibrated at every test origin on the errors of the 500 latest origins whose actuals",
        "are known at that origin (validation rows first, then earlier test rows); fixed: the widths",
        "calibrated once on the validation rows (the model's are the bundle's, stored at fit time).",
        "Width and interval score are divided by the training rows' std, as mse_std and mae_std are.",
    ]
    return "\n".join(lines)


def render(results: dict[int, dict[str, dict]], quick: bool) -> str:
    lines = ["# tsfc accuracy on ETTh1 (univariate OT, first 14,400 rows, split 0.6/0.2/0.2, window 96)", ""]
    if quick:
        lines += ["**--quick: 2 epochs per model, a smoke run; these are not results.**", ""]
    for h, by_model in results.items():
        first = next(iter(by_model.values()))["report"]
        lines += [f"## H = {h} ({first['origins']} forecasts, stride 1)", "",
                  "| method | mse_std | mae_std | fit s | epochs (best/run) | evaluate s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for model, r in by_model.items():
            m = r["report"]["metrics"]["model"]
            lines.append(f"| tsfc {model} | {m['mse_std']:.4f} | {m['mae_std']:.4f} | {r['fit_seconds']:.0f} "
                         f"| {r['epochs']} | {r['evaluate_seconds']:.1f} |")
        for name in ("naive", "seasonal_naive", "linear"):
            m = first["metrics"][name]
            cells = ("n/a", "n/a") if m is None else (f"{m['mse_std']:.4f}", f"{m['mae_std']:.4f}")
            lines.append(f"| {name} baseline | {cells[0]} | {cells[1]} | | | |")
        for name, by_h in PUBLISHED.items():
            mse, mae = by_h.get(h, (None, None))
            cells = ("n/a", "n/a") if mse is None else (f"{mse:.3f}", f"{mae:.3f}")
            lines.append(f"| {name}, published | {cells[0]} | {cells[1]} | | | |")
        lines.append("")
    lines += [
        "Published numbers: DLinear (Zeng et al., AAAI 2023) and PatchTST/64 (Nie et al., ICLR 2023),",
        "univariate ETTh1 as tabulated in the PatchTST paper; they use 336- and 512-step windows",
        "(tsfc: 96). n/a = not quoted here (no H = 24 result on this protocol that we are sure of).",
        "Baselines: naive = last value; seasonal_naive = same hour yesterday (season 24);",
        "linear = OLS from the last 96 values to the next H, fitted on the training rows.",
        "fit s and evaluate s are wall-clock seconds of the whole command (Python and torch start-up included).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
