"""The verbs the CLI calls: fit a CSV into a bundle, load it, forecast from it, describe it.

Plain inputs in, plain results out; no printing, no exit codes. The `evaluate` verb, which
backtests a bundle, lives in ``tsfc.evaluation`` and builds on `load_bundle` here.
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
    plan: "object" = None  # defaults.Plan: what was chosen from the data, and why
    validation: dict | None = None  # verdict.compare_on_validation
    series: int = 0  # series in a many-series fit (0: one series)


@dataclass
class Forecast:
    frame: "object"  # pandas.DataFrame: index = timestamps (or steps), columns = target [, features]
    notes: list[str] = field(default_factory=list)
    history: np.ndarray | None = None  # the stored rows of each frame column: their decimals are the data's
    id_cols: list[str] | None = None  # many series: `frame` is long format (id columns, time, values, method)
    bundle: "LoadedBundle | None" = None  # what forecast it (the ledger records its checksum)
    origins: dict | None = None  # series id ('' for one series) -> its last observed time (None: row order)
    intervals: dict | None = None  # with --level: the levels and the calibration used (`calibration.summary`)


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
    on_batch: Callable[[int, int, int, int], None] | None = None,
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
        on_batch: called after every training batch (see `train.train`).

    Raises:
        DataError, UsageError, TrainingError, OutputError, BusyError, Interrupted.
    """
    from tsfc.data import load_csv
    from tsfc.files import locked

    with locked(bundle_path, wait=wait):
        series = load_csv(csv, target, features=features, date_col=date_col, options=read_options)
        if on_series is not None:
            on_series(series)
        fitted = fit_series(
            series, config, threads=threads, on_epoch=on_epoch, should_stop=should_stop, on_note=on_note,
            on_batch=on_batch,
        )
        write_fitted(bundle_path, fitted, should_stop)
    return fitted.summary(bundle_path)


@dataclass
class Fitted:
    """A trained network and everything its bundle will hold, not yet written (`write_fitted`)."""

    series: "object"  # data.Series: the rows trained on; its last `window` rows become the bundle's history
    config: FitConfig  # resolved: every automatic option chosen
    plan: "object"  # defaults.Plan
    split: Split
    scaler: MinMaxScaling
    net: "object"  # models.Forecaster, on the CPU
    result: "object"  # train.TrainResult
    validation: dict

    def summary(self, bundle_path: str | Path) -> FitSummary:
        return FitSummary(
            bundle=str(Path(bundle_path).absolute()),
            rows=len(self.series.values),
            columns=self.series.columns,
            freq=self.series.freq,
            block=self.config.block,
            epochs_run=len(self.result.history),
            best_epoch=self.result.best_epoch,
            best_val_loss=self.result.best_val_loss,
            stopped=self.result.stopped,
            seconds=self.result.seconds,
            device=self.result.device,
            notes=list(self.series.notes),
            plan=self.plan,
            validation=self.validation,
        )


def fit_series(
    series,
    config: FitConfig,
    *,
    initial: dict | None = None,
    threads: int = 0,
    on_epoch: Callable | None = None,
    should_stop: Callable[[], int | None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_batch: Callable[[int, int, int, int], None] | None = None,
) -> Fitted:
    """Train the network described by `config` on a loaded `data.Series`; write nothing.

    Args:
        initial: a state dict of the same network to start from (a warm start) instead of the
            random initialisation; the linear start is fitted anew on `series` either way.
        Others as `fit_csv`.

    Raises:
        DataError (too few rows), UsageError, TrainingError, Interrupted.
    """
    rows = len(series.values)
    config, plan = _resolve(config, rows, series.freq, str(series.path))
    split = Split.from_fractions(rows, config.split)
    scaler = MinMaxScaling.fit(series.values[: split.train_end])
    job = Job(scaler.transform(series.values), *sample_starts(split, config.window, config.block),
              val_rows=(split.train_end, split.val_end))
    net, result = _train(job, config, threads, on_epoch, should_stop, on_note, on_batch, initial)
    from tsfc.verdict import compare_on_validation

    validation = compare_on_validation(net, scaler, series.values, split, plan.season)
    return Fitted(series, config, plan, split, scaler, net, result, validation)


def write_fitted(
    bundle_path: str | Path, fitted: Fitted, should_stop=None, *, extra: dict | None = None, keep: int = 0
) -> list[Path]:
    """Write `fitted` as a bundle, atomically; `extra` adds manifest keys, `keep` as `bundle.save`.

    Returns:
        The paths holding earlier generations (`bundle.save`).

    Raises:
        Interrupted: `should_stop` asked to stop (checked last, so nothing is written).
        OutputError.
    """
    f = fitted
    manifest = _manifest(f.series, f.config, f.plan, f.split, f.scaler, f.net, f.result, f.validation)
    manifest.update(extra or {})
    tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in f.net.state_dict().items()}
    tensors["history"] = f.series.values[-f.config.window :]
    from tsfc import bundle

    if should_stop is not None and (code := should_stop()) is not None:
        from tsfc.errors import Interrupted

        raise Interrupted("interrupted; nothing was written", exit_code=code)

    return bundle.save(bundle_path, manifest, tensors, keep=keep)


def _resolve(config: FitConfig, rows: int, freq: str | None, path: str, lengths=None):
    """`config` with every automatic option chosen from the data (`tsfc.defaults`), and the plan.

    Many series (`lengths`): `rows` is the longest series' length, which must hold the windows.
    """
    from dataclasses import replace

    from tsfc.defaults import plan as make_plan

    plan = make_plan(config, rows, freq, lengths)
    needed = rows_needed(plan.window, plan.block, config.split)
    if rows < needed:
        if lengths is not None:
            raise DataError(
                f"{path}: the longest series has {rows} rows, too few for --window {plan.window} with --split "
                f"{','.join(f'{s:g}' for s in config.split)}; need at least {needed} rows in some series "
                "(lower --window or supply more data)"
            )
        raise DataError(
            f"{path}: {rows} rows is too few for --window {plan.window} with --split "
            f"{','.join(f'{s:g}' for s in config.split)}; need at least {needed} rows "
            "(lower --window or supply more data)"
        )
    resolved = replace(
        config, window=plan.window, block=plan.block, epochs=plan.epochs, batch_size=plan.batch_size,
        max_windows=plan.max_windows, patience=plan.patience, season=plan.season,
    )
    return resolved, plan


@dataclass
class Job:
    """What the network trains on: scaled rows and the windows drawn from them."""

    scaled: np.ndarray  # [rows, C] float32: one series, or many one after another
    train_starts: "object"  # start rows of training windows (range or int array)
    val_starts: "object"
    val_rows: "object"  # (first, end) rows validation scores, or a bool array [rows]
    weights: np.ndarray | None = None  # sampling weight of each training window (None: uniform)


def _train(job: Job, config, threads, on_epoch, should_stop, on_note, on_batch=None, initial=None):
    """Train on the chosen device; with ``--device auto``, an out-of-memory GPU falls back to the CPU once."""
    import torch

    from tsfc import train
    from tsfc.errors import OutOfMemory

    device = train.choose_device(config.device)
    train.set_threads(threads or config.threads, config.hidden)
    try:
        return _train_on(device, job, config, on_epoch, should_stop, on_batch, initial)
    except (OutOfMemory, torch.OutOfMemoryError) as exc:  # the latter: moving data, validation
        message = f"out of memory on {device}; lower --batch-size or use --device cpu"
        if config.device != "auto" or device.type == "cpu":
            raise OutOfMemory(message) from exc
    if on_note is not None:
        on_note(f"{message}; training again on the CPU")
    return _train_on(torch.device("cpu"), job, config, on_epoch, should_stop, on_batch, initial)


def _train_on(device, job: Job, config, on_epoch, should_stop, on_batch=None, initial=None):
    import torch

    from tsfc.models import Forecaster, NetConfig
    from tsfc.train import seed_everything, train
    from tsfc.windows import sliding

    block = config.block
    seed_everything(config.seed)
    net_cfg = NetConfig(
        cell=config.model,
        columns=job.scaled.shape[1],
        window=config.window,
        block=block,
        hidden=config.hidden,
        layers=config.layers,
        dropout=config.dropout,
        norm=config.norm,
        highway=config.highway,
        season=config.season,
    )
    net = Forecaster(net_cfg)
    if initial is not None:  # a warm start (tsfc update); the ridge fit below replaces the highway
        net.load_state_dict(initial)
    net = net.to(device)
    series = torch.from_numpy(job.scaled).to(device)
    train_starts, val_starts = job.train_starts, job.val_starts
    start = None
    if net.highway is not None:
        from tsfc.linear import ridge_start

        start = ridge_start(net, sliding(series, config.window + block), train_starts, seed=config.seed)
        # The highway keeps its ridge fit; only the recurrent path trains, so training cannot
        # undo the linear start (on ETTh1 training both from it ended worse on the test rows).
        net.highway.requires_grad_(False)
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
        val_rows=torch.from_numpy(job.val_rows) if isinstance(job.val_rows, np.ndarray) else job.val_rows,
        weights=None if job.weights is None else torch.from_numpy(job.weights),
        on_epoch=on_epoch,
        should_stop=should_stop,
        on_batch=on_batch,
    )
    result.linear_start = start
    return net.cpu(), result


def _manifest(series, config, plan, split, scaler, net, result, validation) -> dict:
    index = series.index

    def stamp(row: int):
        return None if index is None or row >= len(index) else index[row].isoformat()

    from tsfc.calibration import on_rows, stamper
    from tsfc.contract import record
    from tsfc.metrics import seasonal_naive_mae

    train_vals = series.values[: split.train_end].astype(np.float64)
    season = config.season
    # the interval widths (`tsfc.calibration`): the network's errors on the validation rows
    calibration = on_rows(net, scaler.transform(series.values), split.train_end, split.val_end,
                          max(config.block, plan.horizon), "validation", stamper(index))
    return {
        **manifest_header(config, plan, validation, net),
        "calibration": calibration,
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
        "contract": record(series, split.train_end),
        "training": training_record(result),
    }


def manifest_header(config, plan, validation, net) -> dict:
    """The manifest fields every bundle starts with: versions, when, the options and plan, the network."""
    import torch

    return {
        "tsfc_version": __version__,
        "torch_version": torch.__version__.split("+")[0],
        "python_version": platform.python_version(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "defaults": plan.to_dict(),
        "validation": validation,
        "net": net.cfg.to_dict(),
    }


def training_record(result) -> dict:
    """A `train.TrainResult` as the manifest's "training" (plain JSON)."""
    return {
        "device": result.device,
        "seconds": round(result.seconds, 3),
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "best_val_loss": result.best_val_loss,
        "stopped": result.stopped,
        "linear_start": result.linear_start,
        "history": [
            {"epoch": e.epoch, "train_loss": e.train_loss, "val_loss": e.val_loss, "seconds": round(e.seconds, 3)}
            for e in result.history
        ],
    }


@dataclass
class LoadedBundle:
    """A verified bundle with its network rebuilt on the CPU."""

    path: str
    manifest: dict
    net: "object"
    scaler: MinMaxScaling | None  # None for many series: each has its own (`panel`)
    history: np.ndarray  # [window, C]; many series: [S, window, C]
    panel: "PanelState | None" = None
    checksum: str = ""  # SHA-256 of the bundle file as loaded (`bundle.load_with_checksum`)

    @property
    def window(self) -> int:
        return int(self.manifest["net"]["window"])

    @property
    def horizon(self) -> int:
        """The default horizon of predict, evaluate and plot (chosen at fit time; before 0.2: the block)."""
        return default_horizon(self.manifest)


@dataclass
class PanelState:
    """What a bundle of many series keeps per series (`tsfc.many`)."""

    id_cols: list[str]
    ids: list[str]
    low: np.ndarray  # [S, C] each series' scaler minimum
    high: np.ndarray  # [S, C] and maximum
    rows: np.ndarray  # [S] int: real rows in each history (shorter series are padded at the front)
    last: list  # [S] ISO timestamps of each series' last row (None entries without a time column)
    methods: list[str]  # [S] "network", or the baseline that forecasts a series too short for the window
    mase_scale: np.ndarray  # [S] in-sample seasonal-naive MAE of each series' training rows (0: undefined)
    std: np.ndarray  # [S] standard deviation of each series' training target
    lengths: np.ndarray  # [S] int: each series' rows at fit time
    fractions: tuple  # the split's train, validation, test fractions (each series split on its own)


def default_horizon(manifest: dict) -> int:
    """The fit-time default horizon of a bundle's manifest (older bundles: their block)."""
    chosen = (manifest.get("defaults") or {}).get("horizon")
    return int(chosen) if isinstance(chosen, int) and chosen > 0 else int(manifest["config"]["block"])


def load_bundle(path: str | Path) -> LoadedBundle:
    """Load, verify and rebuild the model in `path` on the CPU.

    Raises:
        BundleError: missing, corrupt, tampered with, incompatible, or weights of the wrong shape.
    """
    from tsfc import bundle

    path = Path(path).absolute()
    manifest, arrays, checksum = bundle.load_with_checksum(path)
    net = _rebuild(str(path), manifest, arrays)
    if "panel" in manifest:
        panel = _check_panel(str(path), manifest, arrays, net.cfg)
        return LoadedBundle(str(path), manifest, net, None, arrays["history"], panel, checksum)
    scaler, history = _check_manifest(str(path), manifest, arrays, net.cfg)
    return LoadedBundle(str(path), manifest, net, scaler, history, checksum=checksum)


def _check_panel(path: str, m: dict, arrays: dict, cfg) -> PanelState:
    """`_check_manifest` for a bundle of many series: every per-series array has one row per id."""

    def bad(what: str) -> BundleError:
        return BundleError(f"{path}: {what}; fit the model again")

    p = m["panel"]
    try:
        ids, id_cols, last, methods = p["ids"], p["id_cols"], p["last"], p["methods"]
        columns = m["columns"]
    except (KeyError, TypeError):
        raise bad("manifest lacks the series of a many-series bundle") from None
    S = len(ids) if isinstance(ids, list) else -1
    strings = lambda xs: isinstance(xs, list) and all(isinstance(x, str) for x in xs)  # noqa: E731
    if S < 1 or not (strings(ids) and strings(id_cols) and strings(methods)) or len(set(ids)) != S:
        raise bad("manifest series ids are invalid")
    lengths = p.get("lengths")
    if not (isinstance(last, list) and len(last) == S and len(methods) == S and isinstance(lengths, list)
            and len(lengths) == S and all(isinstance(n, int) and n > 0 for n in lengths)):
        raise bad("manifest per-series lists have the wrong length")
    if not (strings(columns) and len(columns) == cfg.columns and m.get("target") == columns[0]):
        raise bad("manifest columns disagree with the network or the target")
    shapes = {"history": (S, cfg.window, cfg.columns), "panel.low": (S, cfg.columns), "panel.high": (S, cfg.columns),
              "panel.rows": (S,), "panel.mase_scale": (S,), "panel.std": (S,)}
    for name, shape in shapes.items():
        if name not in arrays or arrays[name].shape != shape:
            raise bad(f"tensor {name} is missing or has the wrong shape (expected {shape})")
    return PanelState(
        id_cols, ids, arrays["panel.low"].astype(np.float64), arrays["panel.high"].astype(np.float64),
        arrays["panel.rows"].astype(np.int64), last, methods, arrays["panel.mase_scale"].astype(np.float64),
        arrays["panel.std"].astype(np.float64), np.asarray(lengths, dtype=np.int64),
        tuple(m["config"]["split"]),
    )


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
    horizon: int | None = None,
    *,
    data: str | Path | None = None,
    read_options=None,
    all_columns: bool = False,
    levels: list[float] | None = None,
    recalibrate: int | None = None,
    clip_min: float | None = None,
    checks=None,
) -> Forecast:
    """Forecast `horizon` steps (default: the bundle's) after the end of its data, or of `data`.

    `checks` (a `contract.Checks`): how strictly `data` are checked against the bundle's
    contract; its `max_age` applies to the bundle's own data when `data` is None.

    Args:
        levels: interval levels in %: adds `<target>_lo_<level>` and `<target>_hi_<level>` columns.
        recalibrate: origins of `data` to recalibrate the intervals on (None: `calibration.RECENT`
            with `data`, else the bundle's calibration; 0: the bundle's).
        clip_min: raise the target's forecast and bounds to at least this.

    Raises:
        UsageError: `horizon` < 1, `recalibrate` without `data`.
        BundleError: no calibration in the bundle for `levels`.
        DataError (also a stale feed, or a contract note under --strict).
    """
    if horizon is not None and horizon < 1:
        raise UsageError(f"--horizon must be >= 1, got {horizon}")
    check_clip_min(clip_min)
    loaded = bundle_path if isinstance(bundle_path, LoadedBundle) else load_bundle(bundle_path)
    m = loaded.manifest
    horizon = horizon or loaded.horizon
    notes: list[str] = []
    series = None
    if data is not None:
        context, last, freq, series = _context_from_csv(loaded, data, read_options, notes, checks)
    else:
        from tsfc.contract import check_age

        context, freq = loaded.history, m["freq"]
        last = m["last_timestamp"]
        check_age(last, checks, (m.get("contract") or {}).get("utc", False), f"the data of {loaded.path}")
    values = forecast_from(loaded, context, horizon)
    notes += _range_notes(loaded, values)
    if clip_min is not None:
        values[:, 0] = np.maximum(values[:, 0], clip_min)
    frame = _frame(m, values, last, freq, horizon, all_columns)
    about = None
    if levels:
        observed = (None, None) if series is None else (series.values, series.index)
        frame, about = _with_intervals(loaded, frame, levels, *observed, recalibrate, clip_min, notes)
    bounds = len(frame.columns) - (len(m["columns"]) if all_columns else 1)
    stored = [0] * (1 + bounds) + list(range(1, len(frame.columns) - bounds))  # the target's rows for its bounds
    return Forecast(frame, notes, loaded.history[:, stored], bundle=loaded, origins={"": last}, intervals=about)


def check_clip_min(clip_min: float | None) -> None:
    """Raise `UsageError` for a --clip-min that is not a finite number."""
    import math

    if clip_min is not None and not math.isfinite(clip_min):
        raise UsageError(f"--clip-min must be a finite number such as 0, got {clip_min}")


def _with_intervals(loaded: LoadedBundle, frame, levels, values, index, recalibrate, clip_min, notes: list[str]):
    """`frame` with the interval columns after the target, and what `Forecast.intervals` says."""
    import pandas as pd

    from tsfc.calibration import bands, for_forecast, interval_columns, summary

    width, calibration, caveats = for_forecast(loaded, levels, len(frame), values=values, times=index,
                                               recalibrate=recalibrate)
    notes += caveats
    lo, hi = bands(frame.iloc[:, 0].to_numpy(), width, clip_min)  # [L, H] each
    columns = interval_columns(loaded.manifest["target"], levels)
    bounds = pd.DataFrame(np.stack([lo, hi], axis=1).reshape(len(columns), -1).T, index=frame.index, columns=columns)
    frame = pd.concat([frame.iloc[:, :1], bounds, frame.iloc[:, 1:]], axis=1)
    plain = [int(level) if float(level).is_integer() else level for level in levels]
    return frame, {"levels": plain, "calibration": summary(calibration)}


def _context_from_csv(loaded: LoadedBundle, data, read_options, notes: list[str], checks=None):
    series = load_like_bundle(loaded.manifest, data, read_options, checks)
    notes += series.notes
    if len(series.values) < loaded.window:
        raise DataError(
            f"{series.path}: {len(series.values)} rows is fewer than the model's window of {loaded.window}; "
            f"supply at least {loaded.window} rows"
        )
    last = series.index[-1].isoformat() if series.index is not None else None
    return series.values[-loaded.window :], last, series.freq, series


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


def load_like_bundle(m: dict, path, read_options, checks=None):
    """`path` read with the columns, time column and frequency of the bundle whose manifest is `m`,
    and checked against its data contract (`tsfc.contract`): the contract's notes join the
    series' notes.

    Args:
        checks: a `contract.Checks` (--strict, --max-age); None: notes only.

    Raises:
        DataError: as `load_csv`; a file without the bundle's columns says which it lacks (and
            guesses renames); a stale feed, or a contract note under --strict.
        UsageError: --max-age for data without timestamps.
    """
    from tsfc.contract import check_series, columns_error
    from tsfc.data import column_names, load_csv

    try:
        series = load_csv(
            path, m["target"], features=m["columns"][1:], date_col=m["date_col"] or "none",
            options=read_options, freq=m["freq"],
        )
    except DataError as exc:
        try:
            names = column_names(path, read_options)
        except DataError:
            raise exc from None
        mismatch = columns_error(m, path, names)
        if mismatch is None:
            raise
        raise mismatch from None
    series.notes += check_series(m, series, checks)
    return series
