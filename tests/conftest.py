"""Shared fixtures: tiny generated CSVs, tiny settings, one fitted bundle per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Small enough that a fit takes well under a second on one busy core.
TINY_ARGS = ["--window", "8", "--hidden", "8", "--layers", "1", "--epochs", "2", "--threads", "1", "--quiet"]


def tiny_config(**overrides):
    from tsfc.config import FitConfig

    settings = dict(window=8, hidden=8, layers=1, epochs=2, batch_size=32, device="cpu", seed=0)
    settings.update(overrides)
    return FitConfig(**settings)


def write_hourly_csv(path: Path, rows: int = 400, start: str = "2024-01-01 00:00:00", offset: int = 0) -> Path:
    """Write columns date,x,y: hourly timestamps from `start`, x a sine, y a cosine plus a trend.

    `offset` shifts the phase so a continuation file can follow an earlier one.
    """
    import pandas as pd

    t = np.arange(offset, offset + rows)
    index = pd.date_range(start, periods=rows, freq="h")
    frame = pd.DataFrame(
        {
            "date": index.strftime("%Y-%m-%d %H:%M:%S"),
            "x": 10 + 3 * np.sin(2 * np.pi * t / 24),
            "y": 5 + np.cos(2 * np.pi * t / 12) + 0.01 * t,
        }
    )
    frame.to_csv(path, index=False, float_format="%.6f")
    return path


@pytest.fixture
def hourly_csv(tmp_path) -> Path:
    return write_hourly_csv(tmp_path / "hourly.csv")


@pytest.fixture(scope="session")
def session_csv(tmp_path_factory) -> Path:
    return write_hourly_csv(tmp_path_factory.mktemp("data") / "hourly.csv")


@pytest.fixture(scope="session")
def fitted_bundle(tmp_path_factory, session_csv) -> Path:
    """A bundle fitted once on `session_csv` (target x, feature y). Tests must not modify it."""
    from tsfc.pipeline import fit_csv

    path = tmp_path_factory.mktemp("bundle") / "model.tsfc"
    fit_csv(session_csv, "x", tiny_config(), path, features=["y"], threads=1)
    return path


def run_tsfc(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m tsfc ARGS` as a user would, capturing text output."""
    return subprocess.run(
        [sys.executable, "-m", "tsfc", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
