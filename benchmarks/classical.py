"""Classical references for benchmarks/suite.py: statsforecast's AutoETS and AutoTheta.

Both forecast a series from given origins: refitted at every origin on short series; on long ones
fitted once before the first origin and then run forward, with the fitted parameters, over each
origin's history (statsforecast's `forward`).
"""

from __future__ import annotations

import sys
import time

import numpy as np

# Long series: fitted on at most this many rows before the first origin (all of ETTh1/ETTh2's 14,459).
# AutoTheta's seasonality test computes the autocorrelation by direct correlation, whose time grows
# with the square of the rows, in its fit and in every `forward`: 1-7 s per origin on ETTh1's
# 15,000-17,000 rows on the 2-core box, 1-9 minutes for its 145 origins; hence the cache.
FIT_ROWS = 15_000
ETS_MAX_SEASON = 24  # statsforecast's ETS keeps at most 24 seasonal states


def classical_errors(y: np.ndarray, origins: np.ndarray, horizon: int, season: int, *, refit: bool) -> dict:
    """{"ETS"|"Theta": {"mae", "smape", "note"} or {"error"}} over every origin and lead of `y` [rows].

    refit: fit at every origin on the rows before it, else once before the first origin (`forecasts`).
    """
    from tsfc.metrics import smape

    actual = y[origins[:, None] + np.arange(horizon)]  # [N, H]
    out = {}
    for name in ("ETS", "Theta"):
        started = time.perf_counter()
        try:
            forecast, note = forecasts(name, y, origins, horizon, season, refit)  # [N, H]
        except Exception as exc:  # a reference that fails is a footnote, not the end of the run
            out[name] = {"error": f"{name} failed: {type(exc).__name__}: {exc}"}
            continue
        out[name] = {"mae": float(np.mean(np.abs(forecast - actual))), "smape": float(smape(actual, forecast)),
                     "note": note}
        print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return out


def forecasts(name: str, y: np.ndarray, origins: np.ndarray, horizon: int, season: int, refit: bool):
    """Forecasts [N, H] from each origin and a footnote (or ""): refitted at each origin, or fitted once
    on (at most FIT_ROWS of) the rows before the first origin and run forward over each origin's history
    with the fitted parameters, without re-estimating."""
    from statsforecast.models import AutoETS, AutoTheta

    notes = []
    if name == "Theta":
        def make():
            return AutoTheta(season_length=season)
    elif season > ETS_MAX_SEASON:
        notes.append(f"ETS without season on the series less its additive seasonal indices (season {season}, "
                     f"classical decomposition of the fit rows): statsforecast's ETS allows seasons <= "
                     f"{ETS_MAX_SEASON}")
        def make():
            return SeasonAdjustedETS(season)
    else:
        def make():
            return AutoETS(season_length=season)
    if refit:
        return np.stack([make().fit(y[:o]).predict(horizon)["mean"] for o in origins]), "; ".join(notes)
    start = max(0, int(origins[0]) - FIT_ROWS)
    if start:
        notes.append(f"fitted on the last {FIT_ROWS:,} of the {origins[0]:,} rows before the first origin, "
                     "for time (AutoTheta's grows with the square of the rows)")
    model = make().fit(y[start : origins[0]])
    forecast = np.stack([model.forward(y[start:o], horizon)["mean"] for o in origins])
    return forecast, "; ".join(notes)


class SeasonAdjustedETS:
    """AutoETS without a season on y less additive seasonal indices estimated on the fit rows.

    Row positions count from the first row given to `fit`; `forward` must get series that start there.
    """

    def __init__(self, season: int):
        self.season = season

    def fit(self, y: np.ndarray) -> "SeasonAdjustedETS":
        from statsforecast.models import AutoETS

        self.indices_ = seasonal_indices(y, self.season)
        self.ets_ = AutoETS(season_length=1).fit(y - self._seasonal(0, len(y)))
        self.rows_ = len(y)
        return self

    def predict(self, h: int) -> dict:
        return {"mean": self.ets_.predict(h)["mean"] + self._seasonal(self.rows_, h)}

    def forward(self, y: np.ndarray, h: int) -> dict:
        adjusted = y - self._seasonal(0, len(y))
        return {"mean": self.ets_.forward(adjusted, h)["mean"] + self._seasonal(len(y), h)}

    def _seasonal(self, start: int, count: int) -> np.ndarray:
        return self.indices_[np.arange(start, start + count) % self.season]


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray:
    """Additive index of each phase (row % season): mean deviation from a centred moving average, summing to 0."""
    if season % 2:
        kernel = np.ones(season) / season
    else:
        kernel = np.r_[0.5, np.ones(season - 1), 0.5] / season  # the 2 x season average
    trend = np.convolve(y, kernel, mode="valid")  # centred on rows half .. half + len(trend) - 1
    half = len(kernel) // 2
    phase = np.arange(half, half + len(trend)) % season
    deviation = y[half : half + len(trend)] - trend
    indices = np.bincount(phase, deviation, minlength=season) / np.bincount(phase, minlength=season)
    return indices - indices.mean()
