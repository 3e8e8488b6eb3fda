"""Speed and memory figures for tsfc (issue 5), each printed with the command that produced it.

Run from the repository root:

    python benchmarks/speed.py            # full run, under 15 minutes on 2 cores
    python benchmarks/speed.py --quick    # smoke run, about 2 minutes

Every figure is a ratio against a baseline measured in the same run, interleaved and
repeated (medians), so a busy machine moves both sides alike. Child processes run with
one torch thread (OMP_NUM_THREADS=1, --threads 1) except in the threads sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ETTH1 = ROOT.parent / "shared" / "data" / "ETTh1.csv"
FORBIDDEN = ("torch", "pandas", "sklearn", "matplotlib")


def env(threads: int = 1) -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    e.pop("TSFC_BUNDLE", None)
    return e


def show(cmd: list[str]) -> str:
    return " ".join(shlex.quote(c) for c in cmd).replace(PY, "python")


def run(cmd: list[str], threads: int = 1, check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    """Run `cmd`; return (wall seconds, the completed process)."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env(threads), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if check and done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {show(cmd)}\n{done.stderr[-2000:]}")
    return wall, done


def peak_rss(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in bytes) of `cmd`, read from its own rusage with os.wait4."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env(1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({os.waitstatus_to_exitcode(status)}): {show(cmd)}")
    return wall, usage.ru_maxrss * 1024


def interleaved(cmds: dict[str, list[str]], repeats: int) -> dict[str, float]:
    """Median wall seconds of each command, run round-robin `repeats` times (after one warm-up round)."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for r in range(repeats + 1):
        for name, cmd in cmds.items():
            wall = run(cmd)[0]
            if r:
                times[name].append(wall)
    return {name: statistics.median(ts) for name, ts in times.items()}


def header(title: str) -> None:
    print(f"\n## {title}", flush=True)


def figure(label: str, value: str, cmd: str | None = None) -> None:
    print(f"- {label}: {value}" + (f"\n    `{cmd}`" if cmd else ""), flush=True)


def machine() -> None:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    import torch

    print(f"# tsfc speed ({time.strftime('%Y-%m-%d %H:%M %Z')})")
    print(f"machine: nproc {os.cpu_count()}, {cpu}, python {platform.python_version()}, torch {torch.__version__}, "
          f"load average {open('/proc/loadavg').read().split()[:3]}")


# ----------------------------------------------------------------------------- 1. start-up

HELP_CHECK = (
    "import sys\n"
    "from tsfc.cli import app\n"
    "import typer.main\n"
    "names = [c.name or c.callback.__name__ for c in app.registered_commands]\n"
    "for args in [['--help']] + [[n, '--help'] for n in names]:\n"
    "    try:\n"
    "        app(args, standalone_mode=False, prog_name='tsfc')\n"
    "    except SystemExit:\n"
    "        pass\n"
    f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))\n"
)


def startup(repeats: int) -> None:
    header("1. Start-up")
    cmd = [PY, "-c", HELP_CHECK]
    _, done = run(cmd)
    figure("heavy modules imported by --help and every command's --help", done.stdout.strip().splitlines()[-1],
           "python -c '<tests/test_startup.py check>'")
    script = Path(PY).parent / "tsfc"
    cmds = {"python -c pass": [PY, "-c", "pass"], "python -m tsfc --help": [PY, "-m", "tsfc", "--help"],
            "python -m tsfc predict --help": [PY, "-m", "tsfc", "predict", "--help"]}
    if script.exists():
        cmds["tsfc --help (console script)"] = [str(script), "--help"]
    med = interleaved(cmds, repeats)
    base = med["python -c pass"]
    for name, seconds in med.items():
        figure(name, f"{seconds:.3f} s median of {repeats} ({seconds / base:.1f} x python -c pass)", name)


# ----------------------------------------------------------------------------- 2. predict latency


def fit_cmd(bundle: Path, *extra: str, csv: Path = ETTH1) -> list[str]:
    return [PY, "-m", "tsfc", "fit", str(csv), "--target", "OT", "--threads", "1", "-q", "--bundle", str(bundle), *extra]


def predict_latency(work: Path, repeats: int, quick: bool) -> Path:
    header("2. Predict latency")
    bundle = work / "etth1.tsfc"
    cmd = fit_cmd(bundle, "--epochs", "1", *(["--max-windows", "500"] if quick else []))
    wall = run(cmd)[0]
    figure("bundle fitted", f"{wall:.1f} s", show(cmd))
    predict = [PY, "-m", "tsfc", "predict", "--horizon", "12", "--bundle", str(bundle)]
    base = [PY, "-c", "import torch, pandas"]
    cmds = {"predict": predict, "import": base}
    script = Path(PY).parent / "tsfc"
    if script.exists():
        cmds["script"] = [str(script), *predict[3:]]
    med = interleaved(cmds, repeats)
    figure("baseline", f"{med['import']:.3f} s median of {repeats}", show(base))
    figure("predict", f"{med['predict']:.3f} s = {med['predict'] / med['import']:.2f} x baseline (target <= 1.3)",
           show(predict))
    if "script" in med:
        figure("predict (console script)", f"{med['script']:.3f} s = {med['script'] / med['import']:.2f} x baseline",
               show(cmds["script"]))
    _, done = run([PY, "-c", "import sys, runpy; sys.argv = ['tsfc', 'predict', '-H', '12', '-b', %r]\n"
                      "try: runpy.run_module('tsfc', run_name='__main__')\nexcept SystemExit: pass\n"
                      "print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib', 'torch._dynamo', 'sympy') "
                      "if m in sys.modules), file=sys.stderr)" % str(bundle)])
    figure("predict imports of sklearn, scipy, matplotlib, torch._dynamo, sympy", done.stderr.strip().splitlines()[-1])
    return bundle


# ----------------------------------------------------------------------------- 2b. intervals


def interval_cost(bundle: Path, repeats: int) -> None:
    """What `--level` adds to predict: from the bundle's stored calibration, and recalibrated on --data."""
    header("2b. Prediction intervals in predict (issue 13)")
    predict = [PY, "-m", "tsfc", "predict", "--horizon", "24", "--bundle", str(bundle), "--format", "csv"]
    data = ["--data", str(ETTH1)]
    level = ["--level", "80,95"]
    cmds = {"plain": predict, "level": [*predict, *level], "data": [*predict, *data],
            "data+level": [*predict, *data, *level], "data+level fixed": [*predict, *data, *level, "--calibration", "0"]}
    med = interleaved(cmds, repeats)
    figure("predict --horizon 24", f"{med['plain']:.3f} s median of {repeats}", show(predict))
    figure("  --level 80,95 (the bundle's calibration)",
           f"{med['level']:.3f} s = {100 * (med['level'] / med['plain'] - 1):+.1f} % (target < +10 %)", show(cmds["level"]))
    figure("predict --horizon 24 --data ETTh1.csv", f"{med['data']:.3f} s", show(cmds["data"]))
    figure("  --level 80,95, recalibrated on the 500 latest origins (the default with --data)",
           f"{med['data+level']:.3f} s = {100 * (med['data+level'] / med['data'] - 1):+.1f} %", show(cmds["data+level"]))
    figure("  --level 80,95 --calibration 0 (the bundle's calibration)",
           f"{med['data+level fixed']:.3f} s = {100 * (med['data+level fixed'] / med['data'] - 1):+.1f} %",
           show(cmds["data+level fixed"]))
    _, done = run([PY, "-c", IN_PROCESS, str(bundle), str(ETTH1), str(4 * repeats)])
    med = json.loads(done.stdout)
    for name, extra in (("bundle's calibration", "level"), ("recalibrated on --data, 500 origins", "data+level")):
        base = "plain" if extra == "level" else "data"
        figure(f"in one process, pipeline.predict {extra} vs {base} ({name})",
               f"{med[extra] * 1000:.1f} ms vs {med[base] * 1000:.1f} ms = {100 * (med[extra] / med[base] - 1):+.1f} % "
               f"(medians of {4 * repeats}, start-up excluded)")


IN_PROCESS = r"""
import json, statistics, sys, time
from tsfc.pipeline import predict
bundle, csv, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
calls = {"plain": {}, "level": {"levels": [80, 95]}, "data": {"data": csv},
         "data+level": {"data": csv, "levels": [80, 95]}}
times = {name: [] for name in calls}
for r in range(repeats + 1):
    for name, kwargs in calls.items():
        started = time.perf_counter()
        predict(bundle, 24, **kwargs)
        if r:
            times[name].append(time.perf_counter() - started)
print(json.dumps({name: statistics.median(t) for name, t in times.items()}))
"""


# ----------------------------------------------------------------------------- 3. training throughput

PAIRED = r'''
import json, sys, time
import torch
from torch import nn
torch.set_num_threads(1)
from tsfc.config import FitConfig
from tsfc.data import load_csv
from tsfc.models import Forecaster, NetConfig
from tsfc.scaling import MinMaxScaling
from tsfc.train import train
from tsfc.windows import Split, sample_starts, sliding

csv, features, rounds, max_windows, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
values = load_csv(csv, "OT", features=None if features == "none" else "all").values
split = Split.from_fractions(len(values), (0.7, 0.1, 0.2))
series = torch.from_numpy(MinMaxScaling.fit(values[: split.train_end]).transform(values))
defaults = FitConfig()  # what `tsfc fit` trains with no options (block 0 = half the window)
window, block, batch = defaults.window, defaults.window // 2, defaults.batch_size
lr, decay = defaults.lr, defaults.weight_decay
train_starts, val_starts = sample_starts(split, window, block)
cfg = NetConfig(defaults.model, values.shape[1], window, block, hidden=defaults.hidden, layers=defaults.layers)
torch.manual_seed(0)
tsfc_net, bare_net = Forecaster(cfg), Forecaster(cfg)

# The bare loop: the same windows, model, batch size, loss, clipping and Adam step; nothing else.
samples = series.unfold(0, window + block, 1).transpose(1, 2)  # [n, W + K, C]
starts = torch.tensor(train_starts)
opt = torch.optim.Adam(bare_net.parameters(), lr=lr, weight_decay=decay)
loss_fn = nn.MSELoss()

def bare_epoch():
    bare_net.train()
    order = starts[torch.randperm(len(starts))]
    if max_windows:
        order = order[:max_windows]
    for i in range(0, len(order), batch):
        b = samples[order[i:i + batch]]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(bare_net(b[:, :window]), b[:, window:])
        loss.backward()
        nn.utils.clip_grad_norm_(bare_net.parameters(), 1.0)
        opt.step()
    return len(order)

def tsfc_epoch(seed):
    # tsfc's loop as fit runs it: shuffling, stop polling, validation, best-state copies, callback.
    train(tsfc_net, series, train_starts, val_starts, window=window, block=block, epochs=1, batch_size=batch,
          lr=lr, weight_decay=decay, patience=5, seed=seed, max_windows=max_windows, on_epoch=lambda stats: None,
          should_stop=lambda: None)

out = {"bare": [], "tsfc": [], "bare_cpu": [], "tsfc_cpu": []}
for r in range(rounds):
    # "paired": both loops in this process, alternating; "bare": only the bare loop, as its own process
    for name in ("bare",) if mode == "bare" else (("bare", "tsfc") if r % 2 == 0 else ("tsfc", "bare")):
        w0, c0 = time.perf_counter(), time.process_time()
        if name == "bare":
            out["windows"] = bare_epoch()
        else:
            tsfc_epoch(r)
        out[name].append(time.perf_counter() - w0)
        out[name + "_cpu"].append(time.process_time() - c0)
print(json.dumps(out))
'''


def history(bundle: Path) -> list[dict]:
    manifest = json.loads(run([PY, "-m", "tsfc", "info", "--json", "--bundle", str(bundle)])[1].stdout)
    return manifest["training"]["history"]


def training(work: Path, quick: bool) -> None:
    header("3. Training throughput (ETTh1, defaults: gru, window 96, block 48, hidden 64, 2 layers, batch 128)")
    if quick:
        print("(quick: epochs of 500 windows, so validation over 1742 windows weighs about 20x more than at the "
              "defaults; the ratios are not the figures)")
    epochs, rounds = 2, (2 if quick else 3)
    limit = ["--max-windows", "500"] if quick else []
    med = statistics.median
    for features in ("none", "all"):
        feat = [] if features == "none" else ["--features", "all"]
        script = [PY, "-c", PAIRED, str(ETTH1), features]
        r = json.loads(run([*script, str(rounds), limit[1] if limit else "0", "paired"])[1].stdout)
        n, b, t = r["windows"], med(r["bare"]), med(r["tsfc"])
        figure(f"features {features}: bare PyTorch loop", f"{b:.2f} s/epoch ({n / b:.0f} windows/s, "
               f"CPU {med(r['bare_cpu']):.2f} s), median of {rounds} epochs",
               "python -c '<PAIRED in benchmarks/speed.py>' (one process, epochs alternating)")
        figure(f"features {features}: tsfc train() incl. validation, same process",
               f"{t:.2f} s/epoch ({n / t:.0f} windows/s, CPU {med(r['tsfc_cpu']):.2f} s) = {t / b:.3f} x bare wall, "
               f"{med(r['tsfc_cpu']) / med(r['bare_cpu']):.3f} x bare CPU (target <= 1.15)")
        # The whole command against the bare loop as a process of its own (start-up and CSV reading
        # included on both sides), alternating so that drifts in machine speed hit both alike.
        bundle = work / f"train-{features}.tsfc"
        fit = fit_cmd(bundle, "--epochs", str(epochs), "--patience", "0", *feat, *limit)
        bare = [*script, str(epochs), limit[1] if limit else "0", "bare"]
        walls: dict[str, list[float]] = {"fit": [], "bare": []}
        epoch_s: dict[str, list[float]] = {"fit": [], "bare": []}
        for i in range(2):
            for name in ("fit", "bare") if i % 2 == 0 else ("bare", "fit"):
                wall, done = run(fit if name == "fit" else bare)
                walls[name].append(wall)
                epoch_s[name] += [h["seconds"] for h in history(bundle)] if name == "fit" else json.loads(done.stdout)["bare"]
        e, be = med(epoch_s["fit"]), med(epoch_s["bare"])
        figure(f"features {features}: tsfc fit per epoch incl. validation (training.history[*].seconds) "
               "against the bare loop in its own process", f"{e:.2f} vs {be:.2f} s/epoch = {e / be:.3f} x "
               f"(target <= 1.15), medians of {len(epoch_s['fit'])} epochs, 2 processes each, alternating", show(fit))
        fw, bw = med(walls["fit"]), med(walls["bare"])
        figure(f"features {features}: whole processes, {epochs} epochs", f"tsfc fit {fw:.1f} s vs bare loop "
               f"{bw:.1f} s = {fw / bw:.3f} x (both: start-up, imports, CSV reading; fit also validation, "
               "early stopping, saving the bundle)")


SWEEP = r'''
import json, sys
from tsfc.config import FitConfig
from tsfc.pipeline import fit_csv

csv, bundle, n, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
for run in runs:
    # A small validation split keeps the epoch time about training, not validation.
    config = FitConfig(epochs=1, patience=0, max_windows=n, split=(0.88, 0.02, 0.1), **run)
    seconds = []
    fit_csv(csv, "OT", config, bundle, on_epoch=lambda stats: seconds.append(stats.seconds))
    print(json.dumps({**run, "windows_per_s": n / seconds[0], "seconds": seconds[0]}), flush=True)
'''


def sweeps(work: Path, quick: bool) -> None:
    n = 256 if quick else 4096
    header(f"3b. Windows per second by batch size and threads (tsfc.pipeline.fit_csv, 1 epoch of {n} sampled windows)")
    runs = [{"batch_size": bs, "threads": 1} for bs in (32, 64, 128, 256, 512)]
    for hidden in (64,) if quick else (64, 256):
        runs += [{"hidden": hidden, "threads": t} for t in (1, 2, 1, 2)]  # interleaved, twice
    cmd = [PY, "-c", SWEEP, str(ETTH1), str(work / "sweep.tsfc"), str(n), json.dumps(runs)]
    out = [json.loads(line) for line in run(cmd, threads=2)[1].stdout.splitlines()]
    print(f"    `python -c '<SWEEP in benchmarks/speed.py>' (the same as tsfc fit --epochs 1 --max-windows {n} "
          "--split 0.88,0.02,0.1 --batch-size B --threads T --hidden H)`")
    for r in out[:5]:
        figure(f"batch {r['batch_size']}", f"{r['windows_per_s']:.0f} windows/s ({r['seconds']:.2f} s/epoch)")
    for hidden in sorted({r["hidden"] for r in out[5:]}):
        rate = {t: statistics.median(r["windows_per_s"] for r in out[5:] if r["hidden"] == hidden and r["threads"] == t)
                for t in (1, 2)}
        figure(f"hidden {hidden}, batch 128: threads 1 vs 2",
               f"{rate[1]:.0f} vs {rate[2]:.0f} windows/s (2 threads = {rate[2] / rate[1]:.2f} x)")


# ----------------------------------------------------------------------------- 4. backtest

BACKTEST = r'''
import json, sys, time
import torch
torch.set_num_threads(1)
from tsfc.data import load_csv
from tsfc.forecast import backtest, roll
from tsfc.pipeline import load_bundle
from tsfc.windows import Split

bundle, csv, horizon, sample = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
loaded = load_bundle(bundle)
values = load_csv(csv, "OT").values
series = torch.from_numpy(loaded.scaler.transform(values))
split = Split.from_fractions(len(values), (0.7, 0.1, 0.2))
origins = torch.arange(split.val_end, len(values) - horizon + 1)
w = loaded.window
from tsfc.train import usable_cores
workers = usable_cores()
backtest(loaded.net, series, origins[:512], w, horizon)  # warm-up: first-call allocations and lazy init
picked = origins[torch.linspace(0, len(origins) - 1, sample).long()].tolist()
roll(loaded.net, series[:w][None], horizon)  # warm-up of the single-window path
results, times, single = {}, {1: [], workers: []}, 0.0
for r in range(3):  # alternate one thread, the pool and a third of the single origins; medians
    for k in (1, workers) if r % 2 == 0 else (workers, 1):
        t0 = time.perf_counter()
        results[k] = backtest(loaded.net, series, origins, w, horizon, workers=k)
        times[k].append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for o in picked[r::3]:
        one = roll(loaded.net, series[o - w:o][None], horizon)
    single += time.perf_counter() - t0
batched, pooled = results[1], results[workers]
one = roll(loaded.net, series[picked[-1] - w:picked[-1]][None], horizon)
same = torch.allclose(one[0], batched[-1], atol=1e-5) and torch.equal(batched, pooled)
median = lambda xs: sorted(xs)[len(xs) // 2]
print(json.dumps({"origins": len(origins), "batched": median(times[1]), "pooled": median(times[workers]), "workers": workers,
                  "per_origin": single / sample, "sample": sample, "same": same}))
'''


def backtest(bundle: Path, quick: bool) -> None:
    header("4. Backtest throughput (stride 1, H=96, ETTh1 test split)")
    sample = "30" if quick else "400"
    cmd = [PY, "-c", BACKTEST, str(bundle), str(ETTH1), "96", sample]
    r = json.loads(run(cmd)[1].stdout)
    loop = r["per_origin"] * r["origins"]
    figure("batched forecast.backtest, 1 thread", f"{r['batched']:.2f} s for {r['origins']} forecasts "
           f"({r['origins'] / r['batched']:.0f} forecasts/s)", "python -c '<BACKTEST in benchmarks/speed.py>'")
    figure(f"batched forecast.backtest, {r['workers']} worker threads (what evaluate does)",
           f"{r['pooled']:.2f} s ({r['origins'] / r['pooled']:.0f} forecasts/s, {r['batched'] / r['pooled']:.2f} x 1 thread)")
    figure("origin by origin (forecast.roll per origin, 1 thread)", f"{r['per_origin'] * 1000:.1f} ms each, timed on "
           f"{r['sample']} origins spread over the split: {loop:.1f} s for all {r['origins']}")
    figure("speed-up over origin by origin", f"{loop / r['batched']:.1f} x from batching alone (1 thread each), "
           f"{loop / r['pooled']:.1f} x as evaluate runs (target >= 20); forecasts identical: {r['same']}")
    probe = run([PY, "-m", "tsfc", "evaluate", "--help"], check=False)[1]
    if probe.returncode == 0:
        cmd = [PY, "-m", "tsfc", "evaluate", "--horizon", "96", "--bundle", str(bundle)]
        wall, done = run(cmd, check=False)
        figure("tsfc evaluate command", f"{wall:.2f} s whole process (exit {done.returncode})", show(cmd))
    else:
        figure("tsfc evaluate command", "not in this tree; timed through tsfc.forecast.backtest above")


# ----------------------------------------------------------------------------- 5. memory


def make_csv(path: Path, rows: int) -> None:
    """Hourly timestamps and 8 numeric columns (random walks), written in chunks."""
    if path.exists():
        return
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    level = np.zeros(8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as handle:
        chunk = 250_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            vals = level + np.cumsum(rng.normal(size=(n, 8)), axis=0)
            level = vals[-1]
            frame = pd.DataFrame(vals, columns=[f"x{i}" for i in range(7)] + ["OT"])
            frame.insert(0, "date", pd.date_range(pd.Timestamp("1900-01-01") + pd.Timedelta(hours=start), periods=n, freq="h"))
            frame.to_csv(handle, header=start == 0, index=False, float_format="%.4f")
    tmp.rename(path)


def memory(work: Path, quick: bool) -> None:
    header("5. Memory (fit --features all on generated hourly CSVs, 8 numeric columns)")
    sizes = (20_000, 100_000) if quick else (100_000, 1_000_000, 3_000_000)
    extra = ["--epochs", "1", "--features", "all", "--hidden", "16", "--layers", "1", "--window", "24",
             "--max-windows", "20000", "--patience", "0"]
    for rows in sizes:
        csv = work / f"gen-{rows}.csv"
        make_csv(csv, rows)
        cmd = fit_cmd(work / "mem.tsfc", *extra, csv=csv)
        wall, rss = peak_rss(cmd)
        size = csv.stat().st_size
        figure(f"{rows:,} rows ({size / 2**20:.0f} MiB CSV)", f"peak RSS {rss / 2**20:.0f} MiB "
               f"({rss / size:.2f} x file size), {wall:.0f} s (target <= 1536 MiB at 1M rows)", show(cmd))


# ----------------------------------------------------------------------------- 6. GPU


def gpu() -> None:
    header("6. GPU")
    import torch

    if not torch.cuda.is_available():
        figure("GPU", "GPU figures pending: no GPU machine in this session")
        return
    bundle = Path(tempfile.mkdtemp()) / "gpu.tsfc"
    cmd = [PY, "-m", "tsfc", "fit", str(ETTH1), "--target", "OT", "--epochs", "2", "--patience", "0",
           "--device", "cuda", "-q", "--bundle", str(bundle)]
    run(cmd)
    figure("fit on cuda", f"{statistics.median(h['seconds'] for h in history(bundle)):.2f} s/epoch", show(cmd))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repeats, smaller inputs")
    parser.add_argument("--work", type=Path, help="directory for bundles and generated CSVs (default: a temp dir)")
    parser.add_argument("--only", help="comma list of sections to run: startup,predict,intervals,train,sweep,backtest,memory,gpu")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tsfc-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    wanted = lambda name: only is None or name in only  # noqa: E731
    repeats = 2 if args.quick else 7
    started = time.perf_counter()
    machine()
    if wanted("startup"):
        startup(repeats)
    bundle = work / "etth1.tsfc"
    if wanted("predict") or ((wanted("backtest") or wanted("intervals")) and not bundle.exists()):
        bundle = predict_latency(work, repeats, args.quick)
    if wanted("intervals"):
        interval_cost(bundle, repeats)
    if wanted("train"):
        training(work, args.quick)
    if wanted("sweep"):
        sweeps(work, args.quick)
    if wanted("backtest"):
        backtest(bundle, args.quick)
    if wanted("memory"):
        memory(work, args.quick)
    if wanted("gpu"):
        gpu()
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s; work dir {work}")


if __name__ == "__main__":
    main()
