"""Data-driven defaults: season, look-back window, horizon, output block and training budget.

Every choice is a rule on the data's frequency and length (never on a file's name or values),
returned with the reason `info` shows. An option the user gives always wins.

The rules (the README's "How the defaults are chosen" says the same):
- season m: from the frequency (`baselines.season_for`); `--season` overrides.
- horizon: one season when m >= 8, else the smallest whole number of seasons reaching 8 steps
  (quarterly 8, daily 14, hourly 24, monthly 12, yearly 8). `predict`, `evaluate` and `plot`
  use it when `--horizon` is not given.
- window: k seasons, k = training rows / (6 m) clipped to 1..4, and k m <= 192 rows where
  m allows; without a season, training rows / 6 clipped to 8..96. Short series get one or two
  seasons, so they keep enough training windows; long ones four.
- block: steps per network call = max(horizon, window / 2): a whole horizon in one call, and
  long windows predict long blocks (block 48 of window 96 measured best on ETTh1).
- training budget, counted in optimiser steps: 40 passes over the training windows, at least
  600 and at most 1,500 steps, and at most 12 million window rows (steps x batch x window:
  about two minutes on one core), in rounds of at most 4,096 windows with a validation check
  after each; batch about a tenth of the windows, 16 to 128.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tsfc.config import FitConfig

MAX_WINDOW = 192  # rows: a recurrent pass over more gets slow and gains little (vic_elec, 4 x 48)
MIN_STEPS, MAX_STEPS, PASSES = 600, 1500, 40
# Window rows one fit may push through the network: about two minutes on one CPU core for the
# default GRU (benchmarks/RESULTS.md: ~1,000 windows of 96 rows a second).
MAX_WINDOW_ROWS = 12_000_000
ROUND_WINDOWS = 4096  # windows per validation round on long series
MIN_HORIZON = 8


@dataclass
class Plan:
    """What `fit` will train, each choice with the reason shown by `info`."""

    season: int
    horizon: int
    window: int
    block: int
    batch_size: int
    epochs: int  # validation rounds
    max_windows: int  # windows per round (0: every training window)
    patience: int
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Optimiser steps if no early stop."""
        return self.epochs * math.ceil(self.max_windows / self.batch_size) if self.max_windows else 0

    def to_dict(self) -> dict:
        return {"season": self.season, "horizon": self.horizon, "reasons": dict(self.reasons)}


def default_horizon(season: int) -> int:
    """One season when it has at least 8 steps, else whole seasons up to at least 8 steps."""
    if season >= MIN_HORIZON:
        return season
    return season * math.ceil(MIN_HORIZON / max(season, 1))


def default_window(season: int, train_rows: int) -> tuple[int, str]:
    """The look-back, with its reason (see the module docstring)."""
    if season > 1:
        k = max(1, min(4, train_rows // (6 * season), MAX_WINDOW // season))
        return k * season, f"{k} season{'s' if k > 1 else ''} of {season} ({train_rows} training rows)"
    window = max(8, min(96, train_rows // 6))
    return window, f"no season: a sixth of the {train_rows} training rows, 8 to 96"


def plan(config: FitConfig, rows: int, freq: str | None, lengths=None) -> Plan:
    """Resolve every automatic (0) option of `config` for a series of `rows` rows at `freq`.

    Many series (`lengths`, one per series): the window and block are chosen for the median
    series (`rows` is ignored), the training budget for the windows of all of them together.
    """
    from tsfc.baselines import season_for

    reasons: dict[str, str] = {}
    if config.season:
        season, reasons["season"] = config.season, "--season"
    else:
        season = season_for(freq)
        reasons["season"] = f"frequency {freq}" if freq else "no frequency: no season"
    horizon = default_horizon(season)
    if season <= 1:
        reasons["horizon"] = f"no season: {MIN_HORIZON} steps"
    elif horizon == season:
        reasons["horizon"] = "one season"
    else:
        reasons["horizon"] = f"{horizon // season} seasons, at least {MIN_HORIZON} steps"
    if lengths is not None:
        rows = int(np.median(lengths))
    train_rows = int(rows * config.split[0])
    if config.window:
        window, reasons["window"] = config.window, "--window"
    else:
        window, reasons["window"] = default_window(season, train_rows)
    if config.block:
        block, reasons["block"] = config.block, "--block"
    else:
        block = max(horizon, window // 2)
        reasons["block"] = "the horizon" if block == horizon else "half the window"
    window, block = _fit_rows(config, rows, window, block, reasons)
    if lengths is None:
        windows = max(1, train_rows - window - block + 1)
    else:
        each = (np.asarray(lengths) * config.split[0]).astype(np.int64) - window - block + 1
        windows = max(1, int(np.maximum(each, 0).sum()))
        reasons["window"] += " of the median series"
    batch = config.batch_size or _batch(windows)
    if config.batch_size:
        reasons["batch_size"] = "--batch-size"
    if config.epochs:
        epochs, max_windows = config.epochs, config.max_windows
        reasons["training"] = f"--epochs {epochs}"
    else:
        per_round = min(windows, config.max_windows or ROUND_WINDOWS)
        cap = min(MAX_STEPS, MAX_WINDOW_ROWS // (batch * window))
        steps = max(min(MIN_STEPS, cap), min(cap, PASSES * math.ceil(windows / batch)))
        epochs = max(1, math.ceil(steps / math.ceil(per_round / batch)))
        max_windows = per_round
        reasons["training"] = (
            f"{steps} steps of {batch} windows ({steps * batch / windows:.0f} passes over {windows} windows), "
            f"checked on validation every {per_round} windows"
        )
    patience = config.patience if config.patience >= 0 else max(4, epochs // 5)
    return Plan(season, horizon, window, block, batch, epochs, max_windows, patience, reasons)


def _fit_rows(config: FitConfig, rows: int, window: int, block: int, reasons: dict) -> tuple[int, int]:
    """Shrink an automatic window (to 4 rows at least), then an automatic block, until the rows
    hold a training and a validation window; explicit values never change (`fit` then says the
    data are too short)."""
    from tsfc.windows import rows_needed

    start = (window, block)
    while rows < rows_needed(window, block, config.split):
        if not config.window and window > 4:
            window = max(4, window - max(1, window // 4))
        elif not config.block and block > 1:
            block -= 1
        else:
            break
    if window != start[0]:
        reasons["window"] += f"; shortened from {start[0]} to fit {rows} rows"
    if block != start[1]:
        reasons["block"] += f"; shortened from {start[1]} to fit {rows} rows"
    return window, block


def _batch(windows: int) -> int:
    """About a tenth of the training windows, as a power of two from 16 to 128."""
    return int(min(128, max(16, 2 ** round(math.log2(max(windows, 1) / 10)))))
