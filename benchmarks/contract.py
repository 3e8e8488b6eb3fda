"""What the data contract costs `predict --data`, and how long `tsfc doctor` takes per file.

Run from the repository root (about a minute on 2 busy cores):

    python benchmarks/contract.py

1. In process, on ETTh1 (17,420 rows; bundle with target OT and every other column as a
   feature, so the contract covers 7 columns): `load_like_bundle` without checks (the reader
   alone) against `contract.check_series` on the series it returned, interleaved, medians of 9.
2. `tsfc predict --data ETTh1.csv --horizon 24` as a whole command, with the checks as shipped
   and with `check_series` replaced by a no-op (TSFC_BENCH_NO_CONTRACT=1 in a child that
   patches it), alternated, medians of 5.
3. `tsfc doctor FILE --json` as a whole command for every file of ../shared/data, median of 3.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

# A child that runs the CLI, optionally with the contract's checks replaced by a no-op.
CHILD = """
import os, sys
if os.environ.get("TSFC_BENCH_NO_CONTRACT"):
    import tsfc.contract
    tsfc.contract.check_series = lambda manifest, series, checks=None: []
from tsfc.cli import main
sys.argv = ["tsfc", *sys.argv[1:]]
main()
"""


def env() -> dict:
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    e.pop("TSFC_BUNDLE", None)
    return e


def timed(args: list[str], extra: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env={**env(), **(extra or {})},
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tsfc {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return time.perf_counter() - start


def main() -> None:
    etth1 = DATA / "ETTh1.csv"
    if not etth1.exists():
        sys.exit(f"{etth1} is absent")
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    work = Path(tempfile.mkdtemp(prefix="tsfc-contract-"))
    bundle = work / "ot.tsfc"
    fit = ["fit", str(etth1), "--target", "OT", "--features", "all", "--bundle", str(bundle), "--epochs", "1",
           "--hidden", "8", "--layers", "1", "--window", "24", "--threads", "1", "--quiet"]
    timed(fit)

    from tsfc.contract import check_series
    from tsfc.pipeline import describe, load_like_bundle

    manifest = describe(bundle)
    reads, checks = [], []
    for _ in range(9):
        start = time.perf_counter()
        series = load_like_bundle(manifest, etth1, None)  # reads and checks
        reads.append(time.perf_counter() - start)
        start = time.perf_counter()
        notes = check_series(manifest, series)
        checks.append(time.perf_counter() - start)
    read, check = statistics.median(reads), statistics.median(checks)
    print("\n## 1. In process, ETTh1, 7 columns (medians of 9)")
    print("| step | seconds |\n| --- | --- |")
    print(f"| `load_like_bundle` (read + checks) | {read:.4f} |")
    print(f"| `check_series` alone | {check:.5f} ({check / read:.1%} of the read; notes: {notes}) |")

    predict = ["predict", "--bundle", str(bundle), "--data", str(etth1), "--horizon", "24"]
    with_checks, without = [], []
    for _ in range(5):
        with_checks.append(timed(predict))
        without.append(timed(predict, {"TSFC_BENCH_NO_CONTRACT": "1"}))
    a, b = statistics.median(with_checks), statistics.median(without)
    print("\n## 2. `tsfc predict --data ETTh1.csv --horizon 24`, whole command (medians of 5, alternated)")
    print("| variant | seconds |\n| --- | --- |")
    print(f"| contract checked | {a:.3f} |\n| checks replaced by a no-op | {b:.3f} |")
    print(f"\nratio: {a / b:.3f}")

    print("\n## 3. `tsfc doctor FILE --json`, whole command (median of 3)")
    print("| file | rows | seconds |\n| --- | --- | --- |")
    for path in sorted(DATA.glob("*.csv")):
        runs = [timed(["doctor", str(path), "--json"]) for _ in range(3)]
        rows = sum(1 for _ in open(path, encoding="utf-8")) - 1
        print(f"| {path.name} | {rows} | {statistics.median(runs):.2f} |")


if __name__ == "__main__":
    main()
