"""Tests for `tsfc plot`: the views (tsfc.plotting), the drawing (tsfc.plots) and the command,
run headless as cron would: no DISPLAY, HOME a directory that does not exist."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tsfc import plotting
from tsfc.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


# --- helpers ------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def svg_size(path: Path) -> tuple[float, float]:
    """Width and height in points from the SVG root element."""
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def missing_home(tmp_path: Path) -> Path:
    """A HOME that does not exist; under tmp_path, so no machine can have it (and root could create it)."""
    return tmp_path / "no-such-home"


def headless_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND", "MPLCONFIGDIR")}
    env.update(HOME=str(missing_home(tmp_path)), XDG_CONFIG_HOME="", XDG_CACHE_HOME="", PYTHONPATH=str(ROOT),
               TMPDIR=str(tmp_path), OMP_NUM_THREADS="1")
    return env


def tsfc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tsfc", *args], cwd=cwd, env=headless_env(cwd),
                          capture_output=True, text=True, timeout=300)


def fake_evaluation(horizon: int = 3) -> SimpleNamespace:
    """An Evaluation as `evaluation.evaluate` returns it: 4 origins on a 10-row hourly series."""
    series = np.arange(10.0) * 10  # row r holds 10 r
    origins = np.array([4, 5, 6, 7])
    rows = origins[:, None] + np.arange(horizon)
    by_lead = {"mae": [1.0, 2.0, 3.0][:horizon], "mse_std": [0.1, 0.2, 0.3][:horizon]}
    return SimpleNamespace(
        target="OT", horizon=horizon, stride=1, season=24, data_path="d.csv",
        index=pd.date_range("2024-01-01", periods=10, freq="h", name="date"),
        origin_rows=origins,
        actual=series[rows],
        predictions={"model": series[rows] + 1, "naive": series[rows] - 1, "seasonal_naive": None, "linear": None},
        metrics={},
        by_lead={"model": by_lead, "naive": {"mae": [2.0, 4.0, 6.0][:horizon]}, "seasonal_naive": None, "linear": None},
        notes=["evaluated the test split"],
    )


def long_evaluation(rows: int = 5000, horizon: int = 24) -> SimpleNamespace:
    """A stride-1 backtest over `rows` hourly rows: every origin from row 24 on, predictions = actual + 1."""
    series = np.sin(np.arange(rows) * 2 * np.pi / 24)
    origins = np.arange(24, rows - horizon + 1)
    at = origins[:, None] + np.arange(horizon)
    mae = {"mae": list(np.linspace(0.5, 1.0, horizon))}
    return SimpleNamespace(
        target="load", horizon=horizon, index=pd.date_range("2024-01-01", periods=rows, freq="h", name="date"),
        origin_rows=origins, actual=series[at], predictions={"model": series[at] + 1},
        by_lead={"model": mae, "naive": mae, "seasonal_naive": mae, "linear": None}, notes=[],
    )


def drawn(monkeypatch, *args, **kwargs):
    """Run `plotting.plot` and return the figure it would have saved."""
    from tsfc import plots

    figures = []
    monkeypatch.setattr(plots, "save", lambda fig, target, fmt: figures.append(fig) or Path(target))
    plotting.plot(*args, **kwargs)
    (fig,) = figures
    return fig


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A tiny GRU fitted on 400 hourly rows of a noisy daily cycle."""
    import torch

    from tsfc.config import FitConfig
    from tsfc.pipeline import fit_csv

    torch.set_num_threads(1)  # tiny model on a shared machine: threads only contend
    root = tmp_path_factory.mktemp("fitted")
    rng = np.random.default_rng(0)
    t = np.arange(400)
    frame = pd.DataFrame({
        "date": pd.date_range("2024-01-01", periods=400, freq="h").strftime("%Y-%m-%d %H:%M"),
        "load": np.round(10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, 400), 3),
    })
    frame.to_csv(root / "hourly.csv", index=False)
    config = FitConfig(hidden=8, layers=1, window=16, epochs=2, block=4, batch_size=32)
    fit_csv(root / "hourly.csv", "load", config, root / "model.tsfc")
    return root / "model.tsfc"


# --- views: what each chart shows ---------------------------------------------

@pytest.mark.parametrize("freq, season, history", [
    ("h", 24, 168), ("15min", 96, 192), ("D", 7, 28), ("W-SUN", 52, 104), ("MS", 12, 36), ("QS", 4, 12), ("YS", 5, 20),
])
def test_cycle_defaults_follow_the_frequency(freq, season, history):
    assert plotting.cycle(freq, window=96) == plotting.Cycle(season, history)


def test_cycle_without_frequency_uses_the_window():
    assert plotting.cycle(None, window=48) == plotting.Cycle(12, 192)


def test_backtest_view_puts_origin_i_lead_h_at_row_origin_plus_h_minus_1():
    view = plotting.backtest_view(fake_evaluation(), "GRU", leads=[1, 3])
    index = pd.date_range("2024-01-01", periods=10, freq="h").to_numpy()
    np.testing.assert_array_equal(view.times, index[4:10])  # rows 4..9 are covered by some origin
    np.testing.assert_array_equal(view.actual, [40, 50, 60, 70, 80, 90])
    times, predicted = view.leads[3]
    np.testing.assert_array_equal(times, index[[6, 7, 8, 9]])
    np.testing.assert_array_equal(predicted, [61, 71, 81, 91])
    assert view.errors == {"model": [1.0, 2.0, 3.0], "naive": [2.0, 4.0, 6.0]}  # methods without results left out
    assert "horizon 3, 4 forecast origins" in view.title


def test_backtest_view_defaults_to_first_and_last_lead_and_checks_leads():
    assert list(plotting.backtest_view(fake_evaluation(), "GRU", None).leads) == [1, 3]
    with pytest.raises(UsageError, match="--lead must lie between 1 and the horizon 3, got 4"):
        plotting.backtest_view(fake_evaluation(), "GRU", [1, 4])


def test_loss_view_switches_to_log_scale_beyond_a_decade(bundle):
    from tsfc.pipeline import load_bundle

    view = plotting.loss_view(bundle)
    training = load_bundle(bundle).manifest["training"]
    assert view.epochs == [1, 2] and view.best_epoch == training["best_epoch"] in (0, 1, 2)
    # epoch 0 is the starting linear fit, kept when training never beat it
    assert view.best_val == (view.val[view.best_epoch - 1] if view.best_epoch else training["best_val_loss"])
    assert view.log_scale == (max(view.train + view.val) / min(view.train + view.val) > 10)


def test_backtest_view_shows_only_the_last_rows_and_says_so():
    view = plotting.backtest_view(long_evaluation(rows=1000), "GRU", leads=[1, 24], shown=100)
    index = pd.date_range("2024-01-01", periods=1000, freq="h").to_numpy()
    np.testing.assert_array_equal(view.times, index[900:])
    np.testing.assert_array_equal(view.actual, np.sin(np.arange(900, 1000) * 2 * np.pi / 24))
    for lead, last in ((1, 976), (24, 999)):  # lead h of the last origin, row 976, lies at row 976 + h - 1
        times, predicted = view.leads[lead]
        np.testing.assert_array_equal(times, index[900 : last + 1])
        np.testing.assert_allclose(predicted, view.actual[: last - 899] + 1)
    assert view.errors["model"] == long_evaluation().by_lead["model"]["mae"]  # errors still over every origin
    assert view.title.endswith("953 forecast origins (above: the last 100 of 976 rows)")


def test_forecast_view_as_of_draws_the_actuals_after_the_origin(bundle):
    data = bundle.parent / "hourly.csv"
    view = plotting.forecast_view(bundle, 6, data, 48, "2024-01-10 05:00", None, [])
    assert len(view.values) == 48 and len(view.forecast) == 6 and len(view.actual) == 6
    assert view.times[-1] == np.datetime64("2024-01-10T05:00")
    np.testing.assert_array_equal(view.forecast_times, view.actual_times)
    assert view.forecast_times[0] == np.datetime64("2024-01-10T06:00")


def test_forecast_view_defaults_to_the_fitted_csv_and_a_week_of_history(bundle):
    notes: list[str] = []
    view = plotting.forecast_view(bundle, None, None, None, None, None, notes)
    assert (len(view.values), len(view.forecast), len(view.actual)) == (168, 24, 0)
    assert view.times[-1] == np.datetime64("2024-01-17T15:00")  # row 400 of the fitted CSV
    assert notes == []


def test_forecast_view_falls_back_to_the_bundles_rows_when_the_csv_is_gone(bundle, tmp_path):
    moved = tmp_path / "model.tsfc"
    moved.write_bytes(bundle.read_bytes())
    csv = bundle.parent / "hourly.csv"
    hidden = csv.rename(tmp_path / "elsewhere.csv")
    try:
        notes: list[str] = []
        view = plotting.forecast_view(moved, 4, None, None, None, None, notes)
    finally:
        hidden.rename(csv)
    assert len(view.values) == 16 and view.times[-1] == np.datetime64("2024-01-17T15:00")
    assert "not there any more" in notes[0]


@pytest.mark.parametrize("as_of, message", [
    ("yesterday-ish", "must be a timestamp"), ("2030-01-01", "lies outside the data"), ("2024-01-01 03:00", "fewer than"),
])
def test_forecast_view_rejects_a_bad_as_of(bundle, as_of, message):
    with pytest.raises(Exception, match=message):
        plotting.forecast_view(bundle, 4, None, None, as_of, None, [])


def test_output_format_comes_from_the_extension():
    assert plotting.output_format(Path("a.SVG")) == "svg"
    with pytest.raises(UsageError, match=r"cannot tell the image format from '\.jpg'"):
        plotting.output_format(Path("a.jpg"))


# --- drawing --------------------------------------------------------------------

def test_decimate_keeps_every_bins_extremes_and_order():
    from tsfc.plots import decimate

    rng = np.random.default_rng(1)
    y = rng.normal(size=100_003)
    x = np.arange(len(y))
    dx, dy = decimate(x, y, 1000)
    assert len(dy) <= 2 * 1000 + 3 and np.all(np.diff(dx) > 0)
    assert dy.max() == y.max() and dy.min() == y.min()
    bins = y[:100_000].reshape(1000, 100)
    kept = set(dy.tolist())
    assert all(b.max() in kept and b.min() in kept for b in bins)
    short = np.arange(10.0)
    assert decimate(short, short, 1000)[1] is short


def test_a_million_row_forecast_draws_a_few_thousand_points(tmp_path):
    from tsfc import plots

    rows = 1_000_000
    times = pd.date_range("2000-01-01", periods=rows + 24, freq="min").to_numpy()
    values = np.sin(np.arange(rows) / 500.0).astype(np.float32)
    view = plotting.ForecastView("GRU forecast of load", "load", times[:rows], values, times[rows:],
                                 np.zeros(24, np.float32), times[:0], values[:0])
    fig = plots.forecast_figure(view, 10, 5, 100)  # 1000 pixel columns
    # what keeps it fast, counted rather than timed: a minimum and a maximum per column
    assert max(len(line.get_xdata()) for line in fig.axes[0].get_lines()) <= 2 * 1000
    assert png_size(plots.save(fig, tmp_path / "big.png", "png")) == (1000, 500)


def test_title_and_ylabel_replace_the_generated_ones(bundle, monkeypatch, tmp_path):
    fig = drawn(monkeypatch, "forecast", bundle, tmp_path / "f.png", title="Load, next day", ylabel="load (MW)")
    (ax,) = fig.axes
    assert fig.get_suptitle() == "Load, next day" and ax.get_ylabel() == "load (MW)"
    monkeypatch.setattr("tsfc.evaluation.evaluate", lambda *a, **k: long_evaluation(rows=300))
    fig = drawn(monkeypatch, "backtest", bundle, tmp_path / "b.png", title="", ylabel="load (MW)")
    top, bottom = fig.axes
    assert fig.get_suptitle() == "" and top.get_ylabel() == "load (MW)" and bottom.get_ylabel() == "MAE of load (MW)"
    fig = drawn(monkeypatch, "backtest", bundle, tmp_path / "b.png")
    assert fig.get_suptitle().startswith("GRU backtest of load") and fig.axes[0].get_ylabel() == "load"


def test_backtest_upper_panel_draws_a_week_of_hourly_rows_by_default(bundle, monkeypatch, tmp_path):
    monkeypatch.setattr("tsfc.evaluation.evaluate", lambda *a, **k: long_evaluation(rows=5000))
    top = drawn(monkeypatch, "backtest", bundle, tmp_path / "b.png").axes[0]
    # actual, lead 1 (ends at the last origin, 23 rows before the data), lead 24
    assert [len(line.get_xdata()) for line in top.get_lines()] == [168, 145, 168]
    top = drawn(monkeypatch, "backtest", bundle, tmp_path / "b.png", history=400, leads=[6]).axes[0]
    assert [len(line.get_xdata()) for line in top.get_lines()] == [400, 382]


def hourly_forecast_view(days: int, freq: str = "h") -> plotting.ForecastView:
    rows = int(pd.Timedelta(days=days) / pd.tseries.frequencies.to_offset(freq)) + 24
    times = pd.date_range("2024-03-04", periods=rows, freq=freq).to_numpy()  # a Monday
    values = np.sin(np.arange(len(times)) / 4.0)
    return plotting.ForecastView("GRU forecast of load", "load", times[:-24], values[:-24], times[-24:], values[-24:],
                                 times[:0], values[:0], ylabel="load")


def tick_labels(fig) -> list[str]:
    """The x tick labels of the figure's first axes, as drawn."""
    fig.draw_without_rendering()
    return [label.get_text() for label in fig.axes[0].get_xticklabels()]


@pytest.mark.parametrize("days, freq, expected", [
    (7, "h", ["Mon 04", "12:00", "Tue 05", "12:00", "Wed 06"]),  # every 12 hours
    (2, "30min", ["Mon 04", "04:00", "08:00", "12:00", "16:00", "20:00", "Tue 05"]),  # 60 hours: every 4
])
def test_date_ticks_show_day_and_hour_on_sub_daily_data(days, freq, expected):
    from tsfc import plots

    fig = plots.forecast_figure(hourly_forecast_view(days, freq), 10, 5, 50)
    labels = [text for text in tick_labels(fig) if text]
    assert labels[: len(expected)] == expected


def test_date_ticks_of_daily_data_show_no_hours():
    from tsfc import plots

    times = pd.date_range("2024-03-04", periods=40, freq="D").to_numpy()
    values = np.arange(40.0)
    view = plotting.ForecastView("t", "load", times[:30], values[:30], times[30:], values[30:], times[:0], values[:0])
    labels = tick_labels(plots.forecast_figure(view, 10, 5, 50))
    assert labels and not any(":" in text for text in labels)


def test_every_drawn_line_has_one_legend_entry(bundle):
    from tsfc import plots

    as_of = plotting.forecast_view(bundle, 6, None, 48, "2024-01-10 05:00", None, [])
    loss = plotting.LossView("loss", [1, 2, 3], [3.0, 2.0, 1.5], [2.5, 2.0, 2.2], 2, 2.0, False)
    start = plotting.LossView("loss", [1, 2], [3.0, 2.0], [2.5, 2.6], 0, 2.4, False)  # the start before training kept
    backtest = plotting.backtest_view(long_evaluation(rows=400), "GRU", [1, 12, 24], 100)
    figures = [plots.forecast_figure(as_of, 8, 4, 50), plots.loss_figure(loss, 8, 4, 50),
               plots.loss_figure(start, 8, 4, 50), plots.backtest_figure(backtest, 8, 6, 50)]
    for fig in figures:
        for ax in fig.axes:
            lines = {line.get_label() for line in ax.get_lines()}
            entries = [text.get_text() for text in ax.get_legend().get_texts()]
            assert sorted(lines) == sorted(entries), (fig.get_suptitle(), lines, entries)
            assert not any(label.startswith("_") for label in lines)


# --- the command, headless --------------------------------------------------------

RENDER_ALL = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_plots import fake_evaluation
from tsfc import plots, plotting

bundle, out = Path(sys.argv[1]), Path(sys.argv[2])
for fmt in ("png", "svg"):
    plotting.plot("forecast", bundle, out / f"forecast.{{fmt}}", width=8, height=4, dpi=50)
    plotting.plot("loss", bundle, out / f"loss.{{fmt}}", width=6, height=3, dpi=80)
    view = plotting.backtest_view(fake_evaluation(), "GRU", [1, 3])
    plots.save(plots.backtest_figure(view, 9, 6, 60), out / f"backtest.{{fmt}}", fmt)
print("matplotlib config in", __import__("matplotlib").get_configdir())
"""


def test_every_kind_renders_headless_to_png_and_svg_of_the_requested_size(bundle, tmp_path):
    script = RENDER_ALL.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", script, str(bundle), str(tmp_path)], env=headless_env(tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    home = missing_home(tmp_path)
    assert str(home) not in done.stdout and done.stderr == ""  # no "cache directory not writable" warning
    assert png_size(tmp_path / "forecast.png") == (400, 200)
    assert png_size(tmp_path / "loss.png") == (480, 240)
    assert png_size(tmp_path / "backtest.png") == (540, 360)
    assert svg_size(tmp_path / "forecast.svg") == (576, 288)  # inches x 72 points
    assert svg_size(tmp_path / "loss.svg") == (432, 216)
    assert svg_size(tmp_path / "backtest.svg") == (648, 432)
    assert not list(tmp_path.glob(".*.tmp"))
    assert not home.exists()  # matplotlib wrote no config or cache into HOME


def test_cli_plot_writes_default_name_and_prints_the_path(bundle, tmp_path):
    done = tsfc(["plot", "--bundle", str(bundle), "--dpi", "40"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "forecast.png")
    assert png_size(tmp_path / "forecast.png") == (400, 200)


def test_cli_plot_svg_as_of_with_data_and_loss(bundle, tmp_path):
    data = bundle.parent / "hourly.csv"
    done = tsfc(["plot", "-b", str(bundle), "--data", str(data), "--horizon", "12", "--history", "72",
                 "--as-of", "2024-01-12 00:00", "--output", "next.svg", "--width", "7", "--height", "3"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert svg_size(tmp_path / "next.svg") == (504, 216)
    done = tsfc(["plot", "-b", str(bundle), "--kind", "loss", "-o", "curves.png", "--dpi", "50"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert png_size(tmp_path / "curves.png") == (500, 250)


def test_cli_plot_backtest_draws_evaluates_result(bundle, tmp_path):
    done = tsfc(["plot", "-b", str(bundle), "--kind", "backtest", "--horizon", "8", "--lead", "1,8", "--stride", "4",
                 "--dpi", "50", "--width", "8", "--height", "6", "--title", "Load backtest", "--ylabel", "load (MW)"],
                tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "backtest.png")
    assert png_size(tmp_path / "backtest.png") == (400, 300)
    done = tsfc(["plot", "-b", str(bundle), "--kind", "backtest", "--horizon", "8", "--lead", "9"], tmp_path)
    assert done.returncode == 2 and "--lead must lie between 1 and the horizon 8, got 9" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["-o", "chart.jpg"], "cannot tell the image format from '.jpg'"),
    (["--kind", "pie"], "--kind must be one of forecast, backtest, loss"),
    (["--width", "0"], "--width must be > 0"),
    (["--lead", "1,x", "--kind", "backtest"], "--lead must be a comma list"),
])
def test_cli_plot_usage_errors_exit_2_with_one_line(bundle, tmp_path, args, message):
    done = tsfc(["plot", "-b", str(bundle), *args], tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_and_predict_do_not_import_matplotlib(bundle, tmp_path):
    probe = textwrap.dedent("""
        import sys
        from tsfc.cli import main
        sys.argv = ["tsfc", *sys.argv[1:]]
        try:
            main()
        except SystemExit:
            pass
        print("MATPLOTLIB" if "matplotlib" in sys.modules else "CLEAN", file=sys.stderr)
    """)
    for args in (["--help"], ["plot", "--help"], ["predict", "-b", str(bundle), "--horizon", "3"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], env=headless_env(tmp_path),
                              capture_output=True, text=True, timeout=300)
        assert done.stderr.strip().endswith("CLEAN"), (args, done.stderr)
