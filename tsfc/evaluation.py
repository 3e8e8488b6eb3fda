"""The `evaluate` verb: a rolling-origin backtest of a bundle beside the baselines, and its quality gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tsfc.errors import DataError, UsageError
from tsfc.pipeline import LoadedBundle, load_bundle, load_like_bundle


METHODS = ("model", "naive", "seasonal_naive", "linear")


@dataclass
class Evaluation:
    """A rolling-origin backtest of the model beside the baselines, on the target's original scale."""

    target: str
    horizon: int
    stride: int
    season: int
    data_path: str
    index: "pd.Index | None"  # timestamps of every row of the evaluated series (None without a time column)
    origin_rows: np.ndarray  # int row positions of the origins in that series
    actual: np.ndarray  # [origins, horizon] target, original scale
    predictions: dict[str, np.ndarray | None]  # METHODS -> [origins, horizon], None if unavailable
    metrics: dict[str, dict[str, float] | None]
    by_lead: dict[str, dict[str, list[float]] | None]
    notes: list[str]
    intervals: "object | None" = None  # calibration.IntervalReport, with --level

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data (what `evaluate --json` prints)."""

        def when(row: int):
            return int(row) if self.index is None else self.index[int(row)].isoformat()

        return {
            "target": self.target,
            "horizon": self.horizon,
            "stride": self.stride,
            "season": self.season,
            "origins": len(self.origin_rows),
            "first_origin": when(self.origin_rows[0]),
            "last_origin": when(self.origin_rows[-1]),
            "data_path": self.data_path,
            "metrics": self.metrics,
            "by_lead": self.by_lead,
            "notes": self.notes,
            "verdict": self.verdict(),
            **({} if self.intervals is None else self.intervals.to_dict()),
        }

    def verdict(self) -> str:
        """One plain line: how the model compares with the baselines on MASE (MAE if undefined)."""
        from tsfc.verdict import sentence

        metric = "mase" if all(m is None or m["mase"] is not None for m in self.metrics.values()) else "mae"
        scores = {name: None if m is None else m[metric] for name, m in self.metrics.items()}
        return sentence(scores, metric.upper(), against=("naive", "seasonal_naive", "linear"))


def evaluate(
    bundle_path: str | Path,
    horizon: int | None = None,
    *,
    data: str | Path | None = None,
    stride: int = 1,
    season: int | None = None,
    read_options=None,
    threads: int = 0,
    checks=None,
    levels: list[float] | None = None,
    recalibrate: int | None = None,
) -> Evaluation:
    """Backtest the bundle from every `stride`-th test row and score it beside the baselines.

    Without `data` the bundle's own CSV is re-read (it must be unchanged) and its test split
    (rows >= split.val_end) is evaluated; with `data`, its rows after the bundle's validation data.

    Args:
        horizon: steps per forecast (default: the bundle's default horizon, chosen at fit time).
        season: seasonal period of the seasonal-naive baseline and MASE (default: from the frequency).
        threads: CPU threads for the model's backtest (0: every usable core).
        checks: a `contract.Checks` (--strict, --max-age) for the data evaluated.
        levels: interval levels in %: score conformal intervals of every method (`tsfc.calibration`).
        recalibrate: > 0: intervals recalibrated at each test origin on the latest `recalibrate`
            origins with known actuals (None: `calibration.RECENT`); 0: the bundle's fit-time calibration.

    Raises:
        UsageError: horizon, stride or season < 1, threads or recalibrate < 0.
        BundleError (also: `levels` with `recalibrate` 0 and no calibration in the bundle),
        DataError (missing or changed source CSV, no rows to evaluate, a stale feed, a contract
            note under --strict).
    """
    for name, value in (("--horizon", horizon), ("--stride", stride), ("--season", season)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be >= 1, got {value}")
    if threads < 0:
        raise UsageError(f"--threads must be >= 0 (0 = every core), got {threads}")
    if recalibrate is not None and recalibrate < 0:
        raise UsageError(f"--calibration must be >= 0 (0 = the bundle's calibration), got {recalibrate}")
    from tsfc.baselines import season_for

    loaded = bundle_path if isinstance(bundle_path, LoadedBundle) else load_bundle(bundle_path)
    m = loaded.manifest
    horizon = horizon or loaded.horizon
    season = season or int(m["config"].get("season") or 0) or season_for(m["freq"])
    notes: list[str] = []
    if data is None:
        series = _source_series(m, read_options, checks)
        start = m["split"]["val_end"]
        train = series.values[: m["split"]["train_end"], 0]
    else:
        series = load_like_bundle(m, data, read_options, checks)
        start = _first_test_row(m, series)
        train = _training_target(m, series, read_options, loaded.window + horizon, notes)
    notes += series.notes
    origins = _origins(series, start, loaded.window, horizon, stride)
    target = series.values[:, 0].astype(np.float64)
    actual = target[origins[:, None] + np.arange(horizon)]  # [N, H]
    predictions = {"model": _backtest_model(loaded, series.values, origins, horizon, threads)}
    from tsfc.baselines import forecast_all

    predictions.update(forecast_all(target, origins, horizon, season, loaded.window, train, notes))
    scale = _mase_scale(m, season, train)
    std = float(m["train_stats"]["std"][0])
    from tsfc.metrics import report

    metrics, by_lead = {}, {}
    for name in METHODS:
        pred = predictions[name]
        metrics[name] = None if pred is None else report(actual, pred, mase_scale=scale, std=std)
        by_lead[name] = None if pred is None else report(actual, pred, mase_scale=scale, std=std, axis=0)
    intervals = None
    if levels:
        intervals = _intervals(loaded, series, origins, actual, predictions, season, train, levels, recalibrate,
                               start, threads)
    return Evaluation(
        m["target"], horizon, stride, season, str(series.path), series.index, origins, actual,
        predictions, metrics, by_lead, notes, intervals,
    )


def _intervals(loaded, series, origins, actual, predictions, season, train, levels, recalibrate, start, threads):
    """Every method's conformal intervals around its backtest, scored (`calibration.backtest_intervals`)."""
    from tsfc.baselines import forecast_all
    from tsfc.calibration import RECENT, backtest_intervals, stored, untrained_start

    target = series.values[:, 0].astype(np.float64)
    horizon = actual.shape[1]
    recalibrate = RECENT if recalibrate is None else recalibrate

    def forecast(at: np.ndarray, methods: list[str]) -> dict:
        found = forecast_all(target, at, horizon, season, loaded.window, train, [])
        if "model" in methods:
            found["model"] = _backtest_model(loaded, series.values, at, horizon, threads)
        return found

    return backtest_intervals(
        target, origins, actual, predictions, forecast, levels, recent=recalibrate,
        scale=float(loaded.scaler.scale_[0]), first=untrained_start(loaded.manifest, series.index, len(target)),
        start=start, min_origin=max(loaded.window, season), stored=None if recalibrate else stored(loaded),
    )


def check_gate(evaluation: Evaluation, baseline: str) -> None:
    """Raise `QualityGateError` when the model's MASE is worse than `baseline`'s (or it cannot be compared)."""
    from tsfc.errors import QualityGateError

    check_baseline_name(baseline)
    model, base = evaluation.metrics["model"], evaluation.metrics[baseline]
    if base is None:
        raise QualityGateError(f"the {baseline} baseline is unavailable, so the gate cannot pass; see the notes above")
    if model["mase"] is None or base["mase"] is None:
        # MASE is MAE over one shared scale, so MAE decides when the scale is zero
        worse, what = model["mae"] > base["mae"], f"MAE {model['mae']:.4g} vs {base['mae']:.4g} (MASE undefined)"
    else:
        worse, what = model["mase"] > base["mase"], f"MASE {model['mase']:.4f} vs {base['mase']:.4f}"
    if worse:
        raise QualityGateError(f"the model is worse than {baseline}: model {what} for {baseline}; do not ship this bundle")


def check_baseline_name(name: str) -> None:
    """Raise `UsageError` unless `name` is a baseline of `evaluate`."""
    if name not in METHODS[1:]:
        raise UsageError(f"--fail-if-worse-than must be one of {', '.join(METHODS[1:])}, got {name!r}")

def _source_series(m: dict, read_options, checks=None):
    """The CSV the bundle was fitted on, refused if it is gone or changed since."""
    return load_like_bundle(m, source_path(m), read_options, checks)


def source_path(m: dict) -> Path:
    """The path of the CSV the bundle whose manifest is `m` was fitted on.

    Raises:
        DataError: it is gone, or its SHA-256 differs from the bundle's record.
    """
    from tsfc.data import file_sha256

    source = m.get("source", {})
    path = Path(source.get("path", ""))
    fix = "pass the CSV to evaluate explicitly: tsfc evaluate DATA.csv"
    if not path.is_file():
        raise DataError(f"{path}: the CSV this bundle was fitted on no longer exists; {fix}")
    if file_sha256(path) != source.get("sha256"):
        raise DataError(f"{path}: the CSV this bundle was fitted on has changed since (SHA-256 differs); {fix}")
    return path


def _first_test_row(m: dict, series) -> int:
    """First row of `series` after the bundle's validation data: by timestamp, else by position."""
    import pandas as pd

    split = m["split"]
    if series.index is None:
        return int(split["val_end"])
    if split.get("val_end_time"):
        return int(series.index.searchsorted(pd.Timestamp(split["val_end_time"]), side="left"))
    return int(series.index.searchsorted(pd.Timestamp(m["last_timestamp"]), side="right"))


def _origins(series, start: int, window: int, horizon: int, stride: int) -> np.ndarray:
    """Every `stride`-th row from `start` with `window` rows before it and `horizon` rows from it."""
    rows = len(series.values)
    first = max(start, window)
    last = rows - horizon
    if start >= rows:
        raise DataError(
            f"{series.path}: no rows after the end of the bundle's validation data; "
            "pass a CSV that continues past it"
        )
    if first > last:
        raise DataError(
            f"{series.path}: {rows - start} rows after the bundle's validation data, with {window} rows of "
            f"context needed before them, leave no forecast of --horizon {horizon}; lower --horizon or pass more rows"
        )
    return np.arange(first, last + 1, stride)


def _backtest_model(
    loaded: LoadedBundle, values: np.ndarray, origins: np.ndarray, horizon: int, threads: int
) -> np.ndarray:
    """Scaled in, batched roll, unscaled out: the model's target forecasts [N, H] from each origin.

    Chunks of origins run on `threads` workers (0: every core) with one torch thread each:
    1.7-1.9x faster than one worker on 2 idle cores, and unlike OpenMP threads they do not spin
    when the cores are busy (benchmarks/RESULTS.md, section 4).
    """
    import torch

    from tsfc.forecast import backtest
    from tsfc.train import usable_cores

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        scaled = torch.from_numpy(loaded.scaler.transform(values))  # [rows, C]
        out = backtest(
            loaded.net, scaled, torch.from_numpy(origins), loaded.window, horizon, workers=threads or usable_cores()
        )  # [N, H, C]
    finally:
        torch.set_num_threads(before)  # callers in the same process keep their setting
    return loaded.scaler.inverse_transform(out.numpy())[..., 0]  # [N, H]


def _training_target(m: dict, series, read_options, needed: int, notes: list[str]) -> np.ndarray | None:
    """The target over the bundle's training rows, for the linear baseline and MASE: from `series`
    if it covers at least `needed` of them, else from the bundle's own CSV if unchanged, else None."""
    import pandas as pd

    split = m["split"]
    if series.index is None:
        end = int(split["train_end"])
    else:
        end = int(series.index.searchsorted(pd.Timestamp(split["train_end_time"]), side="left"))
    if end >= needed:
        return series.values[:end, 0]
    try:
        return _source_series(m, read_options).values[: split["train_end"], 0]
    except DataError as exc:
        notes.append(f"the training rows are unavailable ({exc}); baselines that need them are left out")
        return None


def _mase_scale(m: dict, season: int, train) -> float | None:
    """The in-sample seasonal-naive MAE of the training rows: stored at fit time, else recomputed."""
    from tsfc.metrics import seasonal_naive_mae

    stored = m["train_stats"].get("mase_scale")
    if stored and stored.get("season") == season:
        return stored.get("mae")
    if train is None:
        why = f"the bundle stores the scale for season {stored['season']}" if stored else "the bundle stores no scale"
        raise DataError(
            f"MASE with season {season} needs the bundle's training rows, which are unavailable ({why}); "
            "evaluate a CSV that includes the training period, restore the original CSV, or leave out --season"
        )
    return seasonal_naive_mae(train, season)
