"""Tests for tsfc.baselines on series whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from tsfc.baselines import LinearBaseline, naive, season_for, seasonal_naive
from tsfc.metrics import mase, seasonal_naive_mae


@pytest.mark.parametrize("freq, season", [
    ("h", 24), ("H", 24), ("D", 7), ("MS", 12), ("ME", 12), ("W-SUN", 52), ("QS-JAN", 4), ("QE-DEC", 4),
    ("2h", 12), ("15min", 96), ("YS-JAN", 1), (None, 1),
])
def test_season_for_frequency(freq, season):
    assert season_for(freq) == season


def test_naive_repeats_last_value():
    series = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    np.testing.assert_array_equal(naive(series, np.array([2, 4]), 3), [[1, 1, 1], [1, 1, 1]])
    np.testing.assert_array_equal(naive(series, np.array([3]), 2), [[4, 4]])


def test_naive_on_random_walk_has_mase_near_one():
    walk = np.cumsum(np.random.default_rng(0).normal(size=20_000))
    train, test = walk[:10_000], walk
    origins = np.arange(10_000, 20_000)
    forecast = naive(test, origins, 1)
    actual = test[origins][:, None]
    assert mase(actual, forecast, seasonal_naive_mae(train, 1)) == pytest.approx(1.0, abs=0.05)


def test_seasonal_naive_is_exact_on_a_periodic_series():
    pattern = np.array([5.0, -1.0, 2.0, 8.0])
    series = np.tile(pattern, 10)
    origins = np.arange(4, 30)
    forecast = seasonal_naive(series, origins, 7, season=4)
    actual = series[origins[:, None] + np.arange(7)]
    np.testing.assert_array_equal(forecast, actual)


def test_seasonal_naive_refuses_origins_without_a_season_of_history():
    with pytest.raises(ValueError, match="fewer than 4 rows"):
        seasonal_naive(np.arange(10.0), np.array([3, 5]), 2, season=4)


def test_linear_recovers_an_exact_ar_relation():
    # y = 5 + 3 sin(0.3 t + 0.1) obeys y[t] = 2 cos(0.3) y[t-1] - y[t-2] + 5 (2 - 2 cos(0.3)) exactly
    t = np.arange(300)
    y = 5 + 3 * np.sin(0.3 * t + 0.1)
    model = LinearBaseline(window=2, horizon=3).fit(y[:100])
    a = 2 * np.cos(0.3)
    np.testing.assert_allclose(model.coef_[:, 0], [-1, a, 5 * (2 - a)], atol=1e-8)  # [y[t-2], y[t-1], 1]
    origins = np.arange(150, 297)
    np.testing.assert_allclose(model.predict(y, origins), y[origins[:, None] + np.arange(3)], atol=1e-8)


def test_linear_recovers_a_line_with_intercept():
    y = 3.0 * np.arange(50) - 7.0
    model = LinearBaseline(window=4, horizon=3).fit(y[:30])
    np.testing.assert_allclose(model.predict(y, np.array([35, 40])), [[98, 101, 104], [113, 116, 119]], atol=1e-8)


def test_linear_needs_enough_rows_and_a_fit():
    with pytest.raises(ValueError, match="need at least window \\+ horizon = 7"):
        LinearBaseline(window=4, horizon=3).fit(np.arange(6.0))
    with pytest.raises(RuntimeError, match="call fit"):
        LinearBaseline(window=4, horizon=3).predict(np.arange(10.0), np.array([5]))
