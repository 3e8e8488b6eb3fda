"""The `plot` verb: prepare what each kind of chart shows, then let ``tsfc.plots`` draw it.

Everything computed for a chart (which rows, the forecast, the lead-time slices of a
backtest) happens here, from plain arrays; ``plots.py`` only draws the views built here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tsfc.errors import DataError, UsageError

KINDS = ("forecast", "backtest", "loss")
MAX_PIXELS = 20_000  # per side; beyond this a figure is a memory accident, not a chart


@dataclass
class Cycle:
    """Defaults for a frequency: one seasonal cycle (the default horizon) and the history shown."""

    season: int
    history: int


@dataclass
class ForecastView:
    title: str
    target: str
    times: np.ndarray  # x of the observed rows up to the origin: datetime64 or row numbers
    values: np.ndarray  # [rows] target
    forecast_times: np.ndarray
    forecast: np.ndarray  # [horizon]
    actual_times: np.ndarray
    actual: np.ndarray  # [<= horizon] observed values after the origin, when the data has them
    ylabel: str = ""  # the value axis; the target's name unless --ylabel gives one
    bands: list = field(default_factory=list)  # (level label, lower [horizon], upper [horizon]), narrowest first


@dataclass
class BacktestView:
    title: str
    target: str
    model: str
    horizon: int
    times: np.ndarray  # the evaluated target rows shown: the last `shown` of them
    actual: np.ndarray
    leads: dict[int, tuple[np.ndarray, np.ndarray]]  # lead -> (times, predicted) within the rows shown
    errors: dict[str, list[float]]  # method -> error by lead 1..horizon, over every origin
    error_name: str = "MAE"
    ylabel: str = ""
    bands: dict = field(default_factory=dict)  # lead -> [(level label, lower, upper)] at its times, narrowest first
    outside: dict = field(default_factory=dict)  # lead -> (times, actuals) outside its widest band


@dataclass
class LossView:
    title: str
    epochs: list[int]
    train: list[float]
    val: list[float]
    best_epoch: int | None
    best_val: float | None
    log_scale: bool
    ylabel: str = ""


@dataclass
class PlotResult:
    path: Path
    notes: list[str] = field(default_factory=list)


def plot(
    kind: str,
    bundle_path: str | Path,
    output: str | Path | None = None,
    *,
    horizon: int | None = None,
    data: str | Path | None = None,
    history: int | None = None,
    as_of: str | None = None,
    leads: list[int] | None = None,
    stride: int = 1,
    width: float = 10.0,
    height: float = 5.0,
    dpi: float = 150.0,
    title: str | None = None,
    ylabel: str | None = None,
    read_options=None,
    threads: int = 0,
    ids: list[str] | None = None,
    levels: list[float] | None = None,
    recalibrate: int | None = None,
    clip_min: float | None = None,
) -> PlotResult:
    """Draw one chart of a bundle and write it atomically.

    Args:
        kind: "forecast" (recent history and the forecast), "backtest" (predicted against
            actual over the evaluated range) or "loss" (training curves).
        output: .png, .svg or .pdf file; default ``<kind>.png`` in the current directory.
        horizon: steps to forecast; default one seasonal cycle (24 for hourly data).
        data: CSV to draw and forecast from instead of the bundle's own data.
        history: observed rows shown before the forecast, or the last evaluated rows shown above
            the backtest's error panel; default a few seasonal cycles (168 for hourly data).
        as_of: forecast from this timestamp (row number without a time column) inside the data,
            drawing the actual values after it.
        leads: lead times drawn by the backtest; default the first and the last.
        title: the chart's title instead of the generated one ("" for none).
        ylabel: the value axis label instead of the target's name, e.g. "oil temperature (°C)".
        threads: CPU threads for the backtest (0: every core).
        ids: series of a many-series bundle to draw, one panel each (default: the first four).
        levels: prediction interval levels in % to shade: around the forecast, or at the backtest's
            leads (default then: the last lead only) with the actuals outside marked.
        recalibrate: origins to recalibrate the intervals on, as `pipeline.predict` (forecast) and
            `evaluation.evaluate` (backtest) take it; None: their defaults.
        clip_min: raise the forecast and its bounds to at least this (forecast only).

    Returns:
        The absolute path written and any notes about the data.

    Raises:
        UsageError, DataError, BundleError, OutputError.
    """
    from tsfc import plots

    if kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    target = Path(output) if output is not None else Path(f"{kind}.png")
    fmt = output_format(target)
    _check_size(width, height, dpi)
    if threads < 0:
        raise UsageError(f"--threads must be >= 0 (0 = every core), got {threads}")
    if history is not None and history < 1:
        raise UsageError(f"--history must be >= 1, got {history}")
    notes: list[str] = []
    from tsfc.pipeline import load_bundle

    loaded = load_bundle(bundle_path)
    if ids and loaded.panel is None:
        raise UsageError("--id needs a bundle of many series (fit with --id-col)")
    if loaded.panel is not None:
        from tsfc.calibration import one_series_only

        one_series_only(levels, clip_min)
    if loaded.panel is not None and kind == "forecast":
        views, heading = panel_forecast_views(loaded, ids, horizon, data, history, as_of, read_options, notes)
        fig = plots.forecast_grid(views, heading if title is None else title, width, height, dpi)
        return PlotResult(plots.save(fig, target, fmt), notes)
    if loaded.panel is not None and kind == "backtest":
        raise UsageError("--kind backtest draws one series' bundle; for many series use `tsfc evaluate --json` "
                         "(per series) or `tsfc plot --kind forecast --id ID --as-of TIME`")
    if kind == "forecast":
        view = forecast_view(bundle_path, horizon, data, history, as_of, read_options, notes, levels, recalibrate,
                             clip_min)
        draw = plots.forecast_figure
    elif kind == "loss":
        view, draw = loss_view(bundle_path), plots.loss_figure
    else:
        from tsfc.evaluation import evaluate

        if leads and horizon is not None:
            _check_leads(leads, horizon)  # before the backtest, not after it
        loaded = load_bundle(bundle_path)
        shown = cycle(loaded.manifest.get("freq"), loaded.window).history if history is None else history
        if levels and not leads:
            leads = [horizon or loaded.horizon]  # one band reads; two overlapping ones do not
        evaluation = evaluate(
            bundle_path, horizon, data=data, stride=stride, read_options=read_options, threads=threads,
            levels=levels, recalibrate=recalibrate,
        )
        notes += evaluation.notes
        view = backtest_view(evaluation, str(loaded.manifest["config"]["model"]).upper(), leads, shown)
        draw = plots.backtest_figure
    view = replace(view, title=view.title if title is None else title, ylabel=ylabel or view.ylabel)
    return PlotResult(plots.save(draw(view, width, height, dpi), target, fmt), notes)


def output_format(path: Path) -> str:
    """png, svg or pdf from the file extension.

    Raises:
        UsageError: any other extension.
    """
    from tsfc.plots import FORMATS

    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"--output {path}: cannot tell the image format from '{path.suffix}'; use .png, .svg or .pdf")
    return fmt


def _check_size(width: float, height: float, dpi: float) -> None:
    for name, value in (("--width", width), ("--height", height), ("--dpi", dpi)):
        if not value > 0:
            raise UsageError(f"{name} must be > 0, got {value}")
    if max(width, height) * dpi > MAX_PIXELS:
        raise UsageError(f"--width/--height x --dpi must stay within {MAX_PIXELS} pixels a side, "
                         f"got {width * dpi:.0f} x {height * dpi:.0f}")


def cycle(freq: str | None, window: int) -> Cycle:
    """One seasonal cycle and a few cycles of history for `freq` (hourly: 24 and 7 days)."""
    if not freq:
        return Cycle(season=max(window // 4, 1), history=max(4 * window, 100))
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    offset = to_offset(freq)
    first = pd.Timestamp("2001-01-01") + offset  # on the offset's anchor (a Sunday for W-SUN)
    step = (first + offset) - first  # months and years become their length in days
    day = pd.Timedelta(days=1)
    if step < day:
        per_day = max(int(day / step), 1)
        return Cycle(season=per_day, history=per_day * (7 if step >= pd.Timedelta(hours=1) else 2))
    if step < pd.Timedelta(days=7):
        return Cycle(season=7, history=28)
    if step < pd.Timedelta(days=25):
        return Cycle(season=52, history=104)
    if step < pd.Timedelta(days=80):
        return Cycle(season=12, history=36)
    if step < pd.Timedelta(days=200):
        return Cycle(season=4, history=12)
    return Cycle(season=5, history=20)


# ---------------------------------------------------------------- forecast

def forecast_view(bundle_path, horizon, data, history, as_of, read_options, notes: list[str], levels=None,
                  recalibrate=None, clip_min=None) -> ForecastView:
    """The last `history` observed rows up to the origin, the forecast after it (and its intervals
    at `levels`, calibrated as `pipeline.predict` does), and any actuals."""
    from tsfc.pipeline import check_clip_min, forecast_from, load_bundle

    check_clip_min(clip_min)

    loaded = load_bundle(bundle_path)
    m = loaded.manifest
    times, values, freq = _observed(loaded, data, read_options, notes)
    defaults = cycle(freq, loaded.window)
    horizon = loaded.horizon if horizon is None else horizon
    if horizon < 1:
        raise UsageError(f"--horizon must be >= 1, got {horizon}")
    history = max(defaults.history, 3 * horizon) if history is None else history
    origin = len(values) - 1 if as_of is None else _origin_row(times, as_of)
    if origin + 1 < loaded.window:
        raise DataError(f"--as-of {as_of}: only {origin + 1} rows up to it, fewer than the model's window of "
                        f"{loaded.window}; choose a later time")
    forecast = forecast_from(loaded, values[origin + 1 - loaded.window : origin + 1], horizon)[:, 0]
    if clip_min is not None:
        forecast = np.maximum(forecast, clip_min)
    bands = []
    if levels:
        from tsfc.calibration import bands as bounds, for_forecast, label

        observed = data is not None or bool(recalibrate)  # recalibrate as predict does: on the data drawn
        width, _, caveats = for_forecast(
            loaded, levels, horizon, values=values[: origin + 1] if observed else None,
            times=times[: origin + 1] if observed else None, recalibrate=recalibrate,
        )
        notes += caveats
        lo, hi = bounds(forecast, width, clip_min)
        bands = [(label(level), lo[i], hi[i]) for i, level in enumerate(levels)]
    if np.issubdtype(times.dtype, np.datetime64):
        from tsfc.data import future_index

        import pandas as pd

        future = future_index(pd.Timestamp(times[origin]), freq, horizon).to_numpy()
        start = f" from {pd.Timestamp(times[origin]):%Y-%m-%d %H:%M}".removesuffix(" 00:00")
    else:
        future = np.arange(origin + 1, origin + 1 + horizon)
        start = f" from row {origin}"
    first = max(origin + 1 - history, 0)
    after = slice(origin + 1, origin + 1 + horizon)
    return ForecastView(
        title=f"{m['config']['model'].upper()} forecast of {m['target']}: {horizon} steps{start}",
        target=m["target"],
        times=times[first : origin + 1],
        values=values[first : origin + 1, 0],
        forecast_times=future,
        forecast=forecast,
        actual_times=times[after],
        actual=values[after, 0],
        ylabel=m["target"],
        bands=bands,
    )


SHOWN_SERIES = 4  # series drawn from a many-series bundle when --id is not given


def panel_forecast_views(loaded, ids, horizon, data, history, as_of, read_options, notes: list[str]):
    """One `ForecastView` per series of a many-series bundle, and the figure's heading."""
    from tsfc import many, panel as pn

    m, state = loaded.manifest, loaded.panel
    if ids is None:
        ids = state.ids[:SHOWN_SERIES]
        if len(state.ids) > SHOWN_SERIES:
            notes.append(f"drew the first {SHOWN_SERIES} of {len(state.ids)} series; pass --id to choose")
    pn.select(state.ids, ids, "--id")
    horizon = loaded.horizon if horizon is None else horizon
    if horizon < 1:
        raise UsageError(f"--horizon must be >= 1, got {horizon}")
    observed = _observed_panel(m, data, read_options, notes)
    defaults = cycle(m.get("freq"), loaded.window)
    history = max(defaults.history, 3 * horizon) if history is None else history
    views = []
    for sid in ids:
        if observed is not None and sid in observed.ids:
            s = observed.ids.index(sid)
            values = observed.series(s)
            times = _x_values(observed.index(s), observed.freq, len(values))
        else:
            b = state.ids.index(sid)
            values = loaded.history[b, -int(state.rows[b]):].astype(np.float64)
            times = _stored_times(m, state.last[b], len(values))
        origin = len(values) - 1 if as_of is None else _origin_row(times, as_of)
        b = state.ids.index(sid)
        W = loaded.window
        context = values[max(0, origin + 1 - W) : origin + 1]
        padded = np.concatenate([np.repeat(context[:1], W - len(context), axis=0), context])
        method = pn.fallback(origin + 1, W, int(m["defaults"]["season"])) or many.NETWORK
        ctx = many.Context([sid], padded[None].astype(np.float32), np.array([len(context)]), state.low[[b]],
                           state.high[[b]], [method], None)
        forecast = many.forecast_many(loaded, ctx, horizon)[0][:, 0]
        view = _view(m, times, values, origin, forecast, horizon, history)
        views.append(replace(view, title=sid if method == many.NETWORK else f"{sid} ({method})"))
    heading = f"{m['config']['model'].upper()} forecast of {m['target']}: {horizon} steps, {len(views)} of {len(state.ids)} series"
    return views, heading


def _observed_panel(m: dict, data, read_options, notes: list[str]):
    """The many-series CSV to draw: `data`, else the fitted CSV while unchanged, else None (stored rows)."""
    from tsfc.many import read_like_bundle

    if data is not None:
        panel = read_like_bundle(m, data, read_options)
        notes += panel.notes
        return panel
    source = m.get("source") or {}
    path = source.get("path")
    if path and Path(path).is_file():
        try:
            panel = read_like_bundle(m, path, read_options)
        except DataError:
            panel = None
        if panel is not None and panel.sha256 == source.get("sha256"):
            return panel
    notes.append(f"the fitted CSV is gone or changed; showing the rows stored in the bundle (pass --data for more)")
    return None


def _stored_times(m: dict, last, rows: int) -> np.ndarray:
    if last and m.get("freq"):
        import pandas as pd

        from tsfc.times import _modern

        return pd.date_range(end=pd.Timestamp(last), periods=rows, freq=_modern(m["freq"])).to_numpy()
    return np.arange(rows)


def _view(m: dict, times, values, origin: int, forecast, horizon: int, history: int) -> ForecastView:
    """A forecast view of rows `values` [N, C] at `times`, forecast from row `origin`."""
    if np.issubdtype(times.dtype, np.datetime64):
        import pandas as pd

        from tsfc.data import future_index

        future = future_index(pd.Timestamp(times[origin]), m["freq"], horizon).to_numpy()
    else:
        future = np.arange(origin + 1, origin + 1 + horizon)
    first = max(origin + 1 - history, 0)
    after = slice(origin + 1, origin + 1 + horizon)
    return ForecastView(title="", target=m["target"], times=times[first : origin + 1],
                        values=values[first : origin + 1, 0], forecast_times=future, forecast=forecast,
                        actual_times=times[after], actual=values[after, 0], ylabel=m["target"])


def _observed(loaded, data, read_options, notes: list[str]):
    """(x values, rows [N, C], freq) of the data to draw: `data`, else the fitted CSV, else the bundle's rows.

    The fitted CSV is used only while its checksum still matches the bundle, so the chart shows
    the very data the bundle's forecast continues from.
    """
    from tsfc.pipeline import load_like_bundle

    m = loaded.manifest
    if data is not None:
        series = load_like_bundle(m, data, read_options)
        notes += series.notes
        return _x_values(series.index, series.freq, len(series.values)), series.values, series.freq
    source = m.get("source") or {}
    path = source.get("path")
    fallback = f"showing only the {loaded.window} rows stored in the bundle (pass --data for more history)"
    if path and Path(path).is_file():
        try:
            series = load_like_bundle(m, path, read_options)
        except DataError as exc:
            notes.append(f"cannot re-read the fitted CSV ({exc}); {fallback}")
        else:
            if series.sha256 == source.get("sha256"):
                return _x_values(series.index, series.freq, len(series.values)), series.values, series.freq
            notes.append(f"{path} changed since the model was fitted; {fallback}")
    else:
        notes.append(f"the fitted CSV {path} is not there any more; {fallback}")
    rows = int(m.get("split", {}).get("rows") or len(loaded.history))
    if m.get("last_timestamp") and m.get("freq"):
        import pandas as pd

        times = pd.date_range(end=pd.Timestamp(m["last_timestamp"]), periods=len(loaded.history), freq=m["freq"])
        return times.to_numpy(), loaded.history, m["freq"]
    return np.arange(rows - len(loaded.history), rows), loaded.history, None


def _x_values(index, freq, rows: int) -> np.ndarray:
    if index is not None and freq:
        return index.to_numpy()
    return np.arange(rows)


def _origin_row(times: np.ndarray, as_of: str) -> int:
    """The last row at or before `as_of` (a timestamp, or a row number without a time column)."""
    if np.issubdtype(times.dtype, np.datetime64):
        import pandas as pd

        try:
            stamp = pd.Timestamp(as_of).to_datetime64()
        except (ValueError, TypeError):
            raise UsageError(f"--as-of must be a timestamp such as 2024-03-01T12:00, got {as_of!r}") from None
    else:
        try:
            stamp = int(as_of)
        except ValueError:
            raise UsageError(f"--as-of must be a row number (the data has no time column), got {as_of!r}") from None
    row = int(np.searchsorted(times, stamp, side="right")) - 1
    if row < 0 or stamp > times[-1]:
        raise UsageError(f"--as-of {as_of} lies outside the data ({times[0]} to {times[-1]})")
    return row


# ---------------------------------------------------------------- backtest

def backtest_view(evaluation, model: str, leads: list[int] | None, shown: int | None = None) -> BacktestView:
    """Slice an `Evaluation` (from `evaluation.evaluate`) into lines: the actual series and the
    prediction at each lead time over the last `shown` evaluated rows (all when None), and the
    mean absolute error by lead for every method over every origin.

    Thousands of rows of several overlapping lines read as one smear; a few seasons show how
    the forecast follows the data, and the error panel summarises the rest.
    The value at origin i and lead h lies at row ``origin_rows[i] + h - 1`` of the series.
    """
    horizon = int(evaluation.horizon)
    leads = sorted({1, horizon}) if not leads else leads
    _check_leads(leads, horizon)
    origins = np.asarray(evaluation.origin_rows)
    rows = origins[:, None] + np.arange(horizon)  # [origins, horizon]
    x = _x_values(evaluation.index, True, int(rows.max()) + 1)
    unique_rows, first = np.unique(rows.ravel(), return_index=True)
    total = len(unique_rows)
    shown = total if shown is None else min(shown, total)
    start = unique_rows[total - shown]
    predicted = evaluation.predictions["model"]
    by_lead = {}
    for lead in leads:
        keep = rows[:, lead - 1] >= start
        by_lead[lead] = (x[rows[keep, lead - 1]], predicted[keep, lead - 1])
    bands, outside = {}, {}
    report = getattr(evaluation, "intervals", None)
    for lead in leads if report is not None else []:
        keep = rows[:, lead - 1] >= start
        bands[lead] = [(name, lo[keep, lead - 1], hi[keep, lead - 1]) for name, (lo, hi) in report.bands.items()]
        _, lo, hi = bands[lead][-1]
        actual = np.asarray(evaluation.actual)[keep, lead - 1]
        out = (actual < lo) | (actual > hi)
        outside[lead] = (x[rows[keep, lead - 1]][out], actual[out])
    errors = {name: list(table["mae"]) for name, table in evaluation.by_lead.items() if table is not None}
    title = f"{model} backtest of {evaluation.target}: horizon {horizon}, {len(origins)} forecast origins"
    if shown < total:
        title += f" (above: the last {shown} of {total} rows)"
    return BacktestView(
        title=title,
        target=evaluation.target,
        model=model,
        horizon=horizon,
        times=x[unique_rows[total - shown :]],
        actual=np.asarray(evaluation.actual).ravel()[first[total - shown :]],
        leads=by_lead,
        errors=errors,
        ylabel=evaluation.target,
        bands=bands,
        outside=outside,
    )


def _check_leads(leads: list[int], horizon: int) -> None:
    bad = [lead for lead in leads if not 1 <= lead <= horizon]
    if bad:
        raise UsageError(f"--lead must lie between 1 and the horizon {horizon}, got {bad[0]}")


# ---------------------------------------------------------------- loss

def loss_view(bundle_path) -> LossView:
    """Training and validation loss per epoch from the bundle's training record."""
    from tsfc.pipeline import load_bundle

    m = load_bundle(bundle_path).manifest
    training = m.get("training") or {}
    epochs = training.get("history") or []
    train = [e["train_loss"] for e in epochs]
    val = [e["val_loss"] for e in epochs]
    best = training.get("best_epoch")
    if best == 0:  # training never beat the starting (linear) fit, which the bundle keeps
        best_val = training.get("best_val_loss")
    else:
        best_val = next((e["val_loss"] for e in epochs if e["epoch"] == best), None)
    positive = [v for v in train + val if v > 0]
    log_scale = len(positive) == len(train + val) > 0 and max(positive) / min(positive) > 10
    return LossView(
        title=f"{str(m['config']['model']).upper()} training on {m['target']}: loss per epoch",
        epochs=[e["epoch"] for e in epochs],
        train=train,
        val=val,
        best_epoch=best if best_val is not None else None,
        best_val=best_val,
        log_scale=log_scale,
        ylabel="loss (MSE on scaled data)" + (", log scale" if log_scale else ""),
    )
