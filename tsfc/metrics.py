"""Error measures of forecasts against actuals, pure numpy.

Every function takes `actual` and `forecast` of the same shape, usually [origins, horizon],
and an `axis`: None reduces everything to one number, 0 gives one value per lead time.
Undefined values (MAPE with only zero actuals, MASE with a zero scale) are NaN.
"""

from __future__ import annotations

import numpy as np

METRICS = ("mae", "rmse", "mse", "mape", "smape", "mase", "mse_std", "mae_std")


def mae(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None):
    """Mean absolute error."""
    return np.mean(np.abs(_f(forecast) - _f(actual)), axis=axis)


def mse(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None):
    """Mean squared error."""
    return np.mean(np.square(_f(forecast) - _f(actual)), axis=axis)


def rmse(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None):
    """Root mean squared error."""
    return np.sqrt(mse(actual, forecast, axis))


def mape(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None):
    """Mean absolute percentage error in %, over the nonzero actuals only."""
    a, f = _f(actual), _f(forecast)
    keep = a != 0
    ratio = np.abs(f - a) / np.where(keep, np.abs(a), 1.0)
    return 100 * _masked_mean(ratio, keep, axis)


def smape(actual: np.ndarray, forecast: np.ndarray, axis: int | None = None):
    """Symmetric MAPE in % (0..200): mean of 2|f - a| / (|a| + |f|), skipping terms where both are 0."""
    a, f = _f(actual), _f(forecast)
    denom = np.abs(a) + np.abs(f)
    keep = denom != 0
    ratio = 2 * np.abs(f - a) / np.where(keep, denom, 1.0)
    return 100 * _masked_mean(ratio, keep, axis)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float | None, axis: int | None = None):
    """MAE divided by `scale`, the in-sample seasonal-naive MAE (`seasonal_naive_mae`)."""
    if scale is None or not scale > 0:
        return np.full_like(mae(actual, forecast, axis), np.nan, dtype=np.float64)
    return mae(actual, forecast, axis) / scale


def seasonal_naive_mae(train: np.ndarray, season: int) -> float | None:
    """In-sample MAE of the seasonal naive forecast y[t] = y[t - season] on `train` [rows]; None if too short."""
    y = _f(train)
    if len(y) <= season:
        return None
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def report(
    actual: np.ndarray, forecast: np.ndarray, *, mase_scale: float | None, std: float, axis: int | None = None
) -> dict:
    """Every measure in `METRICS`; `mse_std` and `mae_std` are on data standardized by the training `std`.

    Standardizing (x - mean) / std leaves errors divided by std, so the mean cancels.
    """
    std_ok = std > 0
    values = {
        "mae": mae(actual, forecast, axis),
        "rmse": rmse(actual, forecast, axis),
        "mse": mse(actual, forecast, axis),
        "mape": mape(actual, forecast, axis),
        "smape": smape(actual, forecast, axis),
        "mase": mase(actual, forecast, mase_scale, axis),
    }
    values["mse_std"] = values["mse"] / std**2 if std_ok else np.nan * values["mse"]
    values["mae_std"] = values["mae"] / std if std_ok else np.nan * values["mae"]
    return {k: _plain(values[k]) for k in METRICS}


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _masked_mean(values: np.ndarray, keep: np.ndarray, axis):
    count = np.sum(keep, axis=axis)
    total = np.sum(np.where(keep, values, 0.0), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _plain(value):
    """NaN and infinity become None (strict JSON has neither); arrays become lists."""
    if np.ndim(value) == 0:
        value = float(value)
        return value if np.isfinite(value) else None
    return [_plain(v) for v in np.asarray(value)]


def report_many(actual: np.ndarray, forecast: np.ndarray, *, mase_scale: np.ndarray, std: np.ndarray) -> dict:
    """`report` of many series at once: arrays [S, origins, horizon], one scale and std per series.

    Returns:
        ``{metric: (overall [S], by_lead [S, horizon])}`` as float arrays, NaN where undefined.
    """
    out = {}
    for axis, key in (((1, 2), 0), (1, 1)):
        values = {
            "mae": mae(actual, forecast, axis),
            "mse": mse(actual, forecast, axis),
            "mape": mape(actual, forecast, axis),
            "smape": smape(actual, forecast, axis),
        }
        values["rmse"] = np.sqrt(values["mse"])
        shape = (-1,) + (1,) * (values["mae"].ndim - 1)
        scale = np.where(np.asarray(mase_scale, dtype=np.float64) > 0, mase_scale, np.nan).reshape(shape)
        spread = np.where(np.asarray(std, dtype=np.float64) > 0, std, np.nan).reshape(shape)
        values["mase"] = values["mae"] / scale
        values["mse_std"] = values["mse"] / spread**2
        values["mae_std"] = values["mae"] / spread
        for k in METRICS:
            out.setdefault(k, [None, None])[key] = values[k]
    return {k: tuple(v) for k, v in out.items()}
