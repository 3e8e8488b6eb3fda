"""Verdict lines and the fit-time comparison with the baselines on the validation rows."""

import numpy as np
import pandas as pd

from tsfc.verdict import losers, sentence


def test_sentence_says_by_how_much_the_model_wins_or_loses():
    scores = {"model": 0.77, "naive": 2.0, "seasonal_naive": 1.0, "linear": 0.7}
    assert sentence(scores, "MASE") == "model beats seasonal_naive by 23 % and loses to linear by 10 % on MASE"


def test_sentence_calls_half_a_percent_a_tie_and_skips_missing_baselines():
    assert sentence({"model": 1.0, "seasonal_naive": None, "linear": 1.004}, "MAE") == "model ties linear on MAE"
    assert sentence({"model": 1.0}, "MAE") == "no baseline to compare the model with on MAE"


def test_losers_are_the_baselines_better_than_the_model():
    assert losers({"model": 1.0, "seasonal_naive": 0.9, "linear": 1.2}) == ["seasonal_naive"]
    assert losers({"model": 1.0, "seasonal_naive": 0.999, "linear": 1.2}) == []  # within 0.5 %


def test_fit_compares_the_network_with_the_baselines_on_validation_rows(tmp_path):
    from conftest import tiny_config, write_hourly_csv
    from tsfc.pipeline import fit_csv, load_bundle

    csv = write_hourly_csv(tmp_path / "h.csv", rows=300)
    summary = fit_csv(csv, "x", tiny_config(block=6), tmp_path / "m.tsfc", threads=1)
    validation = load_bundle(tmp_path / "m.tsfc").manifest["validation"]
    assert validation == summary.validation and validation["rows"] == 30
    # every validation row is scored at every lead: seasonal naive by hand over the same rows
    x = np.asarray(pd.read_csv(csv)["x"], dtype=np.float32).astype(np.float64)
    errors = [abs(x[o + k] - x[o + k - 24]) for o in range(210 - 5, 240) for k in range(6) if 210 <= o + k < 240]
    assert np.isclose(validation["mae"]["seasonal_naive"], np.mean(errors))
    assert set(validation["mae"]) == {"model", "naive", "seasonal_naive", "linear"}
