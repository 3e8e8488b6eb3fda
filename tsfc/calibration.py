"""Prediction intervals: split conformal on a forecaster's own out-of-sample errors, by lead time.

The method (the README's "Prediction intervals" says the same):
- errors: the absolute errors |forecast - actual| of forecasts rolled from many origins, at
  each lead h, on rows the network was not trained on, in the scaled (MinMax) units of the
  target. At fit time: the validation rows. With data at predict or evaluate time: the
  `recent` latest origins whose actuals are known before the forecast origin (recalibration;
  in a backtest rolled forward with every test origin).
- the width at level p and lead h: the ceil((n + 1) p)-th smallest of the n errors at that
  lead, the finite-sample conformal quantile. With fewer errors than the level needs
  (ceil((n + 1) p) > n) it is the largest error, and a note says coverage is not guaranteed.
- widths rise weakly with the lead (running maximum); beyond the calibrated leads L they
  grow with the square root of the lead: w(h) = w(L) sqrt(h / L).
- the interval is the point forecast +- the width, turned into the target's units by the
  scaler at the call site (so a many-series model can apply each series' own scale).

A calibration is plain JSON (the bundle's manifest holds the fit-time one under "calibration"):
    {"method": "conformal", "source": "validation" or "recent", "leads": L,
     "origins": [errors per lead], "rows": [first, last target row: timestamp or number],
     "widths": {"80": [L widths, scaled units], ...}}
The fit-time one stores the levels of `GRID` ("100": the largest error); a recalibration adds
the levels asked for. A level between stored ones uses the next one up: never narrower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tsfc.errors import UsageError

GRID = (10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 100)
RECENT = 500  # origins a recalibration uses by default (`--calibration`)


def parse_levels(text: str | None) -> list[float]:
    """`--level 80,97.5` as sorted percentages; [] for None.

    Raises:
        UsageError: a value that is not a number strictly between 0 and 100.
    """
    if text is None:
        return []
    levels = set()
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not 0 < value < 100:  # also refuses nan
            raise UsageError(
                f"--level must be percentages between 0 and 100 (exclusive) such as 80,95; got {text!r}"
            )
        levels.add(value)
    return sorted(levels)


def label(level: float) -> str:
    """A level as it appears in column names and JSON keys: 80, 97.5."""
    return f"{level:.6f}".rstrip("0").rstrip(".")


def one_series_only(levels, clip_min=None) -> None:
    """Intervals and --clip-min are built for bundles of one series so far.

    Raises:
        UsageError: `levels` or `clip_min` given (for a many-series bundle).
    """
    if levels or clip_min is not None:
        raise UsageError("--level and --clip-min work on bundles of one series so far, "
                         "not on a bundle fitted with --id-col")


def interval_columns(target: str, levels: list[float]) -> list[str]:
    """`<target>_lo_<level>`, `<target>_hi_<level>` for each level, in that order."""
    return [f"{target}_{side}_{label(level)}" for level in levels for side in ("lo", "hi")]


def rank(n, level: float):
    """The finite-sample conformal rank ceil((n + 1) level / 100) (may exceed n), of an int or an int array."""
    return np.ceil(np.round((np.asarray(n) + 1) * level / 100, 9)).astype(int)  # round: 0.1-steps are inexact


def needed(level: float) -> int:
    """The fewest errors for which the conformal rank of `level` stays within them."""
    n = 1
    while rank(n, level) > n:
        n = max(n + 1, math.floor(level / (100 - level)))
    return n


# ---------------------------------------------------------------- errors


def lead_errors(
    forecast: Callable[[np.ndarray], np.ndarray],
    target: np.ndarray,
    first: int,
    end: int,
    leads: int,
    min_origin: int,
    recent: int = 0,
) -> np.ndarray:
    """Absolute errors [origins, leads] of forecasts whose target rows lie in [first, end); NaN elsewhere.

    Args:
        forecast: origins [n] -> forecasts [n, leads] of `target` (same units).
        target: the series [rows]; rows before an origin are its context.
        first, end: the rows whose errors count (not trained on, actuals known).
        min_origin: the first origin with enough rows before it.
        recent: > 0: only the `recent` latest rows count, so each lead has at most `recent` errors.
    """
    first = max(first, end - recent) if recent else first
    origins = np.arange(max(min_origin, first - leads + 1), end)  # every forecast reaching a counted row
    if len(origins) == 0 or first >= end:
        return np.full((0, leads), np.nan)
    rows = origins[:, None] + np.arange(leads)  # [n, leads]
    actual = np.asarray(target, dtype=np.float64)[np.minimum(rows, len(target) - 1)]
    errors = np.abs(np.asarray(forecast(origins), dtype=np.float64) - actual)
    return np.where((rows >= first) & (rows < end), errors, np.nan)


def model_forecaster(net, scaled, window: int, leads: int, workers: int = 1) -> Callable[[np.ndarray], np.ndarray]:
    """origins -> the network's rolled forecasts of the target [n, leads], scaled; `scaled` is [rows, C]."""

    def forecast(origins: np.ndarray) -> np.ndarray:
        import torch

        from tsfc.forecast import backtest

        series = torch.as_tensor(np.asarray(scaled, dtype=np.float32))
        out = backtest(net, series, torch.from_numpy(np.asarray(origins)), window, leads, workers=workers)
        return out[..., 0].numpy()  # [n, leads]

    return forecast


def on_rows(net, scaled: np.ndarray, first: int, end: int, leads: int, source: str, stamp, recent: int = 0,
            levels=()) -> dict | None:
    """The calibration of the network from its errors on the target rows [first, end) of `scaled` [rows, C].

    Args:
        stamp: row -> how `rows` names it (a timestamp, or the row number).
        recent: > 0: only the `recent` latest rows (recalibration).
    """
    window = net.cfg.window
    errors = lead_errors(model_forecaster(net, scaled, window, leads), scaled[:, 0], first, end, leads, window, recent)
    used = max(first, end - recent) if recent else first
    return calibrate(errors, source, (stamp(used), stamp(end - 1)), levels) if used < end else None


# ---------------------------------------------------------------- calibration


def calibrate(errors: np.ndarray, source: str, rows=(None, None), levels=()) -> dict | None:
    """The calibration (module docstring) of the errors [origins, leads] (NaN: none there).

    Leads are kept up to the first without an error; None if lead 1 has none.
    """
    counts = np.sum(~np.isnan(errors), axis=0)
    leads = int(np.argmin(counts > 0)) if (counts == 0).any() else errors.shape[1]
    if leads == 0:
        return None
    counts = counts[:leads]
    ordered = np.sort(errors[:, :leads], axis=0)  # NaN last
    widths = {}
    for level in sorted(set(GRID) | set(levels)):
        k = np.minimum(rank(counts, level), counts)
        widths[label(level)] = np.maximum.accumulate(ordered[k - 1, np.arange(leads)]).tolist()
    return {
        "method": "conformal",
        "source": source,
        "leads": leads,
        "origins": counts.tolist(),
        "rows": list(rows),
        "widths": widths,
    }


def widths(calibration: dict, levels: list[float], horizon: int) -> np.ndarray:
    """Half-widths [levels, horizon] in the scaled units of the target.

    A level not stored uses the next stored level up; leads beyond the calibrated ones grow
    as the square root of the lead from the last calibrated width.
    """
    stored = sorted((float(key), np.asarray(value, dtype=np.float64)) for key, value in calibration["widths"].items())
    out = np.empty((len(levels), horizon))
    for i, level in enumerate(levels):
        width = next(w for key, w in stored if key >= level - 1e-9)
        leads = len(width)
        if horizon <= leads:
            out[i] = width[:horizon]
        else:
            out[i, :leads] = width
            out[i, leads:] = width[-1] * np.sqrt(np.arange(leads + 1, horizon + 1) / leads)
    return out


def notes(calibration: dict, levels: list[float], horizon: int) -> list[str]:
    """What a user of these intervals should know: too few errors, a rounded level, extrapolated leads."""
    out = []
    fewest = min(calibration["origins"])
    stored = sorted(float(key) for key in calibration["widths"])
    for level in levels:
        if rank(fewest, level) > fewest:
            out.append(
                f"the {label(level)} % interval needs at least {needed(level)} calibration errors per lead, "
                f"this calibration has {fewest}: its width is the largest error seen and may cover less"
            )
        used = next(key for key in stored if key >= level - 1e-9)
        if abs(used - level) > 1e-9:
            out.append(
                f"the bundle stores interval widths at {', '.join(label(k) for k in GRID[:-1])} %; "
                f"--level {label(level)} uses the {label(used)} % widths (wider); recalibrate with --data for exact ones"
            )
    if horizon > calibration["leads"]:
        out.append(
            f"interval widths beyond lead {calibration['leads']} (the calibrated leads) grow with the square "
            "root of the lead, an assumption rather than a measurement"
        )
    return out


def summary(calibration: dict) -> dict:
    """What a forecast's output says about its calibration (no widths)."""
    return {key: calibration[key] for key in ("method", "source", "leads", "rows")} | {
        "origins": min(calibration["origins"])
    }


def describe(calibration: dict | None) -> str:
    """A calibration (or its `summary`) in words, for `info` and the terminal."""
    if not calibration:
        return "none (fitted before intervals): fit again, or give predict --data with --level"
    origins = calibration["origins"]
    fewest = min(origins) if isinstance(origins, list) else origins
    first, last = calibration["rows"]
    if calibration["source"] == "validation":
        where = f"the validation rows {first} to {last}"
    else:
        where = f"the latest rows, {first} to {last}"
    return f"conformal, {fewest} errors per lead on {where}, leads 1-{calibration['leads']}"


# ---------------------------------------------------------------- bands


def bands(point: np.ndarray, width: np.ndarray, clip_min: float | None = None):
    """Lower and upper bounds [..., levels, H] of `point` [..., H] +- `width` [..., levels, H] (target units).

    With `clip_min` the bounds are raised to it (the point forecast is clipped by the caller).
    """
    point = np.asarray(point, dtype=np.float64)[..., None, :]
    lo, hi = point - width, point + width
    if clip_min is not None:
        lo, hi = np.maximum(lo, clip_min), np.maximum(hi, clip_min)
    return lo, hi


def rolling_widths(errors: np.ndarray, first_origin: int, tests: np.ndarray, levels: list[float], recent: int):
    """Half-widths [tests, levels, H] recalibrated at every test origin, and the fewest errors used.

    At origin t and lead h the pool is the `recent` latest errors (not NaN) whose target row is
    before t, so only actuals known at t are used.

    Args:
        errors: [origins, H] at the consecutive origins first_origin, first_origin + 1, ...
        tests: the test origins [T].
    """
    from numpy.lib.stride_tricks import sliding_window_view

    n, horizon = errors.shape
    out = np.empty((len(tests), len(levels), horizon))
    fewest = recent
    for j in range(horizon):
        # float32: sorting the pools is most of the work, and 3-5x faster than in float64
        padded = np.concatenate([np.full(recent, np.nan), errors[:, j]]).astype(np.float32)
        pools = sliding_window_view(padded, recent)  # row e holds errors[e - recent : e]
        end = np.clip(np.asarray(tests) - j - first_origin, 0, n)  # origins o + j <= t - 1
        pool = np.sort(pools[end], axis=1)  # [T, recent], NaN last
        counts = np.sum(~np.isnan(pool), axis=1)
        fewest = min(fewest, int(counts.min()))
        for i, level in enumerate(levels):
            k = np.minimum(rank(counts, level), counts)
            out[:, i, j] = np.where(counts > 0, pool[np.arange(len(tests)), np.maximum(k, 1) - 1], np.nan)
    return np.maximum.accumulate(out, axis=2), fewest


# ---------------------------------------------------------------- scores


@dataclass
class IntervalReport:
    """Interval scores of a backtest: per method and level, overall and by lead; the model's bands."""

    levels: list[float]
    calibration: dict  # how the widths were calibrated
    overall: dict  # method -> {"80": {"coverage", "width", "interval_score"}} or None
    by_lead: dict  # method -> {"80": {"coverage": [H], "width": [H], "interval_score": [H]}} or None
    bands: dict = field(default_factory=dict)  # label -> (lo, hi) [origins, H] of the model

    def to_dict(self) -> dict:
        return {
            "levels": self.levels,
            "calibration": self.calibration,
            "intervals": self.overall,
            "intervals_by_lead": self.by_lead,
        }


def score(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, levels: list[float]):
    """Coverage (fraction), mean width and interval score of bounds [N, levels, H]: overall and by lead."""
    from tsfc.metrics import coverage, interval_score

    overall, by_lead = {}, {}
    for i, level in enumerate(levels):
        low, high = lo[:, i], hi[:, i]
        measures = {
            "coverage": lambda axis: coverage(actual, low, high, axis),
            "width": lambda axis: np.mean(high - low, axis=axis),
            "interval_score": lambda axis: interval_score(actual, low, high, level, axis),
        }
        overall[label(level)] = {k: float(f(None)) for k, f in measures.items()}
        by_lead[label(level)] = {k: np.asarray(f(0), dtype=float).tolist() for k, f in measures.items()}
    return overall, by_lead


def backtest_intervals(
    target: np.ndarray,
    tests: np.ndarray,
    actual: np.ndarray,
    predictions: dict,
    forecast: Callable[[np.ndarray], dict],
    levels: list[float],
    *,
    recent: int,
    scale: float,
    first: int,
    start: int,
    min_origin: int,
    stored: dict | None,
) -> IntervalReport:
    """Intervals around every method's backtest forecasts, scored against the actuals.

    Args:
        target: the series [rows], original units; `tests` the test origins [T], `actual` [T, H].
        predictions: method -> forecasts [T, H] (None: method unavailable).
        forecast: (origins [n], methods) -> {method: forecasts [n, H] or None}, for the calibration origins.
        recent: > 0: each method recalibrated at every test origin on its `recent` latest errors
            with known actuals (`rolling_widths`); 0: fixed widths, the model's from `stored`
            (the bundle's calibration) and each baseline's from its errors on rows [first, start).
        scale: target units -> scaled units (the target's MinMax scale).
        first: the first row not trained on; start: the first test row.
        min_origin: the first origin every method can forecast from.

    Raises:
        DataError: rolling, but no actuals between the training rows and a test origin.
    """
    from tsfc.errors import DataError

    horizon = actual.shape[1]
    names = [name for name, pred in predictions.items() if pred is not None]
    half: dict[str, np.ndarray | None] = {}
    if recent:
        begin = max(min_origin, first - horizon + 1, int(tests[0]) - horizon - recent + 1)
        origins = np.arange(begin, int(tests[-1]))
        known = np.isin(origins, tests)
        extra = forecast(origins[~known], names) if (~known).any() else {}
        rows = origins[:, None] + np.arange(horizon)
        valid = (rows >= first) & (rows < len(target))
        observed = np.asarray(target, dtype=np.float64)[np.minimum(rows, len(target) - 1)]
        fewest = recent
        for name in names:
            pred = np.empty((len(origins), horizon))
            pred[known] = predictions[name][np.searchsorted(tests, origins[known])]
            if (~known).any():
                if extra.get(name) is None:
                    half[name] = None
                    continue
                pred[~known] = extra[name]
            errors = np.where(valid, np.abs(pred - observed) * scale, np.nan)
            half[name], least = rolling_widths(errors, begin, tests, levels, recent)
            fewest = min(fewest, least)
        if fewest == 0:
            raise DataError(
                "--level: no actuals between the model's training rows and the first test origin to "
                "calibrate the intervals on; evaluate data that include the validation rows, or pass --calibration 0"
            )
        about = {"method": "conformal", "source": "recent", "rolling": True, "origins": recent, "fewest": fewest}
    else:
        about = {"method": "conformal", "source": "validation", "rolling": False, "origins": min(stored["origins"])}
        baselines = [name for name in names if name != "model"]
        made: dict = {}  # every baseline's validation forecasts, made once

        def baseline(at: np.ndarray, name: str) -> np.ndarray:
            if not made:
                made.update(forecast(at, baselines))
            return made[name]

        for name in names:
            if name == "model":
                half[name] = widths(stored, levels, horizon)
                continue
            errors = lead_errors(lambda at, n=name: baseline(at, n), target, first, start, horizon, min_origin)
            calibration = calibrate(errors * scale, "validation") if len(errors) else None
            half[name] = None if calibration is None else widths(calibration, levels, horizon)
    overall, by_lead, kept = {}, {}, {}
    for name in predictions:
        if half.get(name) is None:
            overall[name] = by_lead[name] = None
            continue
        lo, hi = bands(predictions[name], half[name] / scale)
        overall[name], by_lead[name] = score(actual, lo, hi, levels)
        if name == "model":
            kept = {label(level): (lo[:, i], hi[:, i]) for i, level in enumerate(levels)}
    return IntervalReport(levels, about, overall, by_lead, kept)


# ---------------------------------------------------------------- a bundle's intervals
# `loaded` is a `pipeline.LoadedBundle` (net, scaler, manifest, path, horizon), used by its attributes.


def for_forecast(loaded, levels: list[float], horizon: int, *, values=None, times=None,
                 recalibrate: int | None = None) -> tuple[np.ndarray, dict, list[str]]:
    """Interval half-widths [levels, horizon] in the target's units for a forecast after `values`.

    Args:
        values: the observed rows [rows, C] up to the forecast origin, to recalibrate on; `times`
            their timestamps (None, or row numbers, without a time column).
        recalibrate: origins to recalibrate on (None: `RECENT` when `values` are given, else 0);
            0: the bundle's fit-time calibration.

    Returns:
        The half-widths, the calibration used, and notes about it.

    Raises:
        UsageError: `recalibrate` > 0 without `values`.
        BundleError: the bundle holds no (valid) calibration and none is asked for from data.
        DataError: no rows after the training rows to recalibrate on.
    """
    from tsfc.errors import DataError

    m = loaded.manifest
    if recalibrate is None:
        recalibrate = RECENT if values is not None else 0
    if recalibrate and values is None:
        raise UsageError(f"--calibration {recalibrate} recalibrates on data: pass --data CSV, "
                         "or leave it out for the bundle's own calibration")
    if recalibrate:
        times = time_index(times)
        leads = max(int(m["net"]["block"]), loaded.horizon)
        calibration = on_rows(loaded.net, loaded.scaler.transform(values), untrained_start(m, times, len(values)),
                              len(values), leads, "recent", stamper(times), recalibrate, levels)
        if calibration is None:
            raise DataError(
                f"--calibration {recalibrate}: the data have no rows after the model's training rows to "
                "recalibrate on; pass a CSV that continues past them, or --calibration 0"
            )
    else:
        calibration = stored(loaded)
    half = widths(calibration, levels, horizon) / loaded.scaler.scale_[0]
    return half, calibration, notes(calibration, levels, horizon)


def stored(loaded) -> dict:
    """The bundle's fit-time calibration, checked like every manifest field predict uses.

    Raises:
        BundleError: none (a bundle fitted before intervals), or not valid.
    """
    from tsfc.errors import BundleError

    calibration = loaded.manifest.get("calibration")
    if calibration is None:
        raise BundleError(
            f"{loaded.path}: this bundle holds no interval calibration (fitted by a tsfc without intervals); "
            "fit the model again to get intervals, or pass --data CSV to calibrate on its recent rows"
        )
    try:
        leads = calibration["leads"]
        origins = np.asarray(calibration["origins"], dtype=np.float64)
        values = [np.asarray(w, dtype=np.float64) for w in calibration["widths"].values()]
        ok = (isinstance(leads, int) and leads >= 1 and origins.shape == (leads,) and (origins >= 1).all()
              and 100 in [float(k) for k in calibration["widths"]]
              and all(w.shape == (leads,) and np.isfinite(w).all() and (w >= 0).all() for w in values))
    except (KeyError, TypeError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise BundleError(f"{loaded.path}: the manifest's interval calibration is invalid; fit the model again")
    return calibration


def untrained_start(m: dict, index, rows: int) -> int:
    """The first of `rows` rows (DatetimeIndex `index`, or None) after the training rows of the
    bundle whose manifest is `m`: by timestamp, else by position."""
    split = m["split"]
    if index is not None and split.get("train_end_time"):
        import pandas as pd

        return int(index.searchsorted(pd.Timestamp(split["train_end_time"]), side="left"))
    return min(int(split["train_end"]), rows)


def time_index(times):
    """`times` as a pandas DatetimeIndex; None for none or row numbers."""
    import pandas as pd

    if times is None or isinstance(times, pd.DatetimeIndex):
        return times
    times = np.asarray(times)
    return pd.DatetimeIndex(times) if np.issubdtype(times.dtype, np.datetime64) else None


def stamper(index):
    """row -> its timestamp in ISO format, or the row number without a time index."""
    return int if index is None else (lambda row: index[int(row)].isoformat())
