"""Matplotlib figures for `tsfc plot`. The only module that imports matplotlib.

Each function draws a view prepared by ``tsfc.plotting`` and computes nothing about the
forecast itself. matplotlib is imported lazily, always with the Agg backend, so the command
works from cron: no display, no window, and no writable home directory needed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

FORMATS = ("png", "svg", "pdf")
HISTORY = "#1f3b73"  # observed values: dark blue
FORECAST = "#e8710a"  # the model's forecast: orange (distinct for colour-blind readers too)
LEAD_COLOURS = ("#e8710a", "#0f9d58", "#a142f4", "#d93025", "#12b5cb")
BASELINE_STYLES = {"naive": ":", "seasonal_naive": "--", "linear": "-."}
HOUR_STEPS = (1, 2, 3, 4, 6, 12, 24)  # hours between date ticks, aligned on midnight
TICKS_PER_INCH = 1.7  # "Mon 25" and "12:00" labels stay apart at the default font size


def _matplotlib():
    """Import matplotlib headless: Agg backend, and a private config dir if ours is unwritable."""
    os.environ["MPLBACKEND"] = "Agg"
    if "MPLCONFIGDIR" not in os.environ and not _writable_config_dir():
        # Reused across runs so the font cache is built once; only if it is really ours.
        private = Path(tempfile.gettempdir()) / f"tsfc-matplotlib-{os.getuid()}"
        private.mkdir(mode=0o700, exist_ok=True)
        if private.is_symlink() or private.stat().st_uid != os.getuid():
            private = Path(tempfile.mkdtemp(prefix="tsfc-matplotlib-"))
        os.environ["MPLCONFIGDIR"] = str(private)
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


def _writable_config_dir() -> bool:
    """Whether matplotlib's default config and cache directories are (or can be made) writable.

    Only checks, never creates: with HOME=/nonexistent, running as root must not create /nonexistent.
    """
    home = Path(os.environ.get("HOME") or "/nonexistent")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"
    for directory in (config, cache):
        existing = next(p for p in (directory, *directory.parents) if p.exists())
        if existing not in (directory, directory.parent) and not home.is_dir():
            return False  # matplotlib would have to create the home directory itself
        if not (existing.is_dir() and os.access(existing, os.W_OK)):
            return False
    return True


def _figure(width: float, height: float, dpi: float, rows: int = 1, ratios=None):
    _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    axes = fig.subplots(rows, 1, gridspec_kw={"height_ratios": ratios} if ratios else None, squeeze=False)[:, 0]
    for ax in axes:
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig, axes


def _time_axis(ax, times: np.ndarray) -> None:
    """Real dates, labelled as concisely as the span allows; plain row numbers otherwise.

    Call after drawing: the ticks follow the axis span. Sub-daily data over a span of days gets
    ticks on whole hours (day at midnight, hour between), which AutoDateLocator would leave out.
    """
    if np.issubdtype(np.asarray(times).dtype, np.datetime64):
        import matplotlib.dates as mdates

        locator = _hour_locator(ax, times) or mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        # midnight on an hourly axis shows weekday and day ("Mon 25"): hourly data often has a weekly cycle
        zero_formats = ["", "%Y", "%b", "%a %d", "%H:%M", "%H:%M"]
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, zero_formats=zero_formats))
    else:
        ax.set_xlabel("row")


def _hour_locator(ax, times: np.ndarray):
    """Ticks every 1, 2, 3, 4, 6, 12 or 24 hours for sub-daily data, if they fit the width; else None."""
    import matplotlib.dates as mdates

    if len(times) < 2 or times[1] - times[0] >= np.timedelta64(1, "D"):
        return None
    low, high = ax.get_xlim()  # days
    hours = (high - low) * 24
    fit = max(int(ax.figure.get_figwidth() * TICKS_PER_INCH), 4)
    if hours < 4:
        return None  # minutes and seconds: AutoDateLocator does better
    for every in HOUR_STEPS:
        if hours / every <= fit:
            return mdates.HourLocator(byhour=range(0, 24, every))
    return None


def _title(fig, ax, title: str) -> None:
    """The title at the top left, the legend in one row beneath it."""
    fig.suptitle(title, x=0.01, ha="left", fontsize="large")
    _legend_above(ax)


def _legend_above(ax) -> None:
    """The legend in one row just above the axes, so it never hides data.

    Lines that share a label (a marker and its guide line) share one entry, drawn over each other.
    """
    from matplotlib.legend_handler import HandlerTuple

    grouped: dict[str, list] = {}
    for handle, label in zip(*ax.get_legend_handles_labels()):
        grouped.setdefault(label, []).append(handle)
    handles = [tuple(group) if len(group) > 1 else group[0] for group in grouped.values()]
    ax.legend(handles, list(grouped), loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(grouped),
              frameon=False, borderaxespad=0.2, handlelength=2.5, handler_map={tuple: HandlerTuple()})


def decimate(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep each bin's minimum and maximum so a long line looks the same with far fewer points.

    A pure drawing aid: with about `columns` bins per axis width, every pixel column still
    shows the full vertical extent of the data that falls in it.
    """
    n = len(y)
    if n <= 4 * columns:
        return x, y
    per = n // columns
    full = per * columns
    blocks = y[:full].reshape(columns, per)  # [columns, per]
    start = np.arange(columns) * per
    keep = np.concatenate([start + blocks.argmin(axis=1), start + blocks.argmax(axis=1), np.arange(full, n)])
    keep = np.unique(keep)  # sorted, so the line still runs left to right
    return x[keep], y[keep]


def _columns(fig) -> int:
    return max(int(fig.get_figwidth() * fig.dpi), 100)


def forecast_grid(views: list, title: str, width: float, height: float, dpi: float):
    """Small multiples: one forecast panel per series (`views`), titled by the series' id."""
    import math

    _matplotlib()
    from matplotlib.figure import Figure

    ncols = 1 if len(views) == 1 else 2 if len(views) <= 4 else 3
    nrows = math.ceil(len(views) / ncols)
    fig = Figure(figsize=(width, height * max(1, nrows / 2) if nrows > 1 else height), dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    cols = max(100, _columns(fig) // ncols)
    for ax, view in zip(axes, views):
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        _draw_forecast(ax, view, cols)
        ax.set_title(view.title, fontsize="medium", loc="left")
        ax.set_ylabel(view.ylabel)
        _time_axis(ax, view.times)
    for ax in axes[len(views):]:
        ax.set_visible(False)
    fig.suptitle(title, x=0.01, ha="left", fontsize="large")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower left", ncols=len(labels), frameon=False)
    return fig


def forecast_figure(view, width: float, height: float, dpi: float):
    """History, forecast from the origin, and the actual values after it where known."""
    fig, (ax,) = _figure(width, height, dpi)
    _draw_forecast(ax, view, _columns(fig))
    ax.set_ylabel(view.ylabel)
    _title(fig, ax, view.title)
    ax.margins(x=0.01)
    _time_axis(ax, view.times)
    return fig


def _draw_forecast(ax, view, cols: int) -> None:
    ax.plot(*decimate(view.times, view.values, cols), color=HISTORY, linewidth=1.2, label="observed")
    if len(view.actual):
        ax.plot(
            *decimate(np.r_[view.times[-1:], view.actual_times], np.r_[view.values[-1:], view.actual], cols),
            color=HISTORY, linewidth=1.2, linestyle=(0, (4, 2)), label="actual (after origin)",
        )
    marker = "o" if len(view.forecast) <= 60 else None
    ax.plot(
        np.r_[view.times[-1:], view.forecast_times], np.r_[view.values[-1:], view.forecast],
        color=FORECAST, linewidth=2.0, marker=marker, markersize=3, markevery=slice(1, None),
        label=f"forecast ({len(view.forecast)} steps)",
    )
    ax.axvline(view.times[-1], color="#777777", linewidth=1, linestyle=":", label="forecast origin")
    ax.margins(x=0.01)


def backtest_figure(view, width: float, height: float, dpi: float):
    """Actual versus predicted over the evaluated range, and error by lead time per method."""
    fig, (top, bottom) = _figure(width, height, dpi, rows=2, ratios=[2, 1.2])
    cols = _columns(fig)
    top.plot(*decimate(view.times, view.actual, cols), color=HISTORY, linewidth=1.3, label="actual")
    for colour, (lead, (times, predicted)) in zip(LEAD_COLOURS, view.leads.items()):
        label = f"predicted {lead} step{'s' if lead > 1 else ''} ahead"
        top.plot(*decimate(times, predicted, cols), color=colour, linewidth=1.1, alpha=0.9, label=label)
    top.set_ylabel(view.ylabel)
    _title(fig, top, view.title)
    top.margins(x=0.01)
    _time_axis(top, view.times)

    leads = np.arange(1, view.horizon + 1)
    marker = "o" if view.horizon <= 48 else None
    for method, errors in view.errors.items():
        if method == "model":
            bottom.plot(leads, errors, color=FORECAST, linewidth=2.2, marker=marker, markersize=3, label=f"{view.model} {view.error_name} by lead time")
        else:
            style = BASELINE_STYLES.get(method, "-")
            bottom.plot(leads, errors, color="#555555", linewidth=1.2, linestyle=style, label=method.replace("_", " "))
    bottom.set_xlabel("lead time (steps ahead)")
    bottom.set_ylabel(f"{view.error_name} of {view.ylabel}")
    bottom.set_xlim(0.5, view.horizon + 0.5)
    bottom.set_ylim(bottom=0)
    from matplotlib.ticker import MaxNLocator

    bottom.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 3, 4, 6, 10]))
    _legend_above(bottom)
    return fig


def loss_figure(view, width: float, height: float, dpi: float):
    """Training and validation loss per epoch, the restored best epoch marked."""
    fig, (ax,) = _figure(width, height, dpi)
    marker = "o" if len(view.epochs) <= 60 else None
    ax.plot(view.epochs, view.train, color=HISTORY, linewidth=1.6, marker=marker, markersize=3, label="training loss")
    ax.plot(view.epochs, view.val, color=FORECAST, linewidth=1.6, marker=marker, markersize=3, label="validation loss")
    if view.best_epoch is not None:
        best = f"best epoch {view.best_epoch} (restored)" if view.best_epoch else "start before training (restored)"
        ax.axvline(view.best_epoch, color="#777777", linewidth=1, linestyle=":", label=best)
        ax.plot([view.best_epoch], [view.best_val], linestyle="none", marker="*", markersize=14, color=FORECAST,
                markeredgecolor="black", markeredgewidth=0.6, label=best)
    if view.log_scale:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        # plain numbers (0.02, not 2x10^-2), labelling only the 1-2-3-5 ticks so labels never crowd
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else ""))
    ax.set_xlabel("epoch")
    ax.set_ylabel(view.ylabel)
    _title(fig, ax, view.title)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def save(fig, target: str | os.PathLike, fmt: str) -> Path:
    """Write `fig` to `target` atomically in `fmt` (png, svg or pdf); return the absolute path."""
    from tsfc.files import atomic_path

    with atomic_path(target) as tmp:
        extra = {"pil_kwargs": {"optimize": True}} if fmt == "png" else {}
        fig.savefig(tmp, format=fmt, dpi=fig.dpi, metadata=_metadata(fmt), **extra)
    return Path(target).absolute()


def _metadata(fmt: str) -> dict:
    # Leave out creation dates so the same plot gives the same bytes (docs images diff cleanly).
    if fmt == "png":
        return {"Software": "tsfc"}
    if fmt == "svg":
        return {"Date": None}
    return {"CreationDate": None}
