"""`tsfc score`: stored forecasts against actuals, with numbers worked out by hand."""

import hashlib
import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import TINY_ARGS, write_hourly_csv
from tsfc import ledger
from tsfc.cli import app
from tsfc.errors import QualityGateError, UsageError
from tsfc.scoring import check_gate, score

# The bundle's promise: validation MAE 1.0 on a MASE scale of 2.0, so validation MASE 0.5.
MANIFEST = {"target": "x", "columns": ["x"], "date_col": "date", "freq": "h",
            "validation": {"rows": 40, "mae": {"model": 1.0}}, "train_stats": {"mase_scale": {"season": 24, "mae": 2.0}}}


def run(origin_hour: int, values, sha="a" * 64, bounds=(), path="/models/model.tsfc"):
    origin = f"2024-01-01T{origin_hour:02d}:00:00"
    rows = [("", origin, lead, f"2024-01-01T{origin_hour + lead:02d}:00:00", float(v)) for lead, v in enumerate(values, 1)]
    return ledger.Entry(sha, path, "x", MANIFEST, {"": 2.0}, len(values), None, "0.1.0",
                        rows, [("", origin, lead, 80.0, lo, hi) for lead, lo, hi in bounds])


@pytest.fixture
def case(tmp_path):
    """Actuals 10, 11, ..., 20 at 00:00-10:00; three runs, the last one reaching past the data."""
    pd.DataFrame({"date": pd.date_range("2024-01-01", periods=11, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
                  "x": np.arange(10.0, 21.0)}).to_csv(tmp_path / "actual.csv", index=False)
    db = tmp_path / "f.db"
    for entry in (
        run(2, [12, 16, 15], bounds=[(1, 12, 14), (2, 15, 17), (3, 14, 16)]),  # actual 13 14 15: errors -1 +2 0
        run(3, [14, 13, 20]),  # actual 14 15 16: errors 0 -2 +4
        run(9, [21, 5, 5]),  # actual 20, then two target times after the data's end: +1, pending, pending
    ):
        with ledger.recording(db, entry):
            pass
    return tmp_path


def test_realised_accuracy_by_hand(case):
    result = score(case / "f.db", case / "actual.csv")
    assert (result.counts["forecasts"], result.counts["scored"], result.counts["pending"]) == (9, 7, 2)
    o = result.overall  # absolute errors 1 2 0, 0 2 4, 1
    assert o["mae"] == pytest.approx(10 / 7)
    assert o["rmse"] == pytest.approx(math.sqrt(26 / 7))
    assert o["mase"] == pytest.approx(10 / 7 / 2.0)
    terms = [200 * 1 / 25, 200 * 2 / 30, 0, 0, 200 * 2 / 28, 200 * 4 / 36, 200 * 1 / 41]
    assert o["smape"] == pytest.approx(sum(terms) / 7)
    assert o["coverage"] == {"80": pytest.approx(2 / 3)}  # 13 in [12, 14], 14 not in [15, 17], 15 in [14, 16]
    assert [(r["lead"], r["forecasts"], r["mae"]) for r in result.by_lead] == [
        (1, 3, pytest.approx(2 / 3)), (2, 2, pytest.approx(2.0)), (3, 2, pytest.approx(2.0))]
    (bundle,) = result.by_bundle
    assert bundle["in_service"] and bundle["runs"] == 3 and bundle["forecasts"] == 7
    assert bundle["backtest"] == {"source": "validation", "mae": 1.0, "mase": 0.5, "rows": 40}
    assert result.period == "week" and [r["period"] for r in result.by_period] == ["2024-01-01"]
    by_month = score(case / "f.db", case / "actual.csv", period="month").by_period
    assert [(r["period"], r["forecasts"]) for r in by_month] == [("2024-01", 7)]


@pytest.mark.parametrize("since", ["2024-01-01 03:00", "6h"])  # the newest origin is 09:00
def test_since_keeps_the_later_origins(case, since):
    result = score(case / "f.db", case / "actual.csv", since=since)
    assert result.counts["scored"] == 4
    assert result.overall["mae"] == pytest.approx(7 / 4)


def test_a_retrain_is_a_step_and_the_gate_checks_the_bundle_in_service(case):
    with ledger.recording(case / "f.db", run(4, [15, 16, 17], sha="b" * 64)):  # retrained: exact
        pass
    result = score(case / "f.db", case / "actual.csv", gate=1.0)
    old, new = result.by_bundle
    assert (old["in_service"], new["in_service"]) == (False, True)
    assert old["mae"] == pytest.approx(10 / 7) and new["mae"] == 0.0
    assert result.gate["passed"] and [c["bundle_sha256"] for c in result.gate["checks"]] == ["b" * 64]


def test_the_gate_fails_above_the_factor(case):
    # realised MASE 5/7 = 0.714 against the validation MASE 0.5: 1.43 x
    check_gate(score(case / "f.db", case / "actual.csv", gate=1.5))
    with pytest.raises(QualityGateError, match=r"realised MASE 0.7143 over 7 forecasts is 1.43 x its validation "
                                               r"MASE 0.5, above the limit of 1.4 x") as caught:
        check_gate(score(case / "f.db", case / "actual.csv", gate=1.4))
    assert caught.value.exit_code == 7


def test_the_promise_of_an_updated_bundle_includes_its_holdout():
    from tsfc.scoring import promised

    record = {"decision": "replaced", "metric": "mase", "champion": 0.9, "challenger": 0.8,
              "holdout": {"origins": 168, "horizon": 24}}
    got = promised({**MANIFEST, "lineage": [{"decision": "replaced"}, record]}, {"": 2.0})
    assert got == {"source": "validation", "mae": 1.0, "mase": 0.5, "rows": 40,
                   "holdout": {"metric": "mase", "value": 0.8, "origins": 168, "horizon": 24}}
    assert "holdout" not in promised(MANIFEST, {"": 2.0})


def test_nothing_since_is_a_note_not_an_error(case):
    result = score(case / "f.db", case / "actual.csv", since="2030-01-01")
    assert result.counts["forecasts"] == 0 and result.overall["mae"] is None and result.by_bundle == []
    assert result.notes == ["no forecasts in the ledger since 2030-01-01; record some with `tsfc predict --ledger`"]


def test_the_report_fits_80_columns(case):
    from rich.console import Console

    from tsfc import render

    result = score(case / "f.db", case / "actual.csv")
    console = Console(width=80, record=True, file=open(os.devnull, "w"))
    for table in render.score_tables(result, 80):
        console.print(table)
    shown = console.export_text()
    assert max(map(len, shown.splitlines())) <= 80
    assert "66.67" in shown  # the coverage column, in %
    text = render.score_text(result).splitlines()
    assert text[2].split() == ["group", "key", "forecasts", "mae", "rmse", "mase", "smape", "coverage_80",
                               "validation_mase"]
    assert text[4].split()[:3] + text[4].split()[-1:] == ["bundle", "aaaaaaaa*", "7", "0.5"]


def test_bad_options(case):
    for kwargs, match in (({"since": "yesterday-ish"}, "--since"), ({"gate": 0}, "must be > 0"),
                          ({"period": "day"}, "--period")):
        with pytest.raises(UsageError, match=match):
            score(case / "f.db", case / "actual.csv", **kwargs)


def test_score_command_json_and_exit_7(case, monkeypatch):
    monkeypatch.chdir(case)
    monkeypatch.delenv("TSFC_LEDGER", raising=False)
    done = CliRunner().invoke(app, ["score", "--ledger", "f.db", "--data", "actual.csv", "--json"])
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scored"] == 7 and report["pending"] == 2 and report["overall"]["mase"] == pytest.approx(5 / 7)
    assert report["by_bundle"][0]["backtest"]["mase"] == 0.5
    piped = CliRunner().invoke(app, ["score", "--data", "actual.csv", "--fail-if-worse-than-backtest", "1.2"],
                               env={"TSFC_LEDGER": "f.db"})
    assert piped.exit_code == 7
    assert piped.stdout.splitlines()[3].split()[:4] == ["all", "-", "7", f"{10 / 7:.6g}"]  # the report comes first
    assert piped.stderr.startswith("tsfc: error: /models/model.tsfc (aaaaaaaa): realised MASE 0.7143")


def test_predict_then_score_end_to_end(tmp_path, monkeypatch):
    """Two nightly runs recorded, the same run repeated, then scored when the actuals have arrived."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    monkeypatch.delenv("TSFC_LEDGER", raising=False)
    rng = np.random.default_rng(0)
    write_hourly_csv(tmp_path / "all.csv", rows=460)
    full = pd.read_csv(tmp_path / "all.csv")
    full["x"] += rng.normal(0, 0.3, len(full))  # noise, so the seasonal-naive scale is not zero
    full.to_csv(tmp_path / "all.csv", index=False)
    full[:400].to_csv(tmp_path / "night1.csv", index=False)
    full[:424].to_csv(tmp_path / "night2.csv", index=False)
    tsfc = lambda *args: CliRunner().invoke(app, list(args))  # noqa: E731
    assert tsfc("fit", "night1.csv", "-t", "x", *TINY_ARGS).exit_code == 0
    for night in ("night1.csv", "night2.csv", "night2.csv"):
        done = tsfc("predict", "--data", night, "--horizon", "24", "--ledger", "f.db", "-o", "next.csv")
        assert done.exit_code == 0, done.stderr
    forecasts, _, bundles = ledger.read("f.db")
    assert len(forecasts) == 48 and forecasts["run"].nunique() == 2
    done = tsfc("score", "--ledger", "f.db", "--data", "all.csv", "--json")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["scored"], report["pending"], report["runs"]) == (48, 0, 2)
    stored = forecasts.sort_values(["origin", "lead"])
    actual = full.set_index(pd.to_datetime(full["date"]))["x"]
    expected = np.abs(stored["value"].to_numpy() - actual[pd.to_datetime(stored["target_time"])].to_numpy()).mean()
    assert report["overall"]["mae"] == pytest.approx(expected)
    assert report["by_bundle"][0]["bundle_sha256"] == hashlib.sha256((tmp_path / "model.tsfc").read_bytes()).hexdigest()
    (scale,) = [b["manifest"]["train_stats"]["mase_scale"]["mae"] for b in bundles.values()]
    assert report["overall"]["mase"] == pytest.approx(expected / scale)


def test_many_series_are_recorded_and_scored_per_series(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TSFC_BUNDLE", raising=False)
    monkeypatch.delenv("TSFC_LEDGER", raising=False)
    rng = np.random.default_rng(1)
    stamps = pd.date_range("2024-01-01", periods=330, freq="h")
    frames = [pd.DataFrame({"shop": name, "date": stamps.strftime("%Y-%m-%d %H:%M:%S"),
                            "x": level + np.sin(np.arange(330) * 2 * np.pi / 24) + rng.normal(0, 0.2, 330)})
              for name, level in (("north", 10.0), ("south", 50.0))]
    full = pd.concat(frames)
    full.to_csv(tmp_path / "all.csv", index=False)
    full[full["date"] < "2024-01-13"].to_csv(tmp_path / "now.csv", index=False)  # 288 rows each
    tsfc = lambda *args: CliRunner().invoke(app, list(args))  # noqa: E731
    done = tsfc("fit", "now.csv", "-t", "x", "--id-col", "shop", *TINY_ARGS)
    assert done.exit_code == 0, done.stderr
    for _ in range(2):
        done = tsfc("predict", "--data", "now.csv", "--horizon", "6", "--ledger", "f.db", "--format", "csv")
        assert done.exit_code == 0, done.stderr
    forecasts, _, bundles = ledger.read("f.db")
    assert sorted(forecasts.groupby("series")["lead"].apply(list).items()) == [
        ("north", [1, 2, 3, 4, 5, 6]), ("south", [1, 2, 3, 4, 5, 6])]
    assert set(forecasts["origin"]) == {"2024-01-12T23:00:00"}
    (stored,) = bundles.values()
    assert set(stored["mase_scales"]) == {"north", "south"}
    report = json.loads(tsfc("score", "--ledger", "f.db", "--data", "all.csv", "--json").stdout)
    assert report["scored"] == 12
    truth = full.assign(date=pd.to_datetime(full["date"])).set_index(["shop", "date"])["x"]
    got = truth[list(zip(forecasts["series"], pd.to_datetime(forecasts["target_time"])))].to_numpy()
    scales = forecasts["series"].map(stored["mase_scales"]).to_numpy()
    assert report["overall"]["mae"] == pytest.approx(np.abs(forecasts["value"].to_numpy() - got).mean())
    assert report["overall"]["mase"] == pytest.approx((np.abs(forecasts["value"].to_numpy() - got) / scales).mean())


def test_score_refuses_a_stale_feed(tmp_path, monkeypatch):
    from conftest import TINY_ARGS, write_hourly_csv
    from typer.testing import CliRunner

    from tsfc.cli import app

    monkeypatch.chdir(tmp_path)
    write_hourly_csv(tmp_path / "data.csv")
    runner = CliRunner()
    assert runner.invoke(app, ["fit", "data.csv", "--target", "x", *TINY_ARGS]).exit_code == 0
    assert runner.invoke(app, ["predict", "--ledger", "f.db", "--quiet"]).exit_code == 0
    monkeypatch.setenv("TSFC_NOW", "2100-01-01T00:00")
    done = runner.invoke(app, ["score", "--ledger", "f.db", "--data", "data.csv", "--max-age", "1d"])
    assert done.exit_code == 3 and "more than --max-age 1 day" in done.stderr, done.stderr
