"""The verbs the CLI calls: fit a CSV into a bundle, forecast from a bundle, describe a bundle.

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

DEFAULT_BLOCK = 24


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
        net, result = _train(series.values, scaler, split, config, block, on_epoch, should_stop)
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
    """The block length to train; with `config.block == 0`, the default shrunk to fit short data."""
    block = config.block or DEFAULT_BLOCK
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


def _train(values, scaler, split, config, block, on_epoch, should_stop):
    import torch

    from tsfc.models import Forecaster, NetConfig
    from tsfc.train import choose_device, seed_everything, set_threads, train

    device = choose_device(config.device)
    set_threads(config.threads, config.hidden)
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

    train_vals = series.values[: split.train_end].astype(np.float64)
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
        "train_stats": {"mean": train_vals.mean(axis=0).tolist(), "std": train_vals.std(axis=0).tolist()},
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

    manifest, arrays = bundle.load(path)
    net = _rebuild(str(path), manifest, arrays)
    try:
        scaler = MinMaxScaling.from_dict(manifest["scaler"])
        columns = manifest["columns"]
        history = arrays["history"]
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"{path}: manifest lacks the scaler, columns or history; fit the model again") from None
    if not (len(columns) == len(scaler.data_min_) == history.shape[1] == net.cfg.columns):
        raise BundleError(f"{path}: column count disagrees between manifest and weights; fit the model again")
    return LoadedBundle(str(path), manifest, net, scaler, history)


def _rebuild(path: str, manifest: dict, arrays: dict):
    import torch

    from tsfc.models import CELLS, Forecaster, NetConfig

    try:
        cfg = NetConfig(**manifest["net"])
    except (KeyError, TypeError):
        raise BundleError(f"{path}: manifest lacks a valid network description; fit the model again") from None
    if cfg.cell not in CELLS:
        raise BundleError(f"{path}: unknown model type {cfg.cell!r} (known: {', '.join(CELLS)}); fit the model again")
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
    values = _forecast_values(loaded, context, horizon)
    notes += _range_notes(loaded, values)
    frame = _frame(m, values, last, freq, horizon, all_columns)
    return Forecast(frame, notes)


def _context_from_csv(loaded: LoadedBundle, data, read_options, notes: list[str]):
    from tsfc.data import load_csv

    m = loaded.manifest
    series = load_csv(
        data,
        m["target"],
        features=m["columns"][1:],
        date_col=m["date_col"] or "none",
        options=read_options,
        freq=m["freq"],
    )
    notes += series.notes
    if len(series.values) < loaded.window:
        raise DataError(
            f"{series.path}: {len(series.values)} rows is fewer than the model's window of {loaded.window}; "
            f"supply at least {loaded.window} rows"
        )
    last = series.index[-1].isoformat() if series.index is not None else None
    return series.values[-loaded.window :], last, series.freq


def _forecast_values(loaded: LoadedBundle, context: np.ndarray, horizon: int) -> np.ndarray:
    import torch

    from tsfc.forecast import roll

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
    manifest = dict(manifest)
    manifest["path"] = str(Path(bundle_path).absolute())
    manifest["parameters"] = int(sum(a.size for k, a in arrays.items() if k.startswith("model.")))
    return manifest
