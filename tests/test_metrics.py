"""Tests for tsfc.metrics: hand-computed values on 2x2 arrays, per-lead variants, edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tsfc import metrics
from tsfc.metrics import METRICS, report

ACTUAL = np.array([[2.0, 4.0], [5.0, 10.0]])
FORECAST = np.array([[1.0, 5.0], [5.0, 8.0]])  # errors -1, +1, 0, -2


def test_perfect_forecast_scores_zero_everywhere():
    rng = np.random.default_rng(0)
    actual = rng.normal(10, 3, size=(5, 4))
    scores = report(actual, actual.copy(), mase_scale=1.7, std=2.0)
    assert set(scores) == set(METRICS)
    assert all(v == 0 for v in scores.values())
    per_lead = report(actual, actual.copy(), mase_scale=1.7, std=2.0, axis=0)
    assert all(v == [0.0] * 4 for v in per_lead.values())


def test_hand_computed_2x2():
    assert metrics.mae(ACTUAL, FORECAST) == 1.0  # (1 + 1 + 0 + 2) / 4
    assert metrics.mse(ACTUAL, FORECAST) == 1.5  # (1 + 1 + 0 + 4) / 4
    assert metrics.rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(1.5))
    assert metrics.mape(ACTUAL, FORECAST) == pytest.approx(100 * (1 / 2 + 1 / 4 + 0 + 2 / 10) / 4)  # 23.75
    assert metrics.smape(ACTUAL, FORECAST) == pytest.approx(100 * (2 / 3 + 2 / 9 + 0 + 4 / 18) / 4)  # 27.78
    assert metrics.mase(ACTUAL, FORECAST, scale=0.5) == 2.0


def test_per_lead_reduces_over_origins():
    assert metrics.mae(ACTUAL, FORECAST, axis=0).tolist() == [0.5, 1.5]
    assert metrics.mse(ACTUAL, FORECAST, axis=0).tolist() == [0.5, 2.5]
    scores = report(ACTUAL, FORECAST, mase_scale=2.0, std=2.0, axis=0)
    assert scores["mae"] == [0.5, 1.5]
    assert scores["mase"] == [0.25, 0.75]
    assert scores["mse_std"] == [0.125, 0.625]  # mse / std**2
    assert scores["mae_std"] == [0.25, 0.75]  # mae / std


def test_standardized_errors_equal_errors_of_standardized_values():
    rng = np.random.default_rng(1)
    actual, forecast = rng.normal(50, 8, (6, 3)), rng.normal(50, 8, (6, 3))
    mean, std = 47.0, 6.5
    scores = report(actual, forecast, mase_scale=1.0, std=std)
    z = lambda x: (x - mean) / std  # noqa: E731
    assert scores["mse_std"] == pytest.approx(metrics.mse(z(actual), z(forecast)))
    assert scores["mae_std"] == pytest.approx(metrics.mae(z(actual), z(forecast)))


def test_mape_skips_zero_actuals_and_undefined_values_become_none():
    assert metrics.mape(np.array([[0.0, 2.0]]), np.array([[1.0, 3.0]])) == 50.0
    scores = report(np.zeros((2, 2)), np.ones((2, 2)), mase_scale=0.0, std=0.0)
    assert scores["mape"] is None and scores["mase"] is None and scores["mse_std"] is None
    assert scores["smape"] == 200.0 and scores["mae"] == 1.0


def test_seasonal_naive_mae_in_sample():
    assert metrics.seasonal_naive_mae(np.array([1.0, 2.0, 4.0, 7.0]), 1) == pytest.approx(2.0)  # 1, 2, 3
    assert metrics.seasonal_naive_mae(np.array([1.0, 2.0, 4.0, 7.0]), 2) == pytest.approx(4.0)  # 3, 5
    assert metrics.seasonal_naive_mae(np.array([1.0, 2.0]), 2) is None
