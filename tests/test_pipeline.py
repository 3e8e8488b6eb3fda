import numpy as np
import pandas as pd
import pytest

from conftest import tiny_config, write_hourly_csv
from tsfc import bundle
from tsfc.errors import BundleError, DataError, UsageError
from tsfc.pipeline import describe, fit_csv, load_bundle, predict

LAST = pd.Timestamp("2024-01-17 15:00:00")  # 400 hourly rows from 2024-01-01 00:00


def test_fit_summary_and_manifest(fitted_bundle, session_csv):
    m = describe(fitted_bundle)
    assert m["target"] == "x" and m["columns"] == ["x", "y"]
    assert m["freq"] == "h" and pd.Timestamp(m["last_timestamp"]) == LAST
    # automatic block: the default horizon, one day of hourly rows (longer than half the window)
    assert m["config"]["window"] == 8 and m["config"]["block"] == 24 and m["defaults"]["horizon"] == 24
    assert m["split"] == {"rows": 400, "train_end": 280, "val_end": 320,
                          "train_end_time": "2024-01-12T16:00:00", "val_end_time": "2024-01-14T08:00:00"}
    assert m["training"]["epochs_run"] == 2
    assert m["parameters"] == sum(p.numel() for p in load_bundle(fitted_bundle).net.parameters())
    _, arrays = bundle.load(fitted_bundle)
    raw = pd.read_csv(session_csv)
    np.testing.assert_allclose(arrays["history"], raw[["x", "y"]].to_numpy()[-8:], rtol=1e-6)


@pytest.mark.parametrize("horizon", [1, 30])
def test_predict_continues_hourly_after_the_last_timestamp(fitted_bundle, horizon):
    frame = predict(fitted_bundle, horizon).frame
    assert list(frame.columns) == ["x"]
    assert list(frame.index) == list(pd.date_range(LAST + pd.Timedelta(hours=1), periods=horizon, freq="h"))
    assert np.isfinite(frame.to_numpy()).all()
    # A sine between 7 and 13: even a barely trained model stays near it.
    assert frame["x"].between(0, 20).all()


def test_predict_all_columns(fitted_bundle):
    frame = predict(fitted_bundle, 5, all_columns=True).frame
    assert list(frame.columns) == ["x", "y"]
    np.testing.assert_array_equal(frame["x"].to_numpy(), predict(fitted_bundle, 5).frame["x"].to_numpy())


def test_predict_from_the_fitted_csv_equals_predict_from_history(fitted_bundle, session_csv):
    from_history = predict(fitted_bundle, 12).frame
    from_csv = predict(fitted_bundle, 12, data=session_csv).frame
    pd.testing.assert_frame_equal(from_history, from_csv)


def test_predict_with_newer_data_continues_from_its_end(fitted_bundle, tmp_path):
    newer = write_hourly_csv(tmp_path / "newer.csv", rows=50, start="2024-03-01 00:00:00", offset=7)
    frame = predict(fitted_bundle, 6, data=newer).frame
    first = pd.Timestamp("2024-03-01 00:00:00") + pd.Timedelta(hours=50)
    assert list(frame.index) == list(pd.date_range(first, periods=6, freq="h"))
    assert not np.allclose(frame["x"].to_numpy(), predict(fitted_bundle, 6).frame["x"].to_numpy())


def test_predict_with_data_shorter_than_the_window(fitted_bundle, tmp_path):
    short = write_hourly_csv(tmp_path / "short.csv", rows=5)
    with pytest.raises(DataError, match="fewer than the model's window of 8"):
        predict(fitted_bundle, 3, data=short)


def test_predict_horizon_must_be_positive(fitted_bundle):
    with pytest.raises(UsageError, match="--horizon must be >= 1, got 0"):
        predict(fitted_bundle, 0)


def test_same_seed_gives_identical_weights_and_forecast(tmp_path, hourly_csv):
    paths = [tmp_path / "a.tsfc", tmp_path / "b.tsfc"]
    for path in paths:
        fit_csv(hourly_csv, "x", tiny_config(seed=7, epochs=1), path, threads=1)
    (_, first), (_, second) = bundle.load(paths[0]), bundle.load(paths[1])
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    np.testing.assert_array_equal(predict(paths[0], 10).frame.to_numpy(), predict(paths[1], 10).frame.to_numpy())


def test_too_few_rows(tmp_path):
    short = write_hourly_csv(tmp_path / "short.csv", rows=20)
    target = tmp_path / "model.tsfc"
    # the automatic block shrinks to 1, then window 16 + 1 still needs 17 training rows = 25 rows in all
    with pytest.raises(DataError, match="20 rows is too few.*need at least 25 rows"):
        fit_csv(short, "x", tiny_config(window=16), target, threads=1)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.csv"]


def test_short_data_shrinks_the_automatic_block(tmp_path):
    csv = write_hourly_csv(tmp_path / "s.csv", rows=40)
    target = tmp_path / "model.tsfc"
    summary = fit_csv(csv, "x", tiny_config(epochs=1, window=16), target, threads=1)
    # 40 rows: 28 training rows hold one window of 16 + 12, so the automatic block (24) shrinks to 12
    assert summary.block == 12 and "shortened from 24" in summary.plan.reasons["block"]
    assert len(predict(target, 20).frame) == 20


def test_features_all_and_no_date_column(tmp_path, hourly_csv):
    target = tmp_path / "model.tsfc"
    summary = fit_csv(hourly_csv, "y", tiny_config(epochs=1), target, features="all", date_col="none", threads=1)
    assert summary.columns == ["y", "x"] and summary.freq is None
    frame = predict(target, 4, all_columns=True).frame
    assert frame.index.name == "step" and list(frame.index) == [1, 2, 3, 4]
    assert list(frame.columns) == ["y", "x"]


def test_weights_not_matching_the_manifest_are_refused(tmp_path, fitted_bundle):
    manifest, arrays = bundle.load(fitted_bundle)
    manifest["net"]["hidden"] = 9
    tampered = tmp_path / "model.tsfc"
    bundle.save(tampered, manifest, arrays)  # checksum valid, shapes wrong
    with pytest.raises(BundleError, match="weights do not match"):
        load_bundle(tampered)


def test_interrupted_fit_writes_nothing(tmp_path, hourly_csv):
    from tsfc.errors import Interrupted

    target = tmp_path / "model.tsfc"
    with pytest.raises(Interrupted) as info:
        fit_csv(hourly_csv, "x", tiny_config(), target, threads=1, should_stop=lambda: 143)
    assert info.value.exit_code == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hourly.csv"]  # no bundle, temp file or lock


@pytest.mark.parametrize("history", ["short", "flat"])
def test_history_of_the_wrong_shape_is_refused(tmp_path, fitted_bundle, history):
    manifest, arrays = bundle.load(fitted_bundle)
    arrays["history"] = arrays["history"][:-3] if history == "short" else arrays["history"][:, 0]
    tampered = tmp_path / "model.tsfc"
    bundle.save(tampered, manifest, arrays)  # checksum valid, history wrong
    with pytest.raises(BundleError):
        predict(tampered, 3)


@pytest.mark.parametrize(
    "section, key, value",
    [
        (None, "columns", "xy"),  # a string of the right length, not a list of names
        (None, "freq", "notafreq"),
        (None, "last_timestamp", "yesterday"),
        ("scaler", "data_max", [[1.0, 2.0]]),
        ("net", "norm", "bogus"),
    ],
)
def test_manifest_fields_of_the_wrong_type_are_refused(tmp_path, fitted_bundle, section, key, value):
    manifest, arrays = bundle.load(fitted_bundle)
    (manifest[section] if section else manifest)[key] = value
    tampered = tmp_path / "model.tsfc"
    bundle.save(tampered, manifest, arrays)  # the SHA-256 is no secret: anyone can write a valid one
    with pytest.raises(BundleError):
        predict(tampered, 3)
