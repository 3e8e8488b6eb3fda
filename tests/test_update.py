"""`tsfc update`: a challenger replaces the bundle only when it forecasts the held-out rows better.

The series are hourly AR(1) noise around a level (tiny CSVs written here). The champion is fitted
with `--norm none`: a network fed levels cannot follow a series to a level it never saw, so after
a level shift a retrained network must win. (With the default `--norm last` the network sees only
changes and is blind to the level, so a level shift alone cannot make it stale.)
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tsfc.cli import app

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--window", "8", "--hidden", "8", "--layers", "1", "--epochs", "2", "--threads", "1", "--quiet"]
OLD = [(10.0, 300)]  # the champion's data
SHIFTED = [(10.0, 300), (30.0, 300)]  # the same rows, then 300 at a new level
LINE = re.compile(r"^(kept|replaced) model\.tsfc: challenger MASE (\S+) vs (\S+) on (\d+) origins$")


def write_ar_csv(path: Path, levels: list[tuple[float, int]], seed: int = 0) -> Path:
    """Hourly rows of AR(1) noise (phi 0.6, unit shocks) around each (level, rows) in turn.

    The same `seed` gives the same first rows whatever follows, so one file can continue another."""
    rng = np.random.default_rng(seed)
    lines, noise, row = ["date,y"], 0.0, 0
    for level, rows in levels:
        for _ in range(rows):
            noise = 0.6 * noise + rng.normal()
            stamp = np.datetime64("2024-01-01T00:00") + np.timedelta64(row, "h")
            lines.append(f"{str(stamp).replace('T', ' ')}:00,{level + noise:.4f}")
            row += 1
    path.write_text("\n".join(lines) + "\n")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tsfc(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def champion(tmp_path_factory) -> Path:
    """A directory with old.csv and model.tsfc fitted on it (read-only: tests work on copies)."""
    d = tmp_path_factory.mktemp("champion")
    write_ar_csv(d / "old.csv", OLD)
    done = tsfc("fit", d / "old.csv", "--target", "y", "--norm", "none", *TINY, "--bundle", d / "model.tsfc")
    assert done.exit_code == 0, done.stderr
    return d


@pytest.fixture
def work(tmp_path, champion, monkeypatch) -> Path:
    shutil.copy(champion / "model.tsfc", tmp_path / "model.tsfc")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    return tmp_path


def files(directory: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- the decision

def test_a_level_shift_promotes_the_challenger_refitted_and_keeps_the_champion(work):
    before = sha256(work / "model.tsfc")
    write_ar_csv(work / "latest.csv", SHIFTED)
    done = tsfc("update", "--data", "latest.csv", "--keep", "2", "--quiet")
    assert done.exit_code == 0, done.stderr
    decision, challenger, champion, origins = LINE.match(done.stdout.strip()).groups()
    assert decision == "replaced" and int(origins) == 24  # default holdout: one horizon (24) of origins
    assert float(challenger) < 0.5 * float(champion)  # the old network mean-reverts to level 10
    # The champion is kept, byte for byte, as model.tsfc.prev; a second generation does not exist yet.
    assert sha256(work / "model.tsfc.prev") == before
    assert not (work / "model.tsfc.prev2").exists() and not (work / "model.tsfc.lock").exists()
    # Refitted on every row, with its lineage in the manifest and in `info`.
    manifest = json.loads(tsfc("info", "--json").stdout)
    assert manifest["split"]["rows"] == 600 and manifest["last_timestamp"] == "2024-01-25T23:00:00"
    record = manifest["lineage"][-1]
    assert record["parent_sha256"] == before and record["decision"] == "replaced"
    assert record["refit"] and record["warm_start"] and record["holdout"]["rows"] == 47
    assert record["challenger"] == pytest.approx(float(challenger), rel=1e-3)
    info = tsfc("info").stdout
    assert f"updated: {record['updated']}: replaced parent sha256 {before[:12]}" in info
    assert "update scores: challenger MASE" in info and "on 24 origins" in info
    # It forecasts at the new level.
    forecast = tsfc("predict", "--horizon", "3", "--format", "json").stdout
    assert all(25 < row["y"] < 35 for row in json.loads(forecast)["forecast"])


def test_an_identical_challenger_is_kept_and_the_bundle_stays_byte_identical(work):
    """Trained from scratch on exactly the champion's rows (the new file adds only the holdout),
    the challenger is the champion: a tie never replaces, even with --margin 0."""
    write_ar_csv(work / "latest.csv", [(10.0, 347)])  # old.csv's 300 rows, then 47 more
    before = files(work)
    done = tsfc("update", "--data", "latest.csv", "--from-scratch", "--margin", "0", "--fail-if-kept", "-q")
    assert done.exit_code == 7, done.stderr
    decision, challenger, champion, origins = LINE.match(done.stdout.strip()).groups()
    assert decision == "kept" and challenger == champion and origins == "24"
    assert done.stderr.splitlines() == [f"tsfc: error: {done.stdout.strip()} (--fail-if-kept)"]
    assert files(work) == before  # no .prev, no lock file, no temporary; model.tsfc untouched
    report = json.loads(tsfc("update", "--data", "latest.csv", "--from-scratch", "--json", "-q").stdout)
    assert report["decision"] == "kept" and report["champion"] == report["challenger"]
    assert report["sha256"] == report["parent_sha256"] == before["model.tsfc"]
    assert files(work) == before


def test_a_big_margin_keeps_the_bundle(work):
    write_ar_csv(work / "latest.csv", [(10.0, 400)], seed=1)
    before = files(work)
    done = tsfc("update", "--data", "latest.csv", "--margin", "0.5", "--json", "-q")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["decision"] == "kept" and report["threshold"] == pytest.approx(0.5 * report["champion"]["mase"])
    assert report["challenger"]["mase"] >= report["threshold"]
    assert files(work) == before


def test_no_refit_writes_the_challenger_as_tested(work):
    write_ar_csv(work / "latest.csv", SHIFTED)
    report = json.loads(tsfc("update", "--data", "latest.csv", "--no-refit", "--json", "-q").stdout)
    assert report["decision"] == "replaced" and report["refit"] is False
    assert report["previous"] == [str(work / "model.tsfc.prev")]
    manifest = json.loads(tsfc("info", "--json").stdout)
    assert manifest["split"]["rows"] == 600 - 47  # trained without the holdout
    assert manifest["last_timestamp"] == "2024-01-25T23:00:00"  # yet it continues from the data's end
    assert manifest["lineage"][-1]["refit"] is False


def test_the_challenger_starts_from_the_champions_weights(champion):
    """With a learning rate too small to move them, a warm start ends where it began; a cold one does not."""
    from dataclasses import replace

    from tsfc.data import load_csv
    from tsfc.pipeline import fit_series, load_bundle

    loaded = load_bundle(champion / "model.tsfc")
    config = replace(loaded_config(loaded), lr=1e-12, device="cpu")
    series = load_csv(champion / "old.csv", "y")
    warm = fit_series(series, config, initial=loaded.net.state_dict()).net.state_dict()
    cold = fit_series(series, config).net.state_dict()
    recurrent = [k for k in warm if not k.startswith("highway.")]
    for key in recurrent:
        assert np.allclose(warm[key], loaded.net.state_dict()[key], atol=1e-6), key
    assert any(not np.allclose(cold[key], loaded.net.state_dict()[key]) for key in recurrent)


def loaded_config(loaded):
    from tsfc.config import FitConfig

    return FitConfig.from_dict(loaded.manifest["config"])


# ---------------------------------------------------------------- options recovered from the bundle

@pytest.mark.parametrize("given", [
    {},
    {"epochs": 5},
    {"patience": 0},
    {"max_windows": 100},
    {"batch_size": 32, "window": 24, "block": 12, "season": 12},
    {"epochs": 3, "max_windows": 50, "patience": 7},
], ids=["automatic", "epochs", "patience", "max-windows", "shape-and-batch", "budget"])
def test_fit_options_recovers_what_fit_was_given(given):
    """A manifest stores resolved values; `fit_options` sets those fit chose back to automatic."""
    from tsfc.config import FitConfig
    from tsfc.pipeline import _resolve
    from tsfc.update import fit_options

    options = FitConfig(**given)
    resolved, plan = _resolve(options, 2000, "h", "data.csv")
    manifest = {"config": resolved.to_dict(), "defaults": plan.to_dict(), "split": {"rows": 2000}}
    assert fit_options(manifest) == options.to_dict()
    del manifest["defaults"]  # a bundle from before the data-driven defaults: every value kept
    assert fit_options(manifest) == resolved.to_dict()


def test_a_warm_start_keeps_the_shape_and_overrides_win():
    from tsfc.config import FitConfig
    from tsfc.errors import UsageError
    from tsfc.pipeline import _resolve
    from tsfc.update import challenger_config

    resolved, plan = _resolve(FitConfig(hidden=16, device="cpu", threads=1), 2000, "h", "data.csv")
    manifest = {"config": resolved.to_dict(), "defaults": plan.to_dict(), "split": {"rows": 2000}}
    config, pinned = challenger_config(manifest, {"lr": 0.01, "hidden": 16}, from_scratch=False)
    assert (config.window, config.block, config.season) == (resolved.window, resolved.block, resolved.season)
    assert pinned == ["window", "block", "season"]  # chosen from the data at fit time, kept now
    assert (config.lr, config.hidden, config.epochs, config.device, config.threads) == (0.01, 16, 0, "auto", 0)
    config, pinned = challenger_config(manifest, {}, from_scratch=True)
    assert (config.window, config.block, pinned) == (0, 0, [])  # chosen again from the new data
    with pytest.raises(UsageError, match=r"--hidden 32 changes the network's shape .* add --from-scratch"):
        challenger_config(manifest, {"hidden": 32}, from_scratch=False)


# ---------------------------------------------------------------- errors, locks, signals

@pytest.mark.parametrize("args, code, fragment", [
    (["--holdout", "5"], 2, "--holdout must be at least the bundle's horizon, 24 rows"),
    (["--holdout", "590"], 3, "lower --holdout to at most"),
    (["--margin", "1.5"], 2, "--margin must be a number below 1"),
    (["--keep", "-1"], 2, "--keep must be >= 0"),
    (["--window", "16"], 2, "--window 16 changes the network's shape"),
    (["--model", "lstm"], 2, "add --from-scratch"),
    (["--split", "0.5,0.5"], 2, "--split must be three"),
], ids=["holdout-short", "holdout-long", "margin", "keep", "window", "model", "split"])
def test_bad_options_exit_with_one_line_and_touch_nothing(work, args, code, fragment):
    write_ar_csv(work / "latest.csv", SHIFTED)
    before = files(work)
    done = tsfc("update", "--data", "latest.csv", *args)
    assert done.exit_code == code, (done.stdout, done.stderr)
    assert done.stdout == "" and done.stderr.count("\n") == 1 and done.stderr.startswith("tsfc: error: ")
    assert fragment in done.stderr, done.stderr
    assert files(work) == before


def test_too_few_rows_for_the_bundles_shape_exit_3(work):
    write_ar_csv(work / "latest.csv", [(10.0, 60)])
    done = tsfc("update", "--data", "latest.csv")
    assert done.exit_code == 3, done.stderr
    assert "cannot hold out one forecast of 24 steps and still train window 8, block 24" in done.stderr
    assert "supply at least" in done.stderr and "--from-scratch" in done.stderr


def test_a_busy_bundle_exits_75_at_once(work):
    from tsfc.files import locked

    write_ar_csv(work / "latest.csv", SHIFTED)
    before = sha256(work / "model.tsfc")
    with locked(work / "model.tsfc"):  # another run holds it (a flock conflicts within one process too)
        done = tsfc("update", "--data", "latest.csv")
    assert done.exit_code == 75, done.stderr
    assert "being written by another tsfc run" in done.stderr and "--wait" in done.stderr
    assert sha256(work / "model.tsfc") == before


def test_sigterm_during_update_publishes_nothing(work):
    write_ar_csv(work / "latest.csv", SHIFTED)
    before = files(work)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tsfc", "update", "--data", "latest.csv", "--epochs", "500", "--patience", "0"],
        cwd=work, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line or line.startswith("tsfc: round "):  # training the challenger
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert out == "" and err.splitlines()[-1].startswith("tsfc: error: ") and "nothing was written" in err
    assert files(work) == before


def test_a_many_series_bundle_is_refused_with_exit_2(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    stamps = pd.date_range("2024-01-01", periods=120, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    rows = [f"{shop},{stamp},{10 + i % 24 + (5 if shop == 'b' else 0)}" for shop in "ab" for i, stamp in enumerate(stamps)]
    Path("long.csv").write_text("shop,date,sales\n" + "\n".join(rows) + "\n")
    assert tsfc("fit", "long.csv", "--target", "sales", "--id-col", "shop", *TINY).exit_code == 0
    before = sha256(tmp_path / "model.tsfc")
    done = tsfc("update", "--data", "long.csv")
    assert done.exit_code == 2 and "retrains one-series bundles; this one holds 2 series" in done.stderr
    assert sha256(tmp_path / "model.tsfc") == before


def test_a_stale_feed_is_refused_before_training(work, monkeypatch):
    write_ar_csv(work / "latest.csv", SHIFTED)
    before = files(work)
    monkeypatch.setenv("TSFC_NOW", "2100-01-01T00:00")
    done = tsfc("update", "--data", "latest.csv", "--max-age", "2d")
    assert done.exit_code == 3, (done.stdout, done.stderr)
    assert "more than --max-age 2 days" in done.stderr
    assert files(work) == before
