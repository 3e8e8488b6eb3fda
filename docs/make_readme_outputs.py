"""Rewrite the README's example outputs with what the commands really print.

Each example output in README.md sits between marker comments:

    <!-- output: evaluate -->
    ```console
    $ tsfc evaluate
    ...
    ```
    <!-- /output -->

This script copies the sample data into a scratch directory, /tmp/tsfc-demo (a fixed path, so
the paths and table widths printed are the same on every run), runs the commands of SESSIONS
there as a user would, on an 80-column terminal (a pseudo-terminal, so commands that detect a
terminal draw tables, while commands piped into `head` or `cat` print plain text), and replaces
each marked block with the commands and their output. Fits are seeded (tsfc's default seed 0)
and run on the CPU, so the numbers repeat; times and creation dates do not. About a minute:

    python docs/make_readme_outputs.py                   # rewrites README.md
    python docs/make_readme_outputs.py --readme copy.md  # or another file
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/tsfc-demo")
COLUMNS, LINES = 80, 50

# A week of nightly forecasts replayed on the sample data, with a retrain halfway (as the README's score section).
SCORE_REPLAY = """head -n 1801 sample_data/energy_hourly.csv > latest.csv
tsfc fit latest.csv --target OT --bundle nightly.tsfc --quiet
for rows in 1801 1825 1849 1873 1897 1921 1945; do
  head -n $rows sample_data/energy_hourly.csv > latest.csv
  if [ $rows = 1873 ]; then tsfc fit latest.csv --target OT --bundle nightly.tsfc --quiet; fi
  tsfc predict --bundle nightly.tsfc --data latest.csv --horizon 24 --output next.csv --ledger forecasts.db
done"""

# marker name -> (setup commands, run silently; commands shown with their output), in README order.
# One directory for all of them, so later sessions see the bundles earlier ones wrote.
SESSIONS: dict[str, tuple[list[str], list[str]]] = {
    "doctor": ([], ["tsfc doctor sample_data/energy_hourly.csv --target OT"]),
    "fit": ([], ["tsfc fit sample_data/energy_hourly.csv --target OT 2>&1 | tail -2"]),
    "predict": ([], ["tsfc predict --horizon 12"]),
    "predict-piped": ([], ["tsfc predict --horizon 500 | head"]),
    "contract": ([], ["TSFC_NOW=2024-04-02T06:00 tsfc predict --data sample_data/energy_hourly.csv --max-age 1d; "
                      "echo \"exit $?\""]),
    "predict-monthly": (
        [], ["tsfc fit sample_data/airline_monthly.csv --target passengers --bundle airline.tsfc --quiet",
             "tsfc predict --bundle airline.tsfc --horizon 6"],
    ),
    "info": ([], ["tsfc info"]),
    "evaluate": (["tsfc fit sample_data/energy_hourly.csv --target OT --epochs 3 --quiet"], ["tsfc evaluate"]),
    "evaluate-piped": ([], ["tsfc evaluate | cat"]),
    "score": ([SCORE_REPLAY], ["tsfc score --ledger forecasts.db --data sample_data/energy_hourly.csv"]),
    "predict-intervals": ([], ["tsfc predict --horizon 6 --level 80,95"]),
    "evaluate-intervals": ([], ["tsfc evaluate --level 80,95 | tail -11"]),
}
BLOCK = re.compile(r"(<!-- output: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /output -->)", re.DOTALL)
ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help="file to rewrite (default README.md)")
    readme = parser.parse_args().readme
    text = readme.read_text(encoding="utf-8")
    check_markers(text)
    fresh_workdir()
    try:
        outputs = {name: run_session(*steps) for name, steps in SESSIONS.items()}
    finally:
        shutil.rmtree(WORK)
    readme.write_text(rewrite(text, outputs), encoding="utf-8")
    print(f"rewrote {len(outputs)} example outputs in {readme}")


def check_markers(text: str) -> None:
    """Every marked block has a session and every session a block, so neither goes stale unseen."""
    found = [m["name"] for m in BLOCK.finditer(text)]
    missing, unknown = set(SESSIONS) - set(found), set(found) - set(SESSIONS)
    if missing or unknown or len(found) != len(set(found)):
        sys.exit(f"README markers do not match SESSIONS: missing {sorted(missing)}, unknown {sorted(unknown)}, "
                 f"found {found}")


def rewrite(text: str, outputs: dict[str, str]) -> str:
    """`text` with the body of each `<!-- output: NAME -->` block replaced by `outputs[NAME]` in a console fence."""
    return BLOCK.sub(lambda m: f"{m[1]}```console\n{outputs[m['name']]}\n```\n{m[4]}", text)


def fresh_workdir() -> None:
    """An empty /tmp/tsfc-demo holding the sample data and a `tsfc` command that runs this checkout."""
    marker = WORK / ".made-by-make-readme-outputs"
    if WORK.exists():
        if not marker.exists():
            sys.exit(f"{WORK} exists and was not made by this script; move it away first")
        shutil.rmtree(WORK)  # left by an interrupted run
    (WORK / "bin").mkdir(parents=True)
    marker.touch()
    shutil.copytree(ROOT / "sample_data", WORK / "sample_data", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shim = WORK / "bin" / "tsfc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tsfc "$@"\n')
    shim.chmod(0o755)


def run_session(setup: list[str], shown: list[str]) -> str:
    """Run `setup` then `shown` in the work directory; return the shown commands and what they printed."""
    for command in setup:
        run(command)
    return "\n".join(f"$ {command}\n{run(command)}".rstrip() for command in shown)


def run(command: str) -> str:
    """Run `command` with bash on an 80-column pseudo-terminal; return the screen text without escape codes."""
    env = {
        **os.environ,
        "PATH": f"{WORK / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": str(COLUMNS), "LINES": str(LINES), "TERM": "xterm", "NO_COLOR": "1",
        "CUDA_VISIBLE_DEVICES": "",  # the CPU, whatever the machine has, so the numbers repeat
    }
    for name in ("TSFC_BUNDLE", "FORCE_COLOR"):
        env.pop(name, None)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen(["bash", "-c", command], cwd=WORK, env=env, stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    if process.wait() != 0:
        sys.exit(f"`{command}` exited {process.returncode}:\n{b''.join(chunks).decode(errors='replace')}")
    screen = ESCAPES.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))
    return "\n".join(line.rstrip() for line in screen.splitlines()).strip("\n")


if __name__ == "__main__":
    main()
