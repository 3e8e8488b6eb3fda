"""`tsfc --help` and every `tsfc <command> --help` must not import the heavy libraries."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import sys
from tsfc.cli import app
names = [c.name or c.callback.__name__ for c in app.registered_commands]
assert names, "no commands registered"
for args in [["--help"]] + [[name, "--help"] for name in names]:
    try:
        app(args, standalone_mode=False, prog_name="tsfc")
    except SystemExit:
        pass
print(sorted(m for m in ("torch", "pandas", "sklearn", "matplotlib") if m in sys.modules))
"""


def test_help_imports_no_heavy_library():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout  # the help really was rendered
    assert done.stdout.strip().splitlines()[-1] == "[]"


PREDICT = """
import sys
from tsfc.pipeline import predict
predict(sys.argv[1], 5)
print(sorted(m for m in ("sklearn", "scipy", "matplotlib", "sympy", "torch._dynamo") if m in sys.modules))
"""


def test_predict_imports_no_library_it_does_not_need(tmp_path):
    """predict's start-up is torch and pandas; a seasonal model rebuilt on the meta device once
    pulled in torch._dynamo and sympy (about a second) through tensor arithmetic."""
    from conftest import tiny_config, write_hourly_csv
    from tsfc.pipeline import fit_csv

    bundle = tmp_path / "model.tsfc"
    fit_csv(write_hourly_csv(tmp_path / "h.csv"), "x", tiny_config(window=24), bundle, threads=1)  # season 24 fits
    done = subprocess.run(
        [sys.executable, "-c", PREDICT, str(bundle)], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
