"""Regenerate the README's `tsfc plot` images in docs/images/ from the bundled sample data.

Fits a small seeded GRU on sample_data/energy_hourly.csv (about a minute on one CPU core),
then runs the same commands a user would:

    python docs/make_images.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
DATA = ROOT / "sample_data" / "energy_hourly.csv"
FIT = ["--target", "OT", "--model", "gru", "--window", "48", "--hidden", "32", "--layers", "1",
       "--epochs", "15", "--patience", "4", "--seed", "0", "--device", "cpu", "--quiet"]
SIZE = ["--width", "10", "--height", "4.8", "--dpi", "100"]


def tsfc(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "tsfc", *args], check=True, env=env)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        bundle = str(Path(tmp) / "energy.tsfc")
        tsfc("fit", str(DATA), *FIT, "--bundle", bundle)
        # the defaults: a week of hourly history and one day ahead, so the date ticks show hours
        tsfc("plot", "--bundle", bundle, "--output", str(IMAGES / "forecast.png"), *SIZE)
        tsfc("plot", "--bundle", bundle, "--horizon", "48", "--history", "240", "--as-of", "2024-03-25 23:00",
             "--output", str(IMAGES / "forecast-as-of.png"), *SIZE)
        tsfc("plot", "--bundle", bundle, "--kind", "backtest", "--horizon", "24", "--lead", "1,24",
             "--output", str(IMAGES / "backtest.png"), "--width", "10", "--height", "6", "--dpi", "100")
        tsfc("plot", "--bundle", bundle, "--horizon", "48", "--history", "240", "--as-of", "2024-03-25 23:00",
             "--level", "50,80,95", "--output", str(IMAGES / "forecast-intervals.png"), *SIZE)
        tsfc("plot", "--bundle", bundle, "--kind", "backtest", "--horizon", "24", "--level", "80,95",
             "--output", str(IMAGES / "backtest-intervals.png"), "--width", "10", "--height", "6", "--dpi", "100")
        tsfc("plot", "--bundle", bundle, "--kind", "loss", "--output", str(IMAGES / "loss.png"),
             "--width", "8", "--height", "4", "--dpi", "100")
    for image in IMAGES.glob("*.png"):
        shrink(image)


def shrink(path: Path) -> None:
    """Re-encode with a 256-colour palette: the same look at a third of the size, kind to the repository."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


if __name__ == "__main__":
    main()
