"""Accuracy of tsfc's default options on the development suite (../shared/data), beside baselines.

Each series is fitted and evaluated through the CLI as a user would, with no options but the
target (the defaults choose window, block and training budget from the data):

    python -m tsfc fit FILE --target COL --bundle NAME.tsfc --quiet --seed 0
    python -m tsfc evaluate --bundle NAME.tsfc --horizon H --stride STRIDE --json

STRIDE is 1 for series of at most 1,000 rows and H for longer ones. The window, splits, frequency
and MASE scale are read back from `tsfc info --json`, never assumed. Beside tsfc's own baselines
(naive, seasonal naive, linear), statsforecast's AutoETS and AutoTheta forecast the same series
from the same origins with the same horizon and season, and are scored on the same MASE scale:
refitted at every origin on series of at most 1,000 rows; on longer ones fitted once on the rows
before the first origin (at most the last 15,000 of them) and then run forward over each origin's
history without re-estimating. Their errors are cached in benchmarks/.cache/ (--refresh redoes them).
Series of at most 1,000 rows are also fitted with seeds 1 and 2, for the seed spread.

aus_production.csv's Tobacco and Bricks columns end years before the others (empty cells), so
they are left out; its other four columns are four series.

Prediction intervals (issue 13): each series' seed-0 bundle is evaluated once more with
`--level 80` (conformal intervals recalibrated at every test origin on the 500 latest origins
with known actuals) and once with `--level 80 --calibration 0` (the bundle's fit-time
calibration on the validation rows): coverage, mean width and interval score of the model and of
seasonal naive, per series. `--intervals-only` runs just that (seed 0, no classical models).

Usage (from the repository root; the classical models need `pip install -e '.[bench]'`):

    python benchmarks/suite.py        # the whole suite: 11 minutes on 2 quiet cores with the classical
                                      # references cached; the first run adds about 12 (AutoTheta)
    python benchmarks/suite.py --only mean-temp,ETTh1 --fit-args "--epochs 1"   # smoke run
    python benchmarks/suite.py --no-classical --output suite.md
    python benchmarks/suite.py --intervals-only     # coverage per series: about 7 minutes
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from classical import FIT_ROWS, classical_errors  # benchmarks/classical.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "benchmarks" / ".cache" / "classical.json"

# name, file, target, horizon
SUITE = [
    ("mean-temp", "monthly-mean-temp.csv", "Temperature", 12),
    ("robberies", "monthly-robberies.csv", "Robberies", 12),
    ("writing-paper", "monthly-writing-paper-sales.csv", "Sales", 12),
    ("daily-temp", "daily-max-temperatures.csv", "Temperature", 14),
    ("aus-Beer", "aus_production.csv", "Beer", 8),
    ("aus-Cement", "aus_production.csv", "Cement", 8),
    ("aus-Electricity", "aus_production.csv", "Electricity", 8),
    ("aus-Gas", "aus_production.csv", "Gas", 8),
    ("vic_elec", "vic_elec.csv", "Demand", 48),
    ("ETTh1", "ETTh1.csv", "OT", 24),
    ("ETTh2", "ETTh2.csv", "OT", 24),
]
SHORT = 1_000  # at most this many rows: stride 1, classical refits at every origin, seed spread
LEVEL = 80  # the interval level scored per series (target: coverage within 10 points of it)
FIT_LIMITS = ((1_000, 20.0), (20_000, 180.0))  # (rows up to, fit wall seconds at most)
WIDTH = 100


class Failed(Exception):
    """A tsfc command exited non-zero; the message is its error line."""


@dataclass
class Result:
    name: str
    file: str
    target: str
    horizon: int
    error: str | None = None
    freq: str | None = None
    rows: int | None = None
    origins: int | None = None
    window: int | None = None
    season: int | None = None
    metrics: dict = field(default_factory=dict)  # method -> {"mase", "smape"}, from evaluate and statsforecast
    notes: dict = field(default_factory=dict)  # method -> footnote
    seed_mase: dict = field(default_factory=dict)  # seed -> model MASE
    fit_s: float | None = None
    train_s: float | None = None
    eval_s: float | None = None
    intervals: dict = field(default_factory=dict)  # "rolling"/"fixed" -> evaluate's "intervals"; "seconds"


def tsfc(args: list[str], cwd: Path, env: dict) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m tsfc ARGS`; return the finished process and its wall seconds, or raise `Failed`."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tsfc", *args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()] or [f"exit {done.returncode}"]
        errors = [line for line in lines if line.startswith(("tsfc: error", "tsfc: internal error"))]
        raise Failed(f"{args[0]}: {(errors or lines)[-1]}".replace(f"{cwd}{os.sep}", ""))
    return done, seconds


def fit_and_evaluate(r: Result, csv: Path, seed: int, fit_args: list[str], work: Path, env: dict) -> dict:
    """Fit with `seed` and the defaults, evaluate; fill `r` from the manifest; return the evaluate report."""
    bundle = f"{r.name}-seed{seed}.tsfc"
    _, fit_s = tsfc(["fit", csv.name, "--target", r.target, "--bundle", bundle, "--quiet", "--seed", str(seed),
                     *fit_args], work, env)
    m = json.loads(tsfc(["info", "--bundle", bundle, "--json"], work, env)[0].stdout)
    r.rows, r.freq, r.window = m["split"]["rows"], m["freq"], m["net"]["window"]
    r.season = m["train_stats"]["mase_scale"]["season"]
    stride = 1 if r.rows <= SHORT else r.horizon
    done, eval_s = tsfc(["evaluate", "--bundle", bundle, "--horizon", str(r.horizon), "--stride", str(stride),
                         "--json"], work, env)
    report = json.loads(done.stdout)
    report["manifest"], report["fit_s"], report["eval_s"] = m, fit_s, eval_s
    r.seed_mase[seed] = report["metrics"]["model"]["mase"]
    return report


def bench(r: Result, args, work: Path, env: dict, cache: dict) -> None:
    """Fill `r` for one series; a failed tsfc command is recorded in `r.error`, not raised."""
    csv = work / r.file
    if not csv.exists():
        shutil.copyfile(DATA / r.file, csv)  # a stable source path for the bundle
    seeds = args.seeds
    try:
        report = fit_and_evaluate(r, csv, seeds[0], args.fit_args, work, env)
    except Failed as exc:
        r.error = str(exc)
        return
    m = report["manifest"]
    r.fit_s, r.eval_s, r.train_s = report["fit_s"], report["eval_s"], m["training"]["seconds"]
    r.origins = report["origins"]
    for method, key in (("model", "model"), ("naive", "naive"), ("snaive", "seasonal_naive"), ("linear", "linear")):
        found = report["metrics"][key]
        r.metrics[method] = None if found is None else {"mase": found["mase"], "smape": found["smape"]}
    progress(f"{r.name}: fit {r.fit_s:.1f} s, evaluate {r.eval_s:.1f} s, {r.origins} origins")
    if args.intervals:
        try:
            intervals(r, f"{r.name}-seed{seeds[0]}.tsfc", report["stride"], work, env)
        except Failed as exc:
            r.notes["intervals"] = str(exc)
    if r.rows <= SHORT:
        for seed in seeds[1:]:
            try:
                fit_and_evaluate(r, csv, seed, args.fit_args, work, env)
            except Failed as exc:
                r.seed_mase[seed], r.notes["spread"] = None, f"seed {seed}: {exc}"
    if args.classical:
        try:
            classical(r, csv, report, m, cache, args.refresh)
        except Exception as exc:  # the tsfc row stands without its references
            text = str(exc) if isinstance(exc, ClassicalUnavailable) else f"{type(exc).__name__}: {exc}"
            r.notes["ETS"] = r.notes["Theta"] = text


def intervals(r: Result, bundle: str, stride: int, work: Path, env: dict) -> None:
    """Score the bundle's 80 % intervals: rolling recalibration (evaluate's default), then fixed."""
    for mode, extra in (("rolling", []), ("fixed", ["--calibration", "0"])):
        done, seconds = tsfc(["evaluate", "--bundle", bundle, "--horizon", str(r.horizon), "--stride", str(stride),
                              "--json", "--level", str(LEVEL), *extra], work, env)
        r.intervals[mode] = json.loads(done.stdout)["intervals"]
        r.intervals[f"{mode}_s"] = seconds
    progress(f"{r.name}: intervals, coverage {100 * r.intervals['rolling']['model'][str(LEVEL)]['coverage']:.1f} % "
             f"rolling, {100 * r.intervals['fixed']['model'][str(LEVEL)]['coverage']:.1f} % fixed")


class ClassicalUnavailable(Exception):
    """statsforecast is missing, or the series cannot be read back as tsfc read it."""


def classical(r: Result, csv: Path, report: dict, m: dict, cache: dict, refresh: bool) -> None:
    """AutoETS and AutoTheta on tsfc's series, origins, horizon and season, scored on the bundle's MASE scale."""
    try:
        statsforecast_version = metadata.version("statsforecast")
    except metadata.PackageNotFoundError:
        raise ClassicalUnavailable("statsforecast not installed: pip install -e '.[bench]'") from None
    from tsfc.data import file_sha256, load_csv

    series = load_csv(csv, r.target)
    y = series.values[:, 0].astype(np.float64)
    split, stride = m["split"], report["stride"]
    origins = np.arange(max(split["val_end"], r.window), split["rows"] - r.horizon + 1, stride)
    first = int(origins[0]) if series.index is None else series.index[origins[0]].isoformat()
    if len(y) != split["rows"] or len(origins) != report["origins"] or first != report["first_origin"]:
        raise ClassicalUnavailable(
            f"origins differ from evaluate's: {len(origins)} from {first} over {len(y)} rows, "
            f"against {report['origins']} from {report['first_origin']} over {split['rows']}"
        )
    if report["season"] != r.season:
        raise ClassicalUnavailable(f"evaluate used season {report['season']}, the bundle's MASE scale {r.season}")
    fit_rows = "refit" if len(y) <= SHORT else min(int(origins[0]), FIT_ROWS)
    key = json.dumps([r.file, r.target, r.horizon, stride, first, len(origins), r.season,
                      file_sha256(csv), statsforecast_version, fit_rows])
    if not refresh and key in cache:
        progress(f"{r.name}: AutoETS and AutoTheta from {CACHE.relative_to(ROOT)}")
    else:
        progress(f"{r.name}: AutoETS and AutoTheta on {len(origins)} origins ...")
        cache[key] = classical_errors(y, origins, r.horizon, r.season, refit=len(y) <= SHORT)
        if not any("error" in v for v in cache[key].values()):
            save_cache(cache)
    scale = m["train_stats"]["mase_scale"]["mae"]
    for name, found in cache[key].items():
        if "error" in found:
            r.metrics[name], r.notes[name] = None, found["error"]
            continue
        mase = found["mae"] / scale if scale else None
        r.metrics[name] = {"mase": mase, "smape": found["smape"]}
        if found["note"]:
            r.notes[name] = found["note"]


def load_cache() -> dict:
    """The cached classical errors; --refresh recomputes the series it runs and keeps the others."""
    if not CACHE.exists():
        return {}
    return json.loads(CACHE.read_text(encoding="utf-8"))


def save_cache(cache: dict) -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(cache, indent=1), encoding="utf-8")


# ---------------------------------------------------------------- report


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def render(results: list[Result], args, seconds: float) -> str:
    """The whole markdown report: machine, run, table, footnotes, target checks, legend."""
    lines = ["# tsfc's default options on the development suite", "", *run_lines(seconds), ""]
    if args.fit_args:
        lines += [f"**--fit-args {shlex.join(args.fit_args)!r}: not the defaults; a smoke run, not a result.**", ""]
    footnotes: list[list] = []  # [series, [the columns it marks], text]; one per series and text

    def mark(r: Result, key: str) -> str:
        if key not in r.notes:
            return ""
        found = next((f for f in footnotes if f[0] == r.name and f[2] == r.notes[key]), None)
        if found is None:
            found = [r.name, [], r.notes[key]]
            footnotes.append(found)
        if key not in found[1]:
            found[1].append(key)
        i = footnotes.index(found)
        return SUPERSCRIPTS[i] if i < len(SUPERSCRIPTS) else f"[{i + 1}]"

    def cell(r: Result, method: str, measure: str, digits: int) -> str:
        found = r.metrics.get(method)
        value = None if found is None else found[measure]
        return ("-" if value is None else f"{value:.{digits}f}") + mark(r, method)

    header = ["series", "freq/m", "rows", "H", "orig", "win", "MASE mod/nv/snv/lin/ETS/Th",
              "sMAPE mod/snv/lin/Th", "spread", "fit s", "eval s"]
    body, errors = [], set()
    for r in results:
        if r.error:
            errors.add(len(body))
            body.append([r.name, "", "", str(r.horizon), "", "", r.error, "", "", "", ""])
            continue
        body.append([
            r.name, f"{r.freq or 'none'}/{r.season}", str(r.rows), str(r.horizon), str(r.origins), str(r.window),
            "/".join(cell(r, m, "mase", 2) for m in ("model", "naive", "snaive", "linear", "ETS", "Theta")),
            "/".join(cell(r, m, "smape", 1) for m in ("model", "snaive", "linear", "Theta")),
            (f"{spread(r):.2f}" if spread(r) else "-") + mark(r, "spread"),
            seconds_text(r.fit_s), seconds_text(r.eval_s),
        ])
    lines += table(header, body, errors, footnotes)
    lines += [wrap(f"{' '.join([name, ', '.join(keys)]).strip()}: {text}", f"{i}. ")
              for i, (name, keys, text) in enumerate(footnotes, 1)] + [""] if footnotes else []
    if args.intervals:
        lines += interval_lines(results)
    lines += ["## Targets", "", *map(wrap, target_checks(results, args)), "", *legend(args)]
    return "\n".join(lines)


def interval_lines(results: list[Result]) -> list[str]:
    """The per-series table of 80 % intervals: coverage (rolling, fixed), width and interval score."""
    lines = [f"## Prediction intervals at {LEVEL} % (`tsfc evaluate --level {LEVEL}`)", ""]
    header = ["series", "cover % roll/fixed/snv", "width mod/snv", "int. score mod/snv", "MASE mod/snv", "eval s"]
    body = []
    for r in results:
        found = r.intervals.get("rolling")
        if not found or r.error:
            body.append([r.name, r.notes.get("intervals", r.error or "not run"), "", "", "", ""])
            continue
        model, snaive = found["model"], found.get("seasonal_naive")
        fixed = r.intervals["fixed"]["model"]
        level = str(LEVEL)
        body.append([
            r.name,
            f"{100 * model[level]['coverage']:.1f}/{100 * fixed[level]['coverage']:.1f}/"
            + ("-" if snaive is None else f"{100 * snaive[level]['coverage']:.1f}"),
            f"{model[level]['width']:.3g}/" + ("-" if snaive is None else f"{snaive[level]['width']:.3g}"),
            f"{model[level]['interval_score']:.3g}/" + ("-" if snaive is None else f"{snaive[level]['interval_score']:.3g}"),
            "/".join("-" if mase_of(r, m) is None else f"{mase_of(r, m):.2f}" for m in ("model", "snaive")),
            f"{seconds_text(r.intervals['rolling_s'])}/{seconds_text(r.intervals['fixed_s'])}",
        ])
    lines += table(header, body, set(), [])
    lines += [wrap(text) for text in (
        f"cover %: share of actuals inside the model's {LEVEL} % interval over every origin and lead; roll: "
        "recalibrated at every test origin on the 500 latest origins with known actuals (the default), fixed: "
        "the bundle's fit-time calibration on the validation rows (`--calibration 0`); snv: seasonal naive's "
        "interval, rolling.",
        "width: mean width of the interval (upper - lower), in the series' units; int. score: the interval "
        "(Winkler) score, width plus 2 / 0.2 times the distance of each actual outside; both rolling. snv: "
        "seasonal naive with intervals by the same conformal procedure on its own errors.",
        "eval s: wall seconds of `evaluate --level` rolling/fixed (all origins are backtested for the rolling "
        "calibration, even with a stride).",
    )]
    return lines + [""]


def table(header: list[str], body: list[list[str]], errors: set[int], footnotes: list[list]) -> list[str]:
    """Markdown rows, padded to aligned columns when that fits in WIDTH; error rows (indices into
    `body`, message in cell 6) cut to WIDTH, the whole message then going to the footnotes."""
    rows = [row for i, row in enumerate(body) if i not in errors]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    pad = sum(widths) + len(widths) + 1 <= WIDTH

    def line(row: list[str]) -> str:
        return "|" + "|".join(c.ljust(w) if pad else c for c, w in zip(row, widths)) + "|"

    out = [line(header), "|" + "|".join(("-" * w if pad else "---") for w in widths) + "|"]
    for i, row in enumerate(body):
        text = line(row)
        if i in errors and len(text) > WIDTH:
            footnotes.append([row[0], [], row[6]])
            row[6] = row[6][: max(10, len(row[6]) - (len(text) - WIDTH) - 6)] + f"… [{len(footnotes)}]"
            text = line(row)
        out.append(text)
    return out + [""]


def wrap(text: str, first: str = "- ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=" " * len(first),
                         break_on_hyphens=False)


def spread(r: Result) -> float | None:
    values = [v for v in r.seed_mase.values() if v is not None]
    if len(values) < 2 or len(values) < len(r.seed_mase) or min(values) <= 0:
        return None
    return max(values) / min(values)


def seconds_text(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"


def mase_of(r: Result, method: str) -> float | None:
    found = r.metrics.get(method)
    return None if found is None else found["mase"]


def target_checks(results: list[Result], args) -> list[str]:
    """(a)-(e) with PASS/MISS and the numbers; a series that failed to run misses every check that needs it."""
    out, n = [], len(results)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    misses = []
    for r in results:
        model, snaive = mase_of(r, "model"), mase_of(r, "snaive")
        if r.error or model is None or snaive is None or not model < snaive:
            misses.append(f"{r.name} ({'failed' if r.error else f'{fmt(model)} vs {fmt(snaive)}'})")
    out.append(f"(a) {verdict(not misses)}: model MASE below seasonal naive on {n - len(misses)}/{n} series"
               + (f"; not on {', '.join(misses)}" if misses else ""))

    misses = []
    for r in results:
        model, linear = mase_of(r, "model"), mase_of(r, "linear")
        if r.error or model is None or linear is None or not model <= 1.01 * linear:
            misses.append(f"{r.name} ({'failed' if r.error else f'{fmt(model)} vs {fmt(linear)}'})")
    share = (n - len(misses)) / n
    out.append(f"(b) {verdict(share >= 0.8)}: model MASE <= 1.01 x linear on {n - len(misses)}/{n} series "
               f"({100 * share:.0f} %, target >= 80 %)" + (f"; not on {', '.join(misses)}" if misses else ""))

    ratios = [mase_of(r, "model") / mase_of(r, "Theta") for r in results
              if mase_of(r, "model") is not None and mase_of(r, "Theta")]
    if not args.classical:
        out.append("(c) n/a: --no-classical")
    elif not ratios:
        out.append("(c) MISS: no series with both a model and an AutoTheta MASE")
    else:
        geo = float(np.exp(np.mean(np.log(ratios))))
        out.append(f"(c) {verdict(geo < 0.95 and len(ratios) == n)}: geometric mean of model / AutoTheta MASE "
                   f"{geo:.3f} over {len(ratios)}/{n} series (target < 0.95)")

    spreads = {r.name: spread(r) for r in results if not r.error and r.rows <= SHORT and len(args.seeds) > 1}
    measured = {k: v for k, v in spreads.items() if v is not None}
    if not spreads:
        out.append("(d) n/a: no series of at most 1,000 rows ran with two or more seeds")
    else:
        worst = max(measured, key=measured.get) if measured else None
        over = [f"{k} ({v:.3f})" for k, v in measured.items() if v >= 1.10]
        unmeasured = [k for k, v in spreads.items() if v is None]
        out.append(f"(d) {verdict(not over and not unmeasured)}: seed spread (max/min model MASE over seeds "
                   f"{','.join(map(str, args.seeds))}) < 1.10 on {len(measured) - len(over)}/{len(spreads)} series"
                   + (f"; largest {measured[worst]:.3f} ({worst})" if worst else "")
                   + (f"; over: {', '.join(over)}" if over else "")
                   + (f"; not measured (a seed failed): {', '.join(unmeasured)}" if unmeasured else ""))

    parts, all_ok = [], True
    for (bound, limit), low in zip(FIT_LIMITS, (0, *[b for b, _ in FIT_LIMITS])):
        group = [r for r in results if not r.error and low < r.rows <= bound]
        if not group:
            continue
        slow = max(group, key=lambda r: r.fit_s)
        over = [f"{r.name} {r.fit_s:.0f} s" for r in group if r.fit_s > limit]
        all_ok &= not over
        parts.append(f"<= {limit:.0f} s up to {bound:,} rows: slowest {slow.name} {slow.fit_s:.1f} s "
                     f"(training {slow.train_s:.1f} s)" + (f", over: {', '.join(over)}" if over else ""))
    longer = [f"{r.name} ({r.rows:,} rows) {r.fit_s:.0f} s" for r in results
              if not r.error and r.rows > FIT_LIMITS[-1][0]]
    failed = [r.name for r in results if r.error]
    out.append(f"(e) {verdict(all_ok and not failed)}: fit wall seconds " + "; ".join(parts)
               + (f"; no limit: {', '.join(longer)}" if longer else "")
               + (f"; failed: {', '.join(failed)}" if failed else ""))
    if args.intervals:
        out += interval_checks(results)
    return out


def interval_checks(results: list[Result]) -> list[str]:
    """(f) coverage within 10 points of the level on every series; (g) the model's interval score below
    seasonal naive's wherever its MASE is."""
    level, scored = str(LEVEL), [r for r in results if r.intervals.get("rolling") and not r.error]
    missing = [r.name for r in results if r not in scored]
    cover = {r.name: 100 * r.intervals["rolling"]["model"][level]["coverage"] for r in scored}
    off = [f"{name} ({value:.1f} %)" for name, value in cover.items() if abs(value - LEVEL) > 10]
    worst = max(cover, key=lambda name: abs(cover[name] - LEVEL)) if cover else None
    out = [f"(f) {'PASS' if not off and not missing else 'MISS'}: {LEVEL} % interval coverage (rolling) within 10 "
           f"points of {LEVEL} % on {len(cover) - len(off)}/{len(results)} series"
           + (f"; farthest {worst} ({cover[worst]:.1f} %)" if worst else "")
           + (f"; outside: {', '.join(off)}" if off else "") + (f"; not run: {', '.join(missing)}" if missing else "")]
    due, lost = [], []
    for r in scored:
        model, snaive = mase_of(r, "model"), mase_of(r, "snaive")
        found = r.intervals["rolling"]
        if model is None or snaive is None or found.get("seasonal_naive") is None or not model < snaive:
            continue
        due.append(r.name)
        mine, theirs = found["model"][level]["interval_score"], found["seasonal_naive"][level]["interval_score"]
        if not mine < theirs:
            lost.append(f"{r.name} ({mine:.3g} vs {theirs:.3g})")
    out.append(f"(g) {'PASS' if not lost else 'MISS'}: model interval score below seasonal naive's on "
               f"{len(due) - len(lost)}/{len(due)} series where its MASE is" + (f"; not on {', '.join(lost)}" if lost else ""))
    return out


def legend(args) -> list[str]:
    extra = f" but --fit-args {shlex.join(args.fit_args)}" if args.fit_args else ""
    items = [
        f"Every series: `tsfc fit FILE --target COL --quiet --seed {args.seeds[0]}` with no other option{extra}, "
        f"then `tsfc evaluate --horizon H --stride S`, S = 1 up to {SHORT:,} rows, else S = H.",
        "freq/m: the frequency tsfc inferred (none: no time column found) and the season m of the seasonal "
        "naive, the MASE scale and ETS/Theta; orig: forecast origins; win: the window the defaults chose.",
        "MASE: MAE over every origin and lead / the in-sample seasonal-naive MAE of the training rows (the "
        "bundle's scale, shared by every column). nv, snv, lin: tsfc's naive, seasonal-naive and linear "
        "baselines; ETS, Th: statsforecast's AutoETS and AutoTheta on the same series, origins and horizon, "
        f"refitted at each origin up to {SHORT:,} rows, else fitted once on the rows before the first origin "
        f"(at most the last {FIT_ROWS:,}) and run forward without re-estimating.",
        "sMAPE: in % (0-200), tsfc.metrics.smape.",
        f"spread: max/min model MASE over seeds {','.join(map(str, args.seeds))} (series of at most "
        f"{SHORT:,} rows only).",
        "fit s, eval s: wall seconds of the whole command (start-up included), one command at a time.",
        "aus_production's Tobacco and Bricks columns end early (empty cells) and are left out.",
    ]
    return ["## How to read it", "", *map(wrap, items)]


def run_lines(seconds: float) -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    versions = []
    for package in ("torch", "statsforecast"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")

    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = ", with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    command = f"- Command: python benchmarks/suite.py {shlex.join(sys.argv[1:])}".rstrip()  # not wrapped
    return [*(wrap(text) for text in (
        f"Machine: {len(os.sched_getaffinity(0))} CPUs (nproc), {cpu}, Python {platform.python_version()}, "
        + ", ".join(versions),
        f"Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; run time {seconds / 60:.1f} min",
        f"Commit: {commit} ({git('rev-parse', '--abbrev-ref', 'HEAD') or 'no branch'}{dirty})",
    )), command]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma list of series names: " + ", ".join(s[0] for s in SUITE))
    parser.add_argument("--seeds", default="0,1,2", help="seeds; the first is the table's, the rest only for "
                        f"series of at most {SHORT:,} rows (seed spread)")
    parser.add_argument("--no-classical", dest="classical", action="store_false", help="skip AutoETS and AutoTheta")
    parser.add_argument("--fit-args", default="", help='extra `tsfc fit` options, e.g. "--epochs 1"')
    parser.add_argument("--refresh", action="store_true", help="recompute the cached classical errors")
    parser.add_argument("--output", type=Path, help="also write the markdown here")
    parser.add_argument("--no-intervals", dest="intervals", action="store_false",
                        help=f"skip the {LEVEL} %% prediction intervals")
    parser.add_argument("--intervals-only", action="store_true",
                        help="only the intervals: seed 0, no classical models (the main table is still printed)")
    args = parser.parse_args()
    if args.intervals_only:
        args.intervals, args.classical, args.seeds = True, False, args.seeds.split(",")[0]
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.fit_args = shlex.split(args.fit_args)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or [s[0] for s in SUITE]
    unknown = sorted(set(names) - {s[0] for s in SUITE})
    if unknown:
        parser.error(f"--only: unknown series {', '.join(unknown)}; known: {', '.join(s[0] for s in SUITE)}")
    if not args.seeds:
        parser.error("--seeds needs at least one seed")

    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("TSFC_BUNDLE", None)
    sys.path.insert(0, str(ROOT))  # tsfc.data and tsfc.metrics for the classical references
    cache = load_cache()
    results = [Result(*s) for s in SUITE if s[0] in names]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tsfc-suite-") as tmp:
        for i, r in enumerate(results, 1):
            progress(f"[{i}/{len(results)}] {r.name}: {r.file} {r.target}, H = {r.horizon}")
            try:
                bench(r, args, Path(tmp), env, cache)
            except Exception as exc:  # e.g. a manifest key renamed: one row says so, the run goes on
                r.error = f"benchmark: {type(exc).__name__}: {exc}"
            if r.error:
                progress(f"{r.name}: {r.error}")
    text = render(results, args, time.perf_counter() - started)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
