"""Simple forecasts a model must beat: naive, seasonal naive, linear autoregression. Pure numpy.

``season_for`` (a frequency's seasonal period) lives in ``tsfc.times`` and is re-exported here.

Each takes the target `series` [rows], origin rows `origins` [N] (a forecast of rows
[o, o + horizon) made from the rows before o) and returns forecasts [N, horizon].
"""

from __future__ import annotations

import numpy as np

from tsfc.times import season_for  # noqa: F401  (the seasonal period of a frequency; callers import it from here)


def naive(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last value before each origin, repeated."""
    last = np.asarray(series, dtype=np.float64)[np.asarray(origins) - 1]  # [N]
    return np.repeat(last[:, None], horizon, axis=1)  # [N, H]


def seasonal_naive(series: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The value one season before each lead time, the last season repeated: f[o + h] = y[o - season + h % season].

    Raises:
        ValueError: an origin has fewer than `season` rows before it.
    """
    origins = np.asarray(origins)
    if len(origins) and origins.min() < season:
        raise ValueError(f"origin row {origins.min()} has fewer than {season} rows before it")
    lead = np.arange(horizon) % season  # [H]
    return np.asarray(series, dtype=np.float64)[origins[:, None] - season + lead[None, :]]  # [N, H]


class LinearBaseline:
    """Ordinary least squares with an intercept from the last `window` values to the next `horizon`."""

    def __init__(self, window: int, horizon: int):
        self.window = window
        self.horizon = horizon

    def fit(self, train: np.ndarray) -> "LinearBaseline":
        """Fit on every (window, next horizon) pair inside `train` [rows].

        Raises:
            ValueError: `train` has fewer than window + horizon rows.
        """
        from numpy.lib.stride_tricks import sliding_window_view

        y = np.asarray(train, dtype=np.float64)
        if len(y) < self.window + self.horizon:
            raise ValueError(f"{len(y)} training rows, need at least window + horizon = {self.window + self.horizon}")
        pairs = sliding_window_view(y, self.window + self.horizon)  # [n, W + H]
        x = self._design(pairs[:, : self.window])  # [n, W + 1]
        self.coef_, *_ = np.linalg.lstsq(x, pairs[:, self.window :], rcond=None)  # [W + 1, H]
        return self

    def predict(self, series: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Forecasts [N, horizon] from the `window` rows before each origin."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("LinearBaseline is not fitted; call fit(train) first")
        y = np.asarray(series, dtype=np.float64)
        rows = np.asarray(origins)[:, None] - self.window + np.arange(self.window)[None, :]  # [N, W]
        return self._design(y[rows]) @ self.coef_  # [N, H]

    @staticmethod
    def _design(windows: np.ndarray) -> np.ndarray:
        return np.hstack([windows, np.ones((len(windows), 1))])  # [n, W + 1]


def forecast_all(target, origins, horizon: int, season: int, window: int, train, notes: list[str]) -> dict:
    """Every baseline's forecasts [N, horizon] from `origins` of `target` [rows].

    `train` (the training rows of the target, or None) fits the linear baseline. A baseline the
    data cannot support is None, with a note saying why.
    """
    out: dict[str, np.ndarray | None] = {"naive": naive(target, origins, horizon)}
    try:
        out["seasonal_naive"] = seasonal_naive(target, origins, horizon, season)
    except ValueError as exc:
        notes.append(f"seasonal_naive (season {season}) left out: {exc}")
        out["seasonal_naive"] = None
    out["linear"] = None
    if train is not None:
        try:
            out["linear"] = LinearBaseline(window, horizon).fit(train).predict(target, origins)
        except ValueError as exc:
            notes.append(f"linear baseline left out: {exc}")
    return out
