"""The `update` verb: retrain a bundle on newer data, and replace it only if the new model wins.

Champion/challenger, in this order (the README's "tsfc update" says the same):
1. the new CSV is read like the bundle (its columns, time column and frequency);
2. its last `holdout` rows are held out: by default one horizon's worth of forecast origins
   (2 H - 1 rows for the bundle's default horizon H), fewer if the rows before them could not
   otherwise train the network;
3. a challenger is trained on the rows before them with the bundle's options (`fit_options`;
   options given to `update` win), warm-started from the champion's weights unless `from_scratch`;
4. both are backtested from every holdout row where a whole horizon fits, scored by MASE with
   the champion's scale (MAE when that is undefined);
5. the challenger wins only if its score < the champion's x (1 - margin). Then it is refitted on
   every row (the same recipe, unless `refit` is false) and written atomically, the champion kept
   as PATH.prev (`keep` generations); otherwise the bundle is not touched.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from tsfc.config import FitConfig
from tsfc.errors import DataError, UsageError

DEFAULT_MARGIN = 0.01  # the challenger must be at least 1 % better: a tie keeps the tested model
DEFAULT_KEEP = 1
MAX_LINEAGE = 20  # update records a bundle carries (newest last)
# Options that change the network's tensors (or what it corrects): a warm start keeps the champion's.
SHAPE = ("model", "window", "block", "season", "hidden", "layers", "highway")


@dataclass
class UpdateResult:
    """What `update` decided, with the scores it decided on."""

    bundle: str  # the path as given
    decision: str  # "replaced" or "kept"
    metric: str  # "mase", or "mae" when MASE is undefined
    champion: dict  # metrics.report of each on the holdout
    challenger: dict
    margin: float
    holdout: dict  # rows, origins, horizon, first_origin, last_origin
    warm_start: bool
    refit: bool
    parent_sha256: str
    sha256: str  # the bundle file after the run (the parent's when kept)
    previous: list[str] = field(default_factory=list)  # earlier generations kept beside the bundle
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def replaced(self) -> bool:
        return self.decision == "replaced"

    def line(self) -> str:
        """'kept model.tsfc: challenger MASE 0.91 vs 0.88 on 168 origins'."""
        return (
            f"{self.decision} {self.bundle}: challenger {self.metric.upper()} "
            f"{self.challenger[self.metric]:.4g} vs {self.champion[self.metric]:.4g} on {self.holdout['origins']} origins"
        )

    def to_dict(self) -> dict:
        """What `update --json` prints."""
        threshold = self.champion[self.metric] * (1 - self.margin)
        return {
            "bundle": str(Path(self.bundle).absolute()),
            "decision": self.decision,
            "metric": self.metric,
            "champion": self.champion,
            "challenger": self.challenger,
            "margin": self.margin,
            "threshold": threshold,
            "holdout": self.holdout,
            "warm_start": self.warm_start,
            "refit": self.refit,
            "parent_sha256": self.parent_sha256,
            "sha256": self.sha256,
            "previous": self.previous,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def update(
    bundle_path: str | Path,
    data: str | Path,
    *,
    holdout: int | None = None,
    overrides: dict | None = None,
    from_scratch: bool = False,
    margin: float = DEFAULT_MARGIN,
    keep: int = DEFAULT_KEEP,
    refit: bool = True,
    read_options=None,
    checks=None,
    threads: int = 0,
    wait: bool = False,
    on_phase: Callable[[str], None] | None = None,
    on_epoch: Callable | None = None,
    on_batch: Callable | None = None,
    on_note: Callable[[str], None] | None = None,
    should_stop: Callable[[], int | None] | None = None,
) -> UpdateResult:
    """Train a challenger on `data`, compare it with the bundle on the held-out rows, replace the bundle if it wins.

    Args:
        holdout: rows held out at the end of `data` (default: see the module docstring).
        overrides: fit options (`FitConfig` field names) that replace the bundle's.
        from_scratch: train the challenger from a fresh initialisation instead of the champion's weights.
        margin: the challenger must score below the champion's score x (1 - margin).
        keep: earlier bundles kept beside it when it is replaced (PATH.prev, PATH.prev2, ...).
        refit: after a win, train once more on every row before writing.
        on_phase: called with a short line as each training starts.
        Others as `pipeline.fit_csv`.

    Raises:
        UsageError, DataError, BundleError, TrainingError, OutputError, BusyError, Interrupted.
    """
    import numpy as np

    from tsfc import bundle
    from tsfc.files import locked
    from tsfc.pipeline import fit_series, load_bundle, write_fitted

    _check_arguments(margin, keep)
    started = time.perf_counter()
    say = on_phase or (lambda line: None)
    with locked(bundle_path, wait=wait):
        champion = load_bundle(bundle_path)
        if champion.panel is not None:
            raise UsageError(
                f"{champion.path}: tsfc update retrains one-series bundles; this one holds "
                f"{len(champion.panel.ids)} series (fitted with --id-col): refit it with tsfc fit"
            )
        parent_sha256 = bundle.file_sha256(bundle_path)
        series = _read_new_data(champion, data, read_options, checks)
        config, pinned = challenger_config(champion.manifest, overrides or {}, from_scratch)
        horizon = champion.horizon
        cut = holdout_start(series, config, horizon, holdout, from_scratch)
        notes = list(series.notes) + _overlap_notes(champion.manifest, series, cut)
        initial = None if from_scratch else champion.net.state_dict()
        train = dict(threads=threads, on_epoch=on_epoch, should_stop=should_stop, on_note=on_note, on_batch=on_batch)

        say(f"training the challenger on {cut} rows; {len(series.values) - cut} held out")
        challenger = fit_series(_first_rows(series, cut), config, initial=initial, **train)
        _explain_pinned(challenger.plan, champion.manifest, pinned)
        origins = np.arange(cut, len(series.values) - horizon + 1)
        scores = _score(champion, challenger, series, origins, horizon, threads)
        metric = "mase" if scores["champion"]["mase"] is not None and scores["challenger"]["mase"] is not None else "mae"
        wins = scores["challenger"][metric] < scores["champion"][metric] * (1 - margin)
        held = _holdout_summary(series, cut, origins, horizon)
        result = UpdateResult(
            str(bundle_path), "replaced" if wins else "kept", metric, scores["champion"], scores["challenger"],
            margin, held, not from_scratch, refit and wins, parent_sha256, parent_sha256, notes=notes,
        )
        if wins:
            if refit:
                say(f"the challenger wins; refitting it on all {len(series.values)} rows")
                final = fit_series(series, config, initial=initial, **train)
                _explain_pinned(final.plan, champion.manifest, pinned)
            else:  # the challenger as tested; its history and last timestamp are the data's end
                final = replace(challenger, series=series)
            lineage = _lineage(champion.manifest, result)
            kept = write_fitted(bundle_path, final, should_stop, extra={"lineage": lineage}, keep=keep)
            result.previous = [str(p) for p in kept]
            result.sha256 = bundle.file_sha256(bundle_path)
    result.seconds = time.perf_counter() - started
    return result


def _check_arguments(margin: float, keep: int) -> None:
    import math

    if not (math.isfinite(margin) and margin < 1):
        raise UsageError(f"--margin must be a number below 1 (0.01 = the challenger must be 1 % better), got {margin}")
    if keep < 0:
        raise UsageError(f"--keep must be >= 0 (0 = keep no previous bundle), got {keep}")


def _read_new_data(champion, data, read_options, checks=None):
    """`data` read with the champion's columns, time column and frequency, and checked against
    its data contract (`contract.Checks`: --strict, --max-age)."""
    from tsfc.pipeline import load_like_bundle

    return load_like_bundle(champion.manifest, data, read_options, checks=checks)


def fit_options(manifest: dict) -> dict:
    """The bundle's fit options as given, with those that fit chose from the data set back to
    automatic (0), so that they are chosen again from the new data by the same rules.

    The manifest stores the resolved values and, in `defaults.reasons`, which were given
    (`--window`, `--epochs N`, ...); bundles without reasons keep every resolved value.
    """
    options = dict(manifest["config"])
    reasons = (manifest.get("defaults") or {}).get("reasons")
    if not isinstance(reasons, dict):
        return options
    for name in ("season", "window", "block"):
        if reasons.get(name) != f"--{name}":
            options[name] = 0
    if "batch_size" not in reasons:
        options["batch_size"] = 0
    if options["patience"] == max(4, int(options["epochs"]) // 5):  # the automatic patience for those rounds
        options["patience"] = -1
    if not str(reasons.get("training", "")).startswith("--epochs"):
        # An automatic budget: rounds of all training windows, or at most ROUND_WINDOWS of them.
        from tsfc.defaults import ROUND_WINDOWS

        resolved = manifest["config"]
        train_rows = int(manifest["split"]["rows"] * resolved["split"][0])
        windows = max(1, train_rows - int(resolved["window"]) - int(resolved["block"]) + 1)
        if options["max_windows"] == min(windows, ROUND_WINDOWS):
            options["max_windows"] = 0
        options["epochs"] = 0
    return options


def challenger_config(manifest: dict, overrides: dict, from_scratch: bool) -> tuple[FitConfig, list[str]]:
    """The challenger's options: the bundle's (`fit_options`), the run options (device, threads)
    automatic, `overrides` on top; a warm start keeps the champion's shape (`SHAPE`).

    Returns:
        The config and the shape options that fit had chosen from the data and the warm start keeps.

    Raises:
        UsageError: an override changes the shape without `from_scratch`, or is invalid.
    """
    options = fit_options(manifest)
    options.update(device="auto", threads=0)  # where to train is the machine's business, not the model's
    resolved = manifest["config"]
    pinned = []
    if not from_scratch:
        for name in SHAPE:
            if name in overrides and overrides[name] != resolved[name]:
                flag = "--highway/--no-highway" if name == "highway" else f"--{name} {overrides[name]}"
                raise UsageError(
                    f"{flag} changes the network's shape (the bundle's {name} is {resolved[name]}), so the "
                    "challenger cannot start from the bundle's weights; add --from-scratch"
                )
            if options[name] != resolved[name]:
                pinned.append(name)
            options[name] = resolved[name]
    options.update(overrides)
    return FitConfig.from_dict(options), pinned


def _explain_pinned(plan, manifest: dict, pinned: list[str]) -> None:
    """`info` of the new bundle says which choices were inherited for the warm start, and why they were made."""
    parent = (manifest.get("defaults") or {}).get("reasons") or {}
    for name in pinned:
        if name in plan.reasons:
            plan.reasons[name] = f"kept for the warm start ({parent.get(name, 'the parent bundle')})"


def holdout_start(series, config: FitConfig, horizon: int, holdout: int | None, from_scratch: bool) -> int:
    """The first held-out row: `holdout` rows before the end, or the default (module docstring).

    Raises:
        UsageError: `holdout` is shorter than the horizon (no whole forecast fits).
        DataError: the rows before the holdout cannot train the network's shape.
    """
    from tsfc.windows import rows_needed

    rows = len(series.values)
    needed = rows_needed(config.window or 4, config.block or 1, config.split)
    available = rows - needed
    shape = (
        f"window {config.window}, block {config.block}" if config.window and config.block else "the smallest network"
    )
    split = ",".join(f"{s:g}" for s in config.split)
    if holdout is not None and holdout < horizon:
        raise UsageError(f"--holdout must be at least the bundle's horizon, {horizon} rows, so that one forecast fits; got {holdout}")
    if available < horizon:
        fix = "" if from_scratch else ", or add --from-scratch with a smaller --window"
        raise DataError(
            f"{series.path}: {rows} rows cannot hold out one forecast of {horizon} steps and still train "
            f"{shape} with --split {split}, which needs {needed} rows; supply at least {needed + horizon} rows{fix}"
        )
    if holdout is None:
        holdout = min(2 * horizon - 1, available)
    elif holdout > available:
        raise DataError(
            f"{series.path}: --holdout {holdout} leaves {rows - holdout} rows, fewer than the {needed} that "
            f"{shape} need with --split {split}; lower --holdout to at most {available} or supply more rows"
        )
    return rows - holdout


def _first_rows(series, rows: int):
    """The `data.Series` cut to its first `rows` rows."""
    index = None if series.index is None else series.index[:rows]
    return replace(series, values=series.values[:rows], index=index)


def _overlap_notes(manifest: dict, series, cut: int) -> list[str]:
    """A caveat when the champion was trained or validated on rows of the holdout: the comparison then favours it."""
    import pandas as pd

    split = manifest["split"]
    if series.index is None or not split.get("val_end_time"):
        seen = cut < int(split["val_end"])
        where = f"row {cut}"
    else:
        seen = series.index[cut] < pd.Timestamp(split["val_end_time"])
        where = series.index[cut].isoformat()
    if not seen:
        return []
    return [
        f"the holdout starts at {where}, inside the rows the bundle was trained or validated on, so the "
        "comparison favours the bundle; update with data that runs further past its fit"
    ]


def _score(champion, challenger, series, origins, horizon: int, threads: int) -> dict:
    """Both models backtested from the same origins, on the target's scale, with the champion's MASE scale."""
    import numpy as np

    from tsfc.evaluation import _backtest_model
    from tsfc.metrics import report, seasonal_naive_mae
    from tsfc.pipeline import LoadedBundle

    m = champion.manifest
    target = series.values[:, 0].astype(np.float64)
    actual = target[origins[:, None] + np.arange(horizon)]  # [N, H]
    stored = m["train_stats"].get("mase_scale") or {}
    scale = stored.get("mae") if "season" in stored else seasonal_naive_mae(target[: origins[0]], int(m["config"]["season"]) or 1)
    std = float(m["train_stats"]["std"][0])
    net = challenger.net
    tested = LoadedBundle("", {"net": net.cfg.to_dict()}, net, challenger.scaler, challenger.series.values[-net.cfg.window :])
    return {
        name: report(actual, _backtest_model(model, series.values, origins, horizon, threads), mase_scale=scale, std=std)
        for name, model in (("champion", champion), ("challenger", tested))
    }


def _holdout_summary(series, cut: int, origins, horizon: int) -> dict:
    def when(row: int):
        return int(row) if series.index is None else series.index[int(row)].isoformat()

    return {
        "rows": len(series.values) - cut,
        "origins": len(origins),
        "horizon": horizon,
        "first_origin": when(origins[0]),
        "last_origin": when(origins[-1]),
    }


def _lineage(manifest: dict, result: UpdateResult) -> list[dict]:
    """The parent's update records (at most `MAX_LINEAGE` - 1 of them) and this one, newest last."""
    earlier = manifest.get("lineage")
    earlier = [r for r in earlier if isinstance(r, dict)] if isinstance(earlier, list) else []
    record = {
        "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "decision": result.decision,
        "parent_sha256": result.parent_sha256,
        "parent_created": manifest.get("created"),
        "metric": result.metric,
        "champion": result.champion[result.metric],
        "challenger": result.challenger[result.metric],
        "margin": result.margin,
        "holdout": result.holdout,
        "warm_start": result.warm_start,
        "refit": result.refit,
    }
    return earlier[-(MAX_LINEAGE - 1) :] + [record]
