"""The verbs the CLI calls: fit a CSV into a bundle, forecast from it, backtest it, describe it.

Plain inputs in, plain results out; no printing, no exit codes.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from tsfc import __version__
from tsfc.config import FitConfig
from tsfc.errors import BundleError, DataError, UsageError
from tsfc.scaling import MinMaxScaling
from tsfc.windows import Split, rows_needed, sample_starts



@dataclass
class FitSummary:
    bundle: str
    rows: int
    columns: list[str]
    freq: str | None
    block: int
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    stopped: str
    seconds: float
    device: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Forecast:
    frame: "object"  # pandas.DataFrame: index = timestamps (or steps), columns = target [, features]
    notes: list[str] = field(default_factory=list)


def fit_csv(
    csv: str | Path,
    target: str,
    config: FitConfig,
    bundle_path: str | Path,
    *,
    features: list[str] | str | None = None,
    date_col: str | None = None,
    read_options=None,
    on_series: Callable[[object], None] | None = None,
    on_epoch: Callable | None = None,
    should_stop: Callable[[], int | None] | None = None,
    wait: bool = False,
    threads: int = 0,
    on_note: Callable[[str], None] | None = None,
) -> FitSummary:
    """Read `csv`, train the network described by `config`, and write the bundle atomically.

    Args:
        csv: input file; `target` (and `features`) name its columns.
        config: hyperparameters; `config.block` 0 means choose from the data.
        bundle_path: where to write the bundle (replaced only on success).
        on_series: called with the loaded `data.Series` before training (to report notes).
        on_epoch: called with each epoch's `train.EpochStats`.
        should_stop: polled between batches; a non-None exit code aborts without writing.
        wait: wait for another run's lock on `bundle_path` instead of failing.
        threads: CPU threads for torch (0 = automatic).
        on_note: called with a caveat about a run that still succeeds (a fallback to the CPU).

    Raises:
        DataError, UsageError, TrainingError, OutputError, BusyError, Interrupted.
    """
    from tsfc.data import load_csv
    from tsfc.files import locked

    with locked(bundle_path, wait=wait):
        series = load_csv(csv, target, features=features, date_col=date_col, options=read_options)
        if on_series is not None:
            on_series(series)
        rows = len(series.values)
        block = _resolve_block(config, rows, str(series.path))
        split = Split.from_fractions(rows, config.split)
        scaler = MinMaxScaling.fit(series.values[: split.train_end])
        net, result = _train(series.values, scaler, split, config, block, threads, on_epoch, should_stop, on_note)
        manifest = _manifest(series, config, block, split, scaler, net, result)
        tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in net.state_dict().items()}
        tensors["history"] = series.values[-config.window :]
        from tsfc import bundle

        if should_stop is not None and (code := should_stop()) is not None:
            from tsfc.errors import Interrupted

            raise Interrupted("interrupted; nothing was written", exit_code=code)

        bundle.save(bundle_path, manifest, tensors)
    return FitSummary(
        bundle=str(Path(bundle_path).absolute()),
        rows=rows,
        columns=series.columns,
        freq=series.freq,
        block=block,
        epochs_run=len(result.history),
        best_epoch=result.best_epoch,
        best_val_loss=result.best_val_loss,
        stopped=result.stopped,
        seconds=result.seconds,
        device=result.device,
        notes=list(series.notes),
    )


def _resolve_block(config: FitConfig, rows: int, path: str) -> int:
    """The block length to train; with `config.block == 0`, half the window, shrunk to fit short data.

    Half the window was best on ETTh1 (block 48 of window 96: mse_std 0.0541 at H=96, against
    0.0550 for block 96): blocks long enough that a roll takes few steps, short enough that each
    block is predicted from plenty of context.
    """
    block = config.block or max(1, config.window // 2)
    if not config.block:
        while block > 1 and rows < rows_needed(config.window, block, config.split):
            block -= 1
    needed = rows_needed(config.window, block, config.split)
    if rows < needed:
        raise DataError(
            f"{path}: {rows} rows is too few for --window {config.window} with --split "
            f"{','.join(f'{s:g}' for s in config.split)}; need at least {needed} rows "
            "(lower --window or supply more data)"
        )
    return block


def _train(values, scaler, split, config, block, threads, on_epoch, should_stop, on_note):
    """Train on the chosen device; with ``--device auto``, an out-of-memory GPU falls back to the CPU once."""
    import torch

    from tsfc import train
    from tsfc.errors import OutOfMemory

    device = train.choose_device(config.device)
    train.set_threads(threads or config.threads, config.hidden)
    try:
        return _train_on(device, values, scaler, split, config, block, on_epoch, should_stop)
    except (OutOfMemory, torch.OutOfMemoryError) as exc:  # the latter: moving data, validation
        message = f"out of memory on {device}; lower --batch-size or use --device cpu"
        if config.device != "auto" or device.type == "cpu":
            raise OutOfMemory(message) from exc
    if on_note is not None:
        on_note(f"{message}; training again on the CPU")
    return _train_on(torch.device("cpu"), values, scaler, split, config, block, on_epoch, should_stop)


def _train_on(device, values, scaler, split, config, block, on_epoch, should_stop):
    import torch

    from tsfc.models import Forecaster, NetConfig
    from tsfc.train import seed_everything, train

    seed_everything(config.seed)
    net_cfg = NetConfig(
        cell=config.model,
        columns=values.shape[1],
        window=config.window,
        block=block,
        hidden=config.hidden,
        layers=config.layers,
        dropout=config.dropout,
        norm=config.norm,
        highway=config.highway,
    )
    net = Forecaster(net_cfg).to(device)
    series = torch.from_numpy(scaler.transform(values)).to(device)
    train_starts, val_starts = sample_starts(split, config.window, block)
    result = train(
        net,
        series,
        train_starts,
        val_starts,
        window=config.window,
        block=block,
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        weight_decay=config.weight_decay,
        patience=config.patience,
        seed=config.seed,
        max_windows=config.max_windows,
        on_epoch=on_epoch,
        should_stop=should_stop,
    )
    return net.cpu(), result


def _manifest(series, config, block, split, scaler, net, result) -> dict:
    import torch

    index = series.index

    def stamp(row: int):
        return None if index is None or row >= len(index) else index[row].isoformat()

    from tsfc.baselines import season_for
    from tsfc.metrics import seasonal_naive_mae

    train_vals = series.values[: split.train_end].astype(np.float64)
    season = season_for(series.freq)
    return {
        "tsfc_version": __version__,
        "torch_version": torch.__version__.split("+")[0],
        "python_version": platform.python_version(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "config": {**config.to_dict(), "block": block},
        "net": net.cfg.to_dict(),
        "target": series.columns[0],
        "columns": list(series.columns),
        "date_col": series.date_col,
        "freq": series.freq,
        "last_timestamp": stamp(len(series.values) - 1),
        "scaler": scaler.to_dict(),
        "train_stats": {
            "mean": train_vals.mean(axis=0).tolist(),
            "std": train_vals.std(axis=0).tolist(),
            # the MASE denominator of `evaluate`: in-sample seasonal-naive MAE of the target
            "mase_scale": {"season": season, "mae": seasonal_naive_mae(train_vals[:, 0], season)},
        },
        "split": {
            "rows": split.rows,
            "train_end": split.train_end,
            "val_end": split.val_end,
            "train_end_time": stamp(split.train_end),
            "val_end_time": stamp(split.val_end),
        },
        "source": {"path": str(series.path), "sha256": series.sha256, "rows": split.rows, "notes": list(series.notes)},
        "training": {
            "device": result.device,
            "seconds": round(result.seconds, 3),
            "epochs_run": len(result.history),
            "best_epoch": result.best_epoch,
            "best_val_loss": result.best_val_loss,
            "stopped": result.stopped,
            "history": [
                {"epoch": e.epoch, "train_loss": e.train_loss, "val_loss": e.val_loss, "seconds": round(e.seconds, 3)}
                for e in result.history
            ],
        },
    }


@dataclass
class LoadedBundle:
    """A verified bundle with its network rebuilt on the CPU."""

    path: str
    manifest: dict
    net: "object"
    scaler: MinMaxScaling
    history: np.ndarray

    @property
    def window(self) -> int:
        return int(self.manifest["net"]["window"])


def load_bundle(path: str | Path) -> LoadedBundle:
    """Load, verify and rebuild the model in `path` on the CPU.

    Raises:
        BundleError: missing, corrupt, tampered with, incompatible, or weights of the wrong shape.
    """
    from tsfc import bundle

    path = Path(path).absolute()
    manifest, arrays = bundle.load(path)
    net = _rebuild(str(path), manifest, arrays)
    scaler, history = _check_manifest(str(path), manifest, arrays, net.cfg)
    return LoadedBundle(str(path), manifest, net, scaler, history)


def _check_manifest(path: str, m: dict, arrays: dict, cfg) -> tuple[MinMaxScaling, np.ndarray]:
    """Check every manifest field `predict` uses, so a forged or damaged bundle fails as exit 4."""
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    def bad(what: str) -> BundleError:
        return BundleError(f"{path}: {what}; fit the model again")

    columns, history = m.get("columns"), arrays.get("history")
    if not (isinstance(columns, list) and columns and all(isinstance(c, str) for c in columns)):
        raise bad("manifest 'columns' is not a list of column names")
    if len(columns) != cfg.columns or m.get("target") != columns[0]:
        raise bad("manifest columns disagree with the network or the target")
    try:
        scaler = MinMaxScaling.from_dict(m["scaler"])
    except (KeyError, TypeError, ValueError):
        raise bad("manifest lacks valid scaler parameters") from None
    for arr in (scaler.data_min_, scaler.data_max_):
        if arr.shape != (cfg.columns,) or not np.isfinite(arr).all():
            raise bad("scaler parameters have the wrong shape or are not finite")
    if history is None or history.shape != (cfg.window, cfg.columns):
        shape = None if history is None else history.shape
        raise bad(f"stored history has shape {shape}, expected ({cfg.window}, {cfg.columns})")
    if cfg.norm not in ("last", "none") or not isinstance(cfg.highway, bool):
        raise bad("manifest network options are invalid")
    if not (m.get("date_col") is None or isinstance(m.get("date_col"), str)):
        raise bad("manifest 'date_col' is not a column name")
    try:
        if m.get("freq") is not None:
            to_offset(m["freq"])
        if m.get("last_timestamp") is not None:
            pd.Timestamp(m["last_timestamp"])
    except (TypeError, ValueError):
        raise bad("manifest frequency or last timestamp cannot be parsed") from None
    return scaler, history


def _rebuild(path: str, manifest: dict, arrays: dict):
    import torch

    from tsfc.models import Forecaster, NetConfig

    try:
        cfg = NetConfig(**manifest["net"])
    except (KeyError, TypeError):
        raise BundleError(f"{path}: manifest lacks a valid network description; fit the model again") from None
    _check_cell(path, cfg.cell)
    ints = (cfg.columns, cfg.window, cfg.block, cfg.hidden, cfg.layers)
    if not all(isinstance(v, int) and 0 < v <= 100_000 for v in ints):
        raise BundleError(f"{path}: network sizes in the manifest are invalid; fit the model again")
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in Forecaster(cfg).state_dict().items()}
    given = {k.removeprefix("model."): a for k, a in arrays.items() if k.startswith("model.")}
    if set(given) != set(expected) or any(tuple(given[k].shape) != expected[k] for k in expected):
        raise BundleError(f"{path}: weights do not match the network described in the manifest; fit the model again")
    net = Forecaster(cfg)
    net.load_state_dict({k: torch.from_numpy(a) for k, a in given.items()})
    net.eval()
    return net


def _check_cell(path, cell) -> None:
    """Only the fixed list of networks can be built from a bundle; the name is never looked up."""
    from tsfc.config import MODELS

    if cell not in MODELS:
        raise BundleError(f"{path}: unknown model type {str(cell)[:40]!r} (known: {', '.join(MODELS)}); fit the model again")


def predict(
    bundle_path: str | Path,
    horizon: int,
    *,
    data: str | Path | None = None,
    read_options=None,
    all_columns: bool = False,
) -> Forecast:
    """Forecast `horizon` steps after the end of the bundle's data, or after the end of `data`.

    Raises:
        UsageError: `horizon` < 1.
        BundleError, DataError.
    """
    if horizon < 1:
        raise UsageError(f"--horizon must be >= 1, got {horizon}")
    loaded = load_bundle(bundle_path)
    m = loaded.manifest
    notes: list[str] = []
    if data is not None:
        context, last, freq = _context_from_csv(loaded, data, read_options, notes)
    else:
        context, freq = loaded.history, m["freq"]
        last = m["last_timestamp"]
    values = forecast_from(loaded, context, horizon)
    notes += _range_notes(loaded, values)
    frame = _frame(m, values, last, freq, horizon, all_columns)
    return Forecast(frame, notes)


def _context_from_csv(loaded: LoadedBundle, data, read_options, notes: list[str]):
    series = load_like_bundle(loaded.manifest, data, read_options)
    notes += series.notes
    if len(series.values) < loaded.window:
        raise DataError(
            f"{series.path}: {len(series.values)} rows is fewer than the model's window of {loaded.window}; "
            f"supply at least {loaded.window} rows"
        )
    last = series.index[-1].isoformat() if series.index is not None else None
    return series.values[-loaded.window :], last, series.freq


def forecast_from(loaded: LoadedBundle, context: np.ndarray, horizon: int) -> np.ndarray:
    """Forecast `horizon` steps after `context` (unscaled rows [window, C]); returns unscaled [H, C]."""
    import torch

    from tsfc.forecast import roll

    torch.set_num_threads(1)
    scaled = torch.from_numpy(loaded.scaler.transform(context))[None]  # [1, W, C]
    out = roll(loaded.net, scaled, horizon)[0].numpy()  # [H, C]
    return loaded.scaler.inverse_transform(out)


def _range_notes(loaded: LoadedBundle, values: np.ndarray) -> list[str]:
    low, high = loaded.scaler.data_min_, loaded.scaler.data_max_
    outside = int(np.sum((values[:, 0] < low[0]) | (values[:, 0] > high[0])))
    if outside:
        return [f"{outside} forecast values of {loaded.manifest['target']} lie outside the training range [{low[0]:.4g}, {high[0]:.4g}]"]
    return []


def _frame(m: dict, values: np.ndarray, last: str | None, freq: str | None, horizon: int, all_columns: bool):
    import pandas as pd

    columns = m["columns"] if all_columns else m["columns"][:1]
    if last is not None and freq:
        from tsfc.data import future_index

        index = future_index(pd.Timestamp(last), freq, horizon)
        index.name = m["date_col"] or "date"
    else:
        index = pd.RangeIndex(1, horizon + 1, name="step")
    return pd.DataFrame(values[:, : len(columns)], index=index, columns=columns)


def describe(bundle_path: str | Path) -> dict:
    """The bundle's manifest, verified (weights checked but the network not rebuilt)."""
    from tsfc import bundle

    manifest, arrays = bundle.load(bundle_path)
    net = manifest.get("net")
    _check_cell(Path(bundle_path).absolute(), net.get("cell") if isinstance(net, dict) else None)
    manifest = dict(manifest)
    manifest["path"] = str(Path(bundle_path).absolute())
    manifest["parameters"] = int(sum(a.size for k, a in arrays.items() if k.startswith("model.")))
    return manifest


# ---------------------------------------------------------------- evaluate

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
        }


def evaluate(
    bundle_path: str | Path,
    horizon: int | None = None,
    *,
    data: str | Path | None = None,
    stride: int = 1,
    season: int | None = None,
    read_options=None,
    threads: int = 0,
) -> Evaluation:
    """Backtest the bundle from every `stride`-th test row and score it beside the baselines.

    Without `data` the bundle's own CSV is re-read (it must be unchanged) and its test split
    (rows >= split.val_end) is evaluated; with `data`, its rows after the bundle's validation data.

    Args:
        horizon: steps per forecast (default: the bundle's block).
        season: seasonal period of the seasonal-naive baseline and MASE (default: from the frequency).
        threads: CPU threads for the model's backtest (0: every usable core).

    Raises:
        UsageError: horizon, stride or season < 1, threads < 0.
        BundleError, DataError (missing or changed source CSV, no rows to evaluate).
    """
    for name, value in (("--horizon", horizon), ("--stride", stride), ("--season", season)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be >= 1, got {value}")
    if threads < 0:
        raise UsageError(f"--threads must be >= 0 (0 = every core), got {threads}")
    from tsfc.baselines import season_for

    loaded = load_bundle(bundle_path)
    m = loaded.manifest
    horizon = horizon or int(m["config"]["block"])
    season = season or season_for(m["freq"])
    notes: list[str] = []
    if data is None:
        series = _source_series(m, read_options)
        start = m["split"]["val_end"]
        train = series.values[: m["split"]["train_end"], 0]
    else:
        series = load_like_bundle(m, data, read_options)
        start = _first_test_row(m, series)
        train = _training_target(m, series, read_options, loaded.window + horizon, notes)
    notes += series.notes
    origins = _origins(series, start, loaded.window, horizon, stride)
    target = series.values[:, 0].astype(np.float64)
    actual = target[origins[:, None] + np.arange(horizon)]  # [N, H]
    predictions = {"model": _backtest_model(loaded, series.values, origins, horizon, threads)}
    predictions.update(_baselines(target, origins, horizon, season, loaded.window, train, notes))
    scale = _mase_scale(m, season, train)
    std = float(m["train_stats"]["std"][0])
    from tsfc.metrics import report

    metrics, by_lead = {}, {}
    for name in METHODS:
        pred = predictions[name]
        metrics[name] = None if pred is None else report(actual, pred, mase_scale=scale, std=std)
        by_lead[name] = None if pred is None else report(actual, pred, mase_scale=scale, std=std, axis=0)
    return Evaluation(
        m["target"], horizon, stride, season, str(series.path), series.index, origins, actual,
        predictions, metrics, by_lead, notes,
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


def load_like_bundle(m: dict, path, read_options):
    """`path` read with the columns, time column and frequency of the bundle whose manifest is `m`."""
    from tsfc.data import load_csv

    return load_csv(
        path, m["target"], features=m["columns"][1:], date_col=m["date_col"] or "none",
        options=read_options, freq=m["freq"],
    )


def _source_series(m: dict, read_options):
    """The CSV the bundle was fitted on, refused if it is gone or changed since."""
    from tsfc.data import file_sha256

    source = m.get("source", {})
    path = Path(source.get("path", ""))
    fix = "pass the CSV to evaluate explicitly: tsfc evaluate DATA.csv"
    if not path.is_file():
        raise DataError(f"{path}: the CSV this bundle was fitted on no longer exists; {fix}")
    if file_sha256(path) != source.get("sha256"):
        raise DataError(f"{path}: the CSV this bundle was fitted on has changed since (SHA-256 differs); {fix}")
    return load_like_bundle(m, path, read_options)


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
    1.9x faster than one worker on 2 idle cores, and unlike OpenMP threads they do not spin
    when the cores are busy (benchmarks/RESULTS.md, section 4).
    """
    import torch

    from tsfc.forecast import backtest
    from tsfc.train import usable_cores

    torch.set_num_threads(1)
    scaled = torch.from_numpy(loaded.scaler.transform(values))  # [rows, C]
    out = backtest(
        loaded.net, scaled, torch.from_numpy(origins), loaded.window, horizon, workers=threads or usable_cores()
    )  # [N, H, C]
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


def _baselines(target, origins, horizon, season, window, train, notes) -> dict:
    from tsfc.baselines import LinearBaseline, naive, seasonal_naive

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
