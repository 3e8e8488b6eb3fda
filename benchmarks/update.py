"""How long `tsfc update` takes on ETTh1 with default options, and what it decides.

Run from the repository root (about 4 minutes on 2 busy cores):

    python benchmarks/update.py

The champion is fitted with `tsfc fit` on ETTh1 minus its last week (168 rows); `tsfc update`
then gets the whole file, first with the default holdout (47 rows, 24 origins), then with the
week held out (`--holdout 191`, 168 origins). Each run starts from a copy of the same champion.
Child processes use one torch thread (OMP_NUM_THREADS=1), as cron would on a small box.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ETTH1 = ROOT.parent / "shared" / "data" / "ETTh1.csv"
WEEK = 168


def run(args: list[str], cwd: Path) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("TSFC_BUNDLE", None)
    cmd = [sys.executable, "-m", "tsfc", *args]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{shlex.join(cmd)} failed ({done.returncode}): {done.stderr}")
    return seconds, done.stdout


def main() -> None:
    if not ETTH1.is_file():
        sys.exit(f"{ETTH1} is missing: this benchmark needs ../shared/data/ETTh1.csv")
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines = ETTH1.read_text().splitlines(keepends=True)
        (work / "week-ago.csv").write_text("".join(lines[:-WEEK]))
        seconds, _ = run(["fit", "week-ago.csv", "--target", "OT", "--quiet", "--bundle", "champion.tsfc"], work)
        print(f"tsfc fit week-ago.csv --target OT ({len(lines) - 1 - WEEK} rows): {seconds:.1f} s")
        for extra in ([], ["--holdout", str(2 * 24 - 1 + WEEK - 24)]):
            shutil.copy(work / "champion.tsfc", work / "model.tsfc")
            args = ["update", "--data", str(ETTH1), "--json", "--quiet", *extra]
            seconds, out = run(args, work)
            report = json.loads(out)
            m = report["metric"]
            print(
                f"tsfc {' '.join(args[:1] + ['--data ETTh1.csv'] + args[3:])}: {seconds:.1f} s; {report['decision']}: "
                f"challenger {m.upper()} {report['challenger'][m]:.4f} vs {report['champion'][m]:.4f} "
                f"on {report['holdout']['origins']} origins"
            )


if __name__ == "__main__":
    main()
