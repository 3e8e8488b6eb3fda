"""The verbs for many series in one file: one global network fitted on all of them, forecasts
for every series in one batched roll, and the dispatch that lets `predict` and `evaluate` take
either kind of bundle.

Plain inputs in, plain results out, like `tsfc.pipeline`, on whose training core and bundle
loading this builds. A series too short for the network's window is never dropped: it is
forecast by seasonal naive (naive when shorter than a season), and the forecast's `method`
column, `info` and a note say which series did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsfc import panel as pn
from tsfc.errors import DataError, UsageError
from tsfc.pipeline import FitSummary, Forecast, LoadedBundle, load_bundle, manifest_header, training_record

NETWORK = "network"


def fit(csv, target: str, id_cols: list[str], config, bundle_path, *, features=None, date_col=None,
        read_options=None, on_series=None, on_epoch=None, should_stop=None, wait: bool = False,
        threads: int = 0, on_note=None, on_batch=None) -> FitSummary:
    """Fit one network on every series of a long-format CSV and write the bundle atomically.

    Args and raises as `pipeline.fit_csv`; `id_cols` name the column(s) that identify a series.
    """
    from tsfc.files import locked
    from tsfc.pipeline import Job, _resolve, _train

    with locked(bundle_path, wait=wait):
        data = pn.read_panel(csv, target, id_cols, features=features, date_col=date_col, options=read_options)
        if on_series is not None:
            on_series(data)
        lengths = data.lengths
        config, plan = _resolve(config, int(lengths.max()), data.freq, data.path, lengths=lengths)
        splits = pn.splits(lengths, config.split)
        low, high = pn.scalers(data, splits)
        scaled = pn.scale(data.values, lengths, low, high)
        drawn = pn.samples(data.offsets, splits, config.window, config.block, config.seed)
        if not len(drawn.train) or not len(drawn.val):
            raise DataError(
                f"{data.path}: no series is long enough for a training and a validation window of "
                f"{config.window} + {config.block} rows; lower --window or supply longer series"
            )
        job = Job(scaled, drawn.train, drawn.val, drawn.val_rows, drawn.weights)
        net, result = _train(job, config, threads, on_epoch, should_stop, on_note, on_batch)
        from tsfc.verdict import compare_panel_on_validation

        validation = compare_panel_on_validation(net, data, scaled, splits, low, high, plan.season, config.seed)
        methods = [pn.fallback(int(n), config.window, plan.season) or NETWORK for n in lengths]
        manifest = _manifest(data, config, plan, splits, net, result, validation, methods, drawn)
        manifest["calibration"] = pooled_calibration(net, scaled, data.offsets, splits, max(config.block, plan.horizon),
                                                     config.seed)
        tensors = _tensors(data, config, net, low, high, splits, plan.season)
        from tsfc import bundle

        if should_stop is not None and (code := should_stop()) is not None:
            from tsfc.errors import Interrupted

            raise Interrupted("interrupted; nothing was written", exit_code=code)
        bundle.save(bundle_path, manifest, tensors)
    short = [sid for sid, how in zip(data.ids, methods) if how != NETWORK]
    notes = list(data.notes)
    if short:
        notes.append(f"{len(short)} series shorter than the window of {config.window} rows are forecast by "
                     f"a baseline (seasonal naive, or naive below one season): {pn._names(short)}")
    return FitSummary(
        bundle=str(Path(bundle_path).absolute()), rows=int(lengths.sum()), columns=data.columns, freq=data.freq,
        block=config.block, epochs_run=len(result.history), best_epoch=result.best_epoch,
        best_val_loss=result.best_val_loss, stopped=result.stopped, seconds=result.seconds, device=result.device,
        notes=notes, plan=plan, validation=validation, series=len(data.ids),
    )


def _tensors(data: pn.Panel, config, net, low, high, splits, season: int) -> dict:
    """Weights, each series' last window (padded at the front with its first row) and statistics."""
    from tsfc.metrics import seasonal_naive_mae

    W, S = config.window, len(data.ids)
    history = np.empty((S, W, data.values.shape[1]), dtype=np.float32)
    rows = np.empty(S, dtype=np.float32)
    scale = np.zeros(S, dtype=np.float32)
    std = np.zeros(S, dtype=np.float32)
    for s, split in enumerate(splits):
        values = data.series(s)
        tail = values[-W:]
        history[s, W - len(tail):] = tail
        history[s, : W - len(tail)] = tail[0]
        rows[s] = len(tail)
        train = values[: max(split.train_end, 1), 0].astype(np.float64)
        scale[s] = seasonal_naive_mae(train, season) or 0.0
        std[s] = train.std()
    tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    tensors.update({"history": history, "panel.low": low, "panel.high": high, "panel.rows": rows,
                    "panel.mase_scale": scale, "panel.std": std})
    return tensors


def _manifest(data: pn.Panel, config, plan, splits, net, result, validation, methods, drawn) -> dict:
    import pandas as pd

    last = [None if data.last is None else pd.Timestamp(t).isoformat() for t in
            (data.last if data.last is not None else [None] * len(data.ids))]
    lengths = data.lengths
    return {
        **manifest_header(config, plan, validation, net),
        "target": data.columns[0],
        "columns": list(data.columns),
        "date_col": data.date_col,
        "freq": data.freq,
        "last_timestamp": max((t for t in last if t is not None), default=None),
        "panel": {
            "id_cols": list(data.id_cols),
            "ids": list(data.ids),
            "last": last,
            "methods": methods,
            "lengths": [int(n) for n in lengths],
            "trained_series": int(drawn.trained.sum()),
        },
        "train_stats": {"mase_scale": {"season": plan.season, "per_series": True}},
        "split": {"fractions": list(config.split), "rows": int(lengths.sum()),
                  "train_rows": int(sum(s.train_end for s in splits)),
                  "val_rows": int(sum(s.val_end - s.train_end for s in splits))},
        "source": {"path": str(data.path), "sha256": data.sha256, "rows": int(lengths.sum()), "notes": list(data.notes)},
        "training": training_record(result),
    }


# --- predict ---------------------------------------------------------------------

def predict(bundle_path, horizon: int | None = None, *, data=None, read_options=None, all_columns: bool = False,
            ids: list[str] | None = None, checks=None, **intervals) -> Forecast:
    """Forecast from a bundle of one series (`pipeline.predict`) or of many (long format, every series
    or `ids`; with `data`, each series of that CSV continues from its own newest rows).
    `intervals` (levels, recalibrate, clip_min) go to `pipeline.predict`: one series only so far.

    `checks` (a `contract.Checks`): for one series, the data contract; for many, `--max-age`
    on the newest timestamp of the data.

    Raises:
        UsageError: `horizon` < 1, `ids` for a one-series bundle or naming unknown series.
        BundleError, DataError.
    """
    from tsfc.pipeline import predict as predict_one

    if horizon is not None and horizon < 1:
        raise UsageError(f"--horizon must be >= 1, got {horizon}")
    loaded = load_bundle(bundle_path)
    if loaded.panel is None:
        if ids:
            raise UsageError("--ids needs a bundle of many series (fit with --id-col)")
        return predict_one(loaded, horizon, data=data, read_options=read_options, all_columns=all_columns,
                           checks=checks, **intervals)
    levels, clip_min = intervals.get("levels") or [], intervals.get("clip_min")
    if intervals.get("recalibrate"):
        raise UsageError("--calibration recalibrates one series' intervals; a many-series bundle uses the "
                         "calibration pooled over its series at fit time (leave --calibration out)")
    from tsfc.pipeline import check_clip_min

    check_clip_min(clip_min)
    horizon = horizon or loaded.horizon
    notes: list[str] = []
    if data is None:
        stored = loaded.panel.last
        _check_age(checks, None if any(t is None for t in stored) else stored, f"the data of {loaded.path}")
        context = _stored_context(loaded, ids)
    else:
        context = _context_from_csv(loaded, data, read_options, ids, notes, checks)
    values = forecast_many(loaded, context, horizon)
    if clip_min is not None:
        for v in values:
            v[:, 0] = np.maximum(v[:, 0], clip_min)
    m = loaded.manifest
    columns = m["columns"] if all_columns else m["columns"][:1]
    fallback = [sid for sid, how in zip(context.ids, context.methods) if how != NETWORK]
    if fallback:
        notes.append(f"{len(fallback)} series too short for the window of {loaded.window} rows were forecast by "
                     f"a baseline (see the method column): {pn._names(fallback)}")
    times = pn.future_times(context.last, m["freq"], horizon, len(context.ids))
    time_name = (m["date_col"] or "date") if context.last is not None and m["freq"] else "step"
    frame = pn.long_frame(loaded.panel.id_cols, context.ids, times, columns,
                          [v[:, : len(columns)] for v in values], time_name, context.methods)
    about = None
    if levels:
        frame, about = _with_intervals(loaded, context, frame, values, levels, horizon, clip_min, notes)
    origins = dict(zip(context.ids, [None] * len(context.ids) if context.last is None else list(context.last)))
    history = loaded.history.reshape(-1, loaded.history.shape[-1])
    stored = [0] * (1 + 2 * len(levels)) + list(range(1, len(columns)))  # the target's decimals for its bounds
    return Forecast(frame, notes, history[:, stored], loaded.panel.id_cols, bundle=loaded, origins=origins,
                    intervals=about)


def _with_intervals(loaded: LoadedBundle, context, frame, values, levels, horizon, clip_min, notes: list[str]):
    """The long `frame` with `<target>_lo_<level>`/`_hi_<level>` after the target: the pooled calibration's
    widths (scaled units) times each series' own scale; empty for series a baseline forecasts."""
    from tsfc.calibration import bands, interval_columns, notes as caveats, stored, summary, widths

    calibration = stored(loaded)
    notes += caveats(calibration, levels, horizon)
    span = context.high[:, 0] - context.low[:, 0]
    span = np.where(span == 0, 1.0, span)  # [k]
    half = widths(calibration, levels, horizon)[None] * span[:, None, None]  # [k, L, H]
    point = np.stack([v[:, 0] for v in values])  # [k, H]
    lo, hi = bands(point, half, clip_min)  # [k, L, H]
    baseline = np.array([how != NETWORK for how in context.methods])
    lo[baseline], hi[baseline] = np.nan, np.nan
    if baseline.any():
        notes.append(f"no intervals for the {int(baseline.sum())} series a baseline forecasts (their bounds are empty)")
    target = loaded.manifest["target"]
    columns = interval_columns(target, levels)  # lo, hi per level
    at = list(frame.columns).index(target) + 1
    for j, name in enumerate(columns):
        bound = (lo if j % 2 == 0 else hi)[:, j // 2, :].reshape(-1)
        frame.insert(at + j, name, bound)
    plain = [int(level) if float(level).is_integer() else level for level in levels]
    return frame, {"levels": plain, "calibration": summary(calibration)}


def pooled_calibration(net, scaled: np.ndarray, offsets: np.ndarray, splits, leads: int, seed: int) -> dict | None:
    """One calibration (`tsfc.calibration`) from the network's errors on every series' validation rows,
    each in its own scaled units and pooled by lead (at most `pn.MAX_VAL_WINDOWS` origins, a seeded
    sample): the network forecasts every series in scaled units, so one set of scaled widths serves
    all of them, turned into each series' units by its own scale."""
    import torch

    from tsfc.calibration import calibrate
    from tsfc.forecast import backtest

    window = net.cfg.window
    origins, firsts, ends = [], [], []
    for s, split in enumerate(splits):
        base = int(offsets[s])
        local = np.arange(max(window, split.train_end - leads + 1), split.val_end)
        origins.append(local + base)
        firsts.append(np.full(len(local), base + split.train_end))
        ends.append(np.full(len(local), base + min(split.val_end, int(offsets[s + 1] - offsets[s]))))
    origins, firsts, ends = np.concatenate(origins), np.concatenate(firsts), np.concatenate(ends)
    if len(origins) == 0:
        return None
    if len(origins) > pn.MAX_VAL_WINDOWS:
        pick = np.sort(np.random.default_rng(seed).choice(len(origins), pn.MAX_VAL_WINDOWS, replace=False))
        origins, firsts, ends = origins[pick], firsts[pick], ends[pick]
    rows = origins[:, None] + np.arange(leads)  # [n, leads]
    inside = (rows >= firsts[:, None]) & (rows < ends[:, None])
    series = torch.from_numpy(scaled)
    # a forecast never reads past its own series: the window ends at the origin; its target rows
    # outside the validation rows are masked (they may belong to the next series)
    with torch.no_grad():
        forecast = backtest(net, series, torch.from_numpy(origins), window, leads).numpy()[..., 0]  # [n, leads]
    actual = scaled[np.minimum(rows, len(scaled) - 1), 0]
    errors = np.where(inside, np.abs(forecast - actual), np.nan)
    return calibrate(errors, "validation", (None, None))


class Context:
    """The rows each series' forecast starts from, with its scaling and method."""

    def __init__(self, ids, history, rows, low, high, methods, last):
        self.ids = ids  # [k] ids
        self.history = history  # [k, W, C] unscaled, padded at the front
        self.rows = rows  # [k] real rows in each history
        self.low, self.high = low, high  # [k, C]
        self.methods = methods  # [k] NETWORK or a baseline's name
        self.last = last  # [k] datetime64 of each series' last row, or None


def _stored_context(loaded: LoadedBundle, ids: list[str] | None) -> Context:
    state = loaded.panel
    pick = pn.select(state.ids, ids) if ids else list(range(len(state.ids)))
    last = None
    if all(t is not None for t in state.last):
        last = np.array([state.last[i] for i in pick], dtype="datetime64[ns]")
    return Context([state.ids[i] for i in pick], loaded.history[pick], state.rows[pick], state.low[pick],
                   state.high[pick], [state.methods[i] for i in pick], last)


def _context_from_csv(loaded: LoadedBundle, path, read_options, ids, notes: list[str], checks=None) -> Context:
    """Each series of `path` continues from its newest rows; ids the bundle has never seen are
    scaled on their own rows (with a note) when they hold a window, else forecast by a baseline."""
    m, state = loaded.manifest, loaded.panel
    data = read_like_bundle(m, path, read_options)
    _check_age(checks, data.last, data.path)
    notes += data.notes
    W, season = loaded.window, int(m["defaults"]["season"])
    where = {sid: i for i, sid in enumerate(state.ids)}
    chosen = range(len(data.ids))
    if ids:
        present = {sid: i for i, sid in enumerate(data.ids)}
        missing = [sid for sid in ids if sid not in present]
        if missing:
            raise UsageError(f"--ids: no series {missing[0]!r} in {data.path}")
        chosen = [present[sid] for sid in ids]
    C = data.values.shape[1]
    k = len(chosen)
    history = np.empty((k, W, C), dtype=np.float32)
    rows, low, high = np.empty(k, dtype=np.int64), np.empty((k, C)), np.empty((k, C))
    methods, unseen = [], []
    for j, s in enumerate(chosen):
        values = data.series(s)
        tail = values[-W:]
        history[j, W - len(tail):], history[j, : W - len(tail)] = tail, tail[0]
        rows[j] = len(tail)
        sid = data.ids[s]
        if sid in where:
            low[j], high[j] = state.low[where[sid]], state.high[where[sid]]
        else:
            unseen.append(sid)
            low[j], high[j] = values.min(axis=0), values.max(axis=0)
        methods.append(pn.fallback(len(values), W, season) or NETWORK)
    if unseen:
        notes.append(f"{len(unseen)} series the bundle was not fitted on are forecast from their own rows, "
                     f"scaled on them: {pn._names(unseen)}")
    absent = len(set(state.ids) - set(data.ids))
    if absent and not ids:
        notes.append(f"{absent} series of the bundle are not in {data.path} and are not forecast")
    last = None if data.last is None else data.last[list(chosen)]
    return Context([data.ids[s] for s in chosen], history, rows, low, high, methods, last)


def _check_age(checks, last, where) -> None:
    """`--max-age` for many series: the newest timestamp of any series (`last`: [S] or None)."""
    from tsfc.contract import check_age

    check_age(None if last is None or not len(last) else np.max(np.asarray(last, dtype="datetime64[ns]")),
              checks, False, where)


def read_like_bundle(m: dict, path, read_options) -> pn.Panel:
    """`path` read as the bundle of many series whose manifest is `m` was fitted (same id, time,
    target and feature columns, same frequency)."""
    return pn.read_panel(path, m["target"], m["panel"]["id_cols"], features=m["columns"][1:],
                         date_col=m["date_col"] or "none", options=read_options, freq=m["freq"])


def forecast_many(loaded: LoadedBundle, context: Context, horizon: int) -> list[np.ndarray]:
    """Each series' forecast [H, C] (unscaled): the network for all that hold a window, in one
    batched roll (chunks of `forecast.inference_chunk`), a baseline for the rest."""
    import torch

    from tsfc.forecast import CPU_CHUNK, roll

    season = int(loaded.manifest["defaults"]["season"])
    net_rows = [j for j, how in enumerate(context.methods) if how == NETWORK]
    out: list[np.ndarray | None] = [None] * len(context.ids)
    if net_rows:
        torch.set_num_threads(1)
        span = context.high[net_rows] - context.low[net_rows]
        factor = 1.0 / np.where(span == 0, 1.0, span)
        scaled = ((context.history[net_rows] - context.low[net_rows][:, None]) * factor[:, None]).astype(np.float32)
        tensor = torch.from_numpy(scaled)  # [k, W, C]
        rolled = torch.cat([roll(loaded.net, tensor[i : i + CPU_CHUNK], horizon)
                            for i in range(0, len(tensor), CPU_CHUNK)]).numpy()  # [k, H, C]
        values = pn.unscale(rolled, context.low[net_rows], context.high[net_rows])
        for j, v in zip(net_rows, values):
            out[j] = v
    for j, how in enumerate(context.methods):
        if how != NETWORK:
            real = context.history[j, -int(context.rows[j]):]
            out[j] = pn.baseline_forecast(real.astype(np.float64), how, horizon, season)
    return out


# --- evaluate --------------------------------------------------------------------

class PanelEvaluation:
    """A rolling-origin backtest of every series on its own test tail, beside the baselines.

    `metrics[method]` is the mean over series of each series' metric (with ``pooled_mae`` and
    ``pooled_rmse`` over every forecast of every series alongside); `series[id][method]` is
    each series' own report.
    """

    def __init__(self, target, horizon, stride, season, data_path, origins, metrics, by_lead, series, notes):
        self.target, self.horizon, self.stride, self.season = target, horizon, stride, season
        self.data_path = data_path
        self.origin_rows = origins  # [N] every forecast's origin row within its series
        self.metrics, self.by_lead, self.series, self.notes = metrics, by_lead, series, notes

    def verdict(self) -> str:
        from tsfc.evaluation import Evaluation

        return Evaluation.verdict(self)

    def worst(self, count: int = 5) -> list[tuple[str, dict]]:
        """The series where the model's MASE is highest (its MAE where MASE is undefined)."""
        def key(item):
            model = item[1]["model"]
            return (model["mase"] is not None, model["mase"] if model["mase"] is not None else model["mae"])

        return sorted(self.series.items(), key=key, reverse=True)[:count]

    def to_dict(self) -> dict:
        return {
            "target": self.target, "horizon": self.horizon, "stride": self.stride, "season": self.season,
            "origins": len(self.origin_rows), "series_count": len(self.series), "data_path": self.data_path,
            "metrics": self.metrics, "by_lead": self.by_lead, "notes": self.notes, "verdict": self.verdict(),
            "series": self.series,
        }


def evaluate(bundle_path, horizon: int | None = None, *, data=None, stride: int = 1, season: int | None = None,
             read_options=None, threads: int = 0, jobs: int = 1, checks=None, **intervals):
    """Backtest a bundle: one series (`evaluation.evaluate`) or every series of a many-series bundle
    from each `stride`-th row of its own test tail, in one batched roll across series and origins.
    `intervals` (levels, recalibrate) go to `evaluation.evaluate`: one series only so far.

    Raises:
        UsageError, BundleError, DataError as `evaluation.evaluate`.
    """
    from tsfc.evaluation import evaluate as evaluate_one

    for name, value in (("--horizon", horizon), ("--stride", stride), ("--season", season), ("--jobs", jobs)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be >= 1, got {value}")
    loaded = load_bundle(bundle_path)
    if loaded.panel is None:
        return evaluate_one(loaded, horizon, data=data, stride=stride, season=season,
                            read_options=read_options, threads=threads, checks=checks, **intervals)
    from tsfc.calibration import one_series_only

    one_series_only(intervals.get("levels"))
    m, state = loaded.manifest, loaded.panel
    horizon = horizon or loaded.horizon
    fitted_season = int(m["defaults"]["season"])
    season = season or fitted_season
    notes: list[str] = []
    panel = _source_panel(m, read_options) if data is None else read_like_bundle(m, data, read_options)
    _check_age(checks, panel.last, panel.path)
    notes += panel.notes
    W = loaded.window
    where = {sid: i for i, sid in enumerate(state.ids)}
    tasks, unseen, empty = [], [], 0
    for s, sid in enumerate(panel.ids):
        if sid not in where:
            unseen.append(sid)
            continue
        b = where[sid]
        train_end, start = _fit_rows(panel, s, state, b)
        n = int(panel.lengths[s])
        origins = np.arange(max(start, W), n - horizon + 1, stride)
        if len(origins) == 0:
            empty += 1
            continue
        tasks.append((s, b, origins, train_end))
    if unseen:
        notes.append(f"left out {len(unseen)} series the bundle was not fitted on: {pn._names(unseen)}")
    if empty:
        notes.append(f"left out {empty} series with no test rows for a window of {W} and --horizon {horizon}")
    if not tasks:
        raise DataError(f"{panel.path}: no series has test rows after its validation data with {W} rows of "
                        f"context and --horizon {horizon}; lower --horizon or pass more rows")
    model = _backtest_all(loaded, panel, tasks, horizon, threads)
    series, metrics, by_lead = _score_all(panel, state, tasks, model, horizon, season, fitted_season, W, jobs, notes)
    origins = np.concatenate([t[2] for t in tasks])
    return PanelEvaluation(m["target"], horizon, stride, season, str(panel.path), origins, metrics, by_lead,
                           series, notes)


def _source_panel(m: dict, read_options) -> pn.Panel:
    from tsfc.evaluation import source_path

    return read_like_bundle(m, source_path(m), read_options)


def _fit_rows(panel: pn.Panel, s: int, state, b: int) -> tuple[int, int]:
    """Where series `s` of `panel` ends its training rows and its validation rows at fit time, as row
    positions in `panel` (matched by timestamp when there are timestamps, else by position)."""
    import pandas as pd

    from tsfc.times import _modern
    from tsfc.windows import Split

    fitted = int(state.lengths[b])
    split = Split.from_fractions(fitted, state.fractions)
    if panel.last is None or state.last[b] is None or panel.freq is None:
        return split.train_end, split.val_end
    stamps = pd.date_range(end=pd.Timestamp(state.last[b]), periods=fitted + 1, freq=_modern(panel.freq))[1:]
    index = panel.index(s)
    # stamps[fitted] does not exist: the row after the fitted end is found by searching past the last one
    ends = []
    for row in (split.train_end, split.val_end):
        if row < fitted:
            ends.append(int(index.searchsorted(stamps[row], side="left")))
        else:
            ends.append(int(index.searchsorted(stamps[-1], side="right")))
    return ends[0], ends[1]


def _backtest_all(loaded: LoadedBundle, panel: pn.Panel, tasks, horizon: int, threads: int) -> list[np.ndarray]:
    """The network's target forecasts [N_s, H] for every task's origins, from one batched backtest."""
    import torch

    from tsfc.forecast import backtest
    from tsfc.train import usable_cores

    state = loaded.panel
    lows = np.array([state.low[t[1]] for t in tasks])  # [T, C]
    highs = np.array([state.high[t[1]] for t in tasks])
    rows = [panel.series(t[0]) for t in tasks]
    lengths = np.array([len(r) for r in rows])
    scaled = pn.scale(np.concatenate(rows), lengths, lows, highs)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    origins = np.concatenate([t[2] + base for t, base in zip(tasks, starts)])
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = backtest(loaded.net, torch.from_numpy(scaled), torch.from_numpy(origins), loaded.window, horizon,
                       workers=threads or usable_cores()).numpy()  # [N, H, C]
    finally:
        torch.set_num_threads(before)
    counts = [len(t[2]) for t in tasks]
    owner = np.repeat(np.arange(len(tasks)), counts)
    span = highs[owner, 0] - lows[owner, 0]
    target = out[..., 0] * np.where(span == 0, 1.0, span)[:, None] + lows[owner, 0][:, None]  # [N, H]
    return np.split(target, np.cumsum(counts)[:-1])


def _score_all(panel, state, tasks, model, horizon, season, fitted_season, W, jobs, notes):
    """Each series' baselines, then every method's metrics per series, overall and by lead.

    Returns:
        (series {id: {method: metrics}}, metrics {method: means over series + pooled}, by_lead).
    """
    work = []
    for (s, b, origins, train_end), pred in zip(tasks, model):
        values = panel.series(s)[:, 0].astype(np.float64)
        train = values[:train_end]
        scale = float(state.mase_scale[b]) if season == fitted_season else None
        work.append((values, origins, pred, train, scale))
    if jobs > 1 and len(work) > 1:
        from joblib import Parallel, delayed

        batches = np.array_split(np.arange(len(work)), jobs)
        parts = Parallel(n_jobs=jobs)(delayed(_forecast_batch)([work[i] for i in batch], horizon, season, W)
                                      for batch in batches)
        done = [r for part in parts for r in part]
    else:
        done = _forecast_batch(work, horizon, season, W)
    kinds: dict[str, int] = {}
    for _, _, _, left_out in done:
        for n in left_out:
            kinds[n.split(":")[0]] = kinds.get(n.split(":")[0], 0) + 1
    notes += [f"{kind} in {count} series" for kind, count in kinds.items()]
    ids = [panel.ids[t[0]] for t in tasks]
    stds = np.array([float(state.std[t[1]]) for t in tasks])
    return _metrics(ids, done, stds, horizon)


def _forecast_batch(work, horizon: int, season: int, W: int) -> list[tuple]:
    """(actual [N, H], {method: forecasts [N, H] or None}, MASE scale, notes) of each series."""
    from tsfc.baselines import forecast_all
    from tsfc.metrics import seasonal_naive_mae

    out = []
    for values, origins, pred, train, scale in work:
        notes: list[str] = []
        actual = values[origins[:, None] + np.arange(horizon)]
        predictions = {"model": pred}
        predictions.update(forecast_all(values, origins, horizon, season, W, train if len(train) else None, notes))
        if scale is None:
            scale = seasonal_naive_mae(train, season) if len(train) else None
        out.append((actual, predictions, scale or 0.0, notes))
    return out


def _metrics(ids: list[str], done: list[tuple], stds: np.ndarray, horizon: int):
    """Per-series metrics of every method, computed for series with equal origin counts at once;
    the aggregate is the mean over series of each metric, pooled MAE and RMSE beside it."""
    from tsfc.evaluation import METHODS
    from tsfc.metrics import METRICS, _plain, report_many

    series = {sid: {} for sid in ids}
    overall = {name: {k: np.full(len(ids), np.nan) for k in METRICS} for name in METHODS}
    lead = {name: {k: np.full((len(ids), horizon), np.nan) for k in METRICS} for name in METHODS}
    pooled = {name: [0.0, 0.0, 0] for name in METHODS}  # |e| sum, e^2 sum, count
    available = {name: np.zeros(len(ids), dtype=bool) for name in METHODS}
    groups: dict[int, list[int]] = {}
    for i, (actual, _, _, _) in enumerate(done):
        groups.setdefault(len(actual), []).append(i)
    for members in groups.values():
        actual = np.stack([done[i][0] for i in members])  # [T, N, H]
        scales = np.array([done[i][2] for i in members])
        for name in METHODS:
            have = [j for j, i in enumerate(members) if done[i][1][name] is not None]
            if not have:
                continue
            rows = [members[j] for j in have]
            pred = np.stack([done[i][1][name] for i in rows])
            err = pred - actual[have]
            pooled[name][0] += float(np.abs(err).sum())
            pooled[name][1] += float(np.square(err).sum())
            pooled[name][2] += err.size
            result = report_many(actual[have], pred, mase_scale=scales[have], std=stds[rows])
            for k, (total, by_lead) in result.items():
                overall[name][k][rows] = total
                lead[name][k][rows] = by_lead
            available[name][rows] = True
    metrics, by_lead = {}, {}
    for name in METHODS:
        for i, sid in enumerate(ids):
            series[sid][name] = (
                {k: _plain(overall[name][k][i]) for k in METRICS} if available[name][i] else None)
        if not available[name].any():
            metrics[name] = by_lead[name] = None
            continue
        keep = available[name]
        metrics[name] = {k: _nanmean(overall[name][k][keep]) for k in METRICS}
        total_abs, total_sq, count = pooled[name]
        metrics[name]["pooled_mae"] = total_abs / count
        metrics[name]["pooled_rmse"] = float(np.sqrt(total_sq / count))
        by_lead[name] = {k: [_nanmean(lead[name][k][keep, h]) for h in range(horizon)] for k in METRICS}
    return series, metrics, by_lead


def _nanmean(values: np.ndarray):
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else None
