"""tsfc.calibration on arrays: the conformal rank, widths, their rules, and coverage on known noise."""

from __future__ import annotations

import numpy as np
import pytest

from tsfc import calibration as cal
from tsfc.errors import UsageError


def test_levels_parse_and_label():
    assert cal.parse_levels("95, 80,97.5,80") == [80, 95, 97.5]
    assert cal.parse_levels(None) == []
    assert [cal.label(v) for v in (80.0, 97.5, 99.9, 0.5)] == ["80", "97.5", "99.9", "0.5"]
    assert cal.interval_columns("OT", [80, 97.5]) == ["OT_lo_80", "OT_hi_80", "OT_lo_97.5", "OT_hi_97.5"]


@pytest.mark.parametrize("text", ["0", "100", "120", "-5", "abc", "", "80,", "nan", "inf"])
def test_bad_levels_are_usage_errors(text):
    with pytest.raises(UsageError, match="--level must be percentages between 0 and 100"):
        cal.parse_levels(text)


def test_the_finite_sample_rank():
    # ceil((n + 1) p): 9 errors at 80 % -> the 8th smallest; 4 -> the 4th (the largest)
    assert cal.rank(9, 80) == 8 and cal.rank(4, 80) == 4 and cal.rank(3, 80) == 4 > 3
    assert cal.rank(19, 95) == 19 and cal.rank(18, 95) == 19
    assert cal.rank(39, 97.5) == 39  # (40 * 0.975 = 39.0 exactly: no rounding up to 40)
    assert [cal.needed(p) for p in (80, 95, 97.5, 99, 99.9)] == [4, 19, 39, 99, 999]


def test_calibrate_takes_the_conformal_order_statistic_and_a_running_max():
    errors = np.full((9, 3), np.nan)
    errors[:, 0] = [9, 1, 8, 2, 7, 3, 6, 4, 5]  # lead 1: 1..9
    errors[:, 1] = np.arange(9) / 10  # lead 2: smaller than lead 1, raised to it by the running max
    errors[:4, 2] = [10, 20, 30, 40]  # lead 3: four errors only
    c = cal.calibrate(errors, "validation", rows=("a", "b"))
    assert c["origins"] == [9, 9, 4] and c["leads"] == 3 and c["rows"] == ["a", "b"]
    assert c["widths"]["80"] == [8, 8, 40]  # 8th of 9; 4th of 4
    assert c["widths"]["50"] == [5, 5, 30]  # ceil(10 * 0.5) = 5th; ceil(5 * 0.5) = 3rd
    assert c["widths"]["100"] == [9, 9, 40]  # the largest error
    # a lead without errors ends the calibrated leads
    errors[:, 1] = np.nan
    assert cal.calibrate(errors, "recent")["leads"] == 1
    assert cal.calibrate(np.full((3, 2), np.nan), "recent") is None


def test_widths_round_up_to_a_stored_level_and_grow_as_sqrt_beyond_the_leads():
    c = {"origins": [100, 100], "leads": 2, "widths": {"60": [1.0, 2.0], "70": [1.5, 3.0], "100": [5.0, 6.0]}}
    w = cal.widths(c, [60, 68, 99.99], 8)  # [levels, H]
    assert w.shape == (3, 8)
    np.testing.assert_allclose(w[0, :2], [1, 2])
    np.testing.assert_allclose(w[1, :2], [1.5, 3])  # 68 % uses the 70 % widths: never narrower
    np.testing.assert_allclose(w[2, :2], [5, 6])
    np.testing.assert_allclose(w[0, 2:], 2 * np.sqrt(np.arange(3, 9) / 2))  # w(L) sqrt(h / L)
    assert (np.diff(w, axis=1) >= 0).all()
    notes = cal.notes(c, [68, 99.99], 8)
    assert any("uses the 70 % widths" in n for n in notes)
    assert any("99.99 % interval needs at least" in n for n in notes)  # 100 errors are too few
    assert any("beyond lead 2" in n for n in notes)
    assert cal.notes(c, [60], 2) == []


def test_widths_rise_with_lead_and_level():
    rng = np.random.default_rng(0)
    errors = np.abs(rng.standard_t(3, size=(300, 24))) * np.linspace(2, 1, 24)  # falling with lead
    c = cal.calibrate(errors, "validation")
    w = cal.widths(c, [50, 80, 95, 99], 48)
    assert (np.diff(w, axis=1) >= 0).all() and (np.diff(w, axis=0) >= 0).all()
    rolled, fewest = cal.rolling_widths(errors, 0, np.arange(150, 300), [50, 80, 95], recent=200)
    assert fewest == 127  # lead 24 at the first test origin, 150: origins 0..126 have known actuals
    assert (np.diff(rolled, axis=2) >= 0).all() and (np.diff(rolled, axis=1) >= 0).all()


def test_rolling_widths_use_only_actuals_known_before_each_origin():
    rng = np.random.default_rng(1)
    errors = rng.exponential(size=(60, 3))
    errors[:5] = np.nan  # rows trained on
    tests, recent = np.array([20, 33, 59]), 10
    got, _ = cal.rolling_widths(errors, 100, tests + 100, [80], recent)  # origins 100, 101, ...
    for i, t in enumerate(tests):
        expected = []
        for j in range(3):
            known = [errors[o, j] for o in range(t) if o + j <= t - 1 and not np.isnan(errors[o, j])][-recent:]
            k = cal.rank(len(known), 80)
            expected.append(np.sort(known)[min(k, len(known)) - 1])
        np.testing.assert_allclose(got[i, 0], np.maximum.accumulate(expected), rtol=1e-6)  # sorted in float32


def synthetic(noise: str, rows: int = 6000, shift_at: int | None = None, seed: int = 1):
    """A known signal (a 12-step cycle) plus noise; the signal is the perfect forecast."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    signal = 10 + np.sin(2 * np.pi * t / 12)
    draw = {"gaussian": rng.normal(0, 1, rows), "student_t2": rng.standard_t(2, rows)}[noise]
    y = signal + draw
    if shift_at is not None:
        y[shift_at:] += 6  # a level shift the forecaster does not follow
    return signal, y


H, FIRST, START = 8, 1000, 2000  # rows < FIRST "trained on", validation rows up to START


def intervals(signal, y, levels, recent):
    tests = np.arange(START, len(y) - H + 1)
    actual = y[tests[:, None] + np.arange(H)]

    def forecast(origins, methods=("model",)):
        return {"model": signal[np.asarray(origins)[:, None] + np.arange(H)]}

    stored = None
    if not recent:
        errors = cal.lead_errors(lambda o: forecast(o)["model"], y, FIRST, START, H, min_origin=12)
        stored = cal.calibrate(errors, "validation")
    report = cal.backtest_intervals(y, tests, actual, forecast(tests), forecast, levels, recent=recent, scale=1.0,
                                    first=FIRST, start=START, min_origin=12, stored=stored)
    return report, tests, actual


@pytest.mark.parametrize("noise", ["gaussian", "student_t2"])
@pytest.mark.parametrize("recent", [300, 0])
def test_intervals_cover_known_noise_and_wrong_widths_do_not(noise, recent):
    signal, y = synthetic(noise)
    report, tests, actual = intervals(signal, y, [80, 95], recent)
    for level in (80, 95):
        assert abs(report.overall["model"][str(level)]["coverage"] - level / 100) < 0.02, (level, report.overall)
    lo, hi = report.bands["80"]
    point, half = (lo + hi) / 2, (hi - lo) / 2
    for factor in (0.85, 1.15):  # a width 15 % off misses the same tolerance
        inside = np.mean(np.abs(actual - point) <= factor * half)
        assert abs(inside - 0.80) > 0.02, factor
    if noise == "student_t2":  # a normal-theory width (1.28 sample std) misses on heavy tails
        errors = (y - signal)[FIRST:START]
        inside = np.mean(np.abs(actual - point) <= 1.2816 * errors.std())
        assert abs(inside - 0.80) > 0.05


def test_rolling_recalibration_follows_a_level_shift():
    shift = 4000
    signal, y = synthetic("gaussian", shift_at=shift)
    rolling, tests, actual = intervals(signal, y, [80], recent=300)
    fixed, _, _ = intervals(signal, y, [80], recent=0)

    def coverage(report, rows):
        lo, hi = report.bands["80"]
        return np.mean((actual[rows] >= lo[rows]) & (actual[rows] <= hi[rows]))

    settled = tests >= shift + 300 + H  # every pool holds only errors after the shift
    before = tests + H <= shift
    assert abs(coverage(rolling, settled) - 0.80) < 0.05
    assert coverage(fixed, settled) < 0.05  # the validation widths know nothing of the shift
    assert abs(coverage(fixed, before) - 0.80) < 0.03
    lo, hi = rolling.bands["80"]
    assert np.median((hi - lo)[settled]) > 4 * np.median((hi - lo)[before])


def test_bands_clip_from_below_only_when_asked():
    point = np.array([1.0, 0.2])
    width = np.array([[0.5, 0.5]])  # [levels, H]
    lo, hi = cal.bands(point, width)
    np.testing.assert_allclose(lo, [[0.5, -0.3]])
    lo, hi = cal.bands(point, width, clip_min=0)
    np.testing.assert_allclose(lo, [[0.5, 0.0]]) and np.testing.assert_allclose(hi, [[1.5, 0.7]])


def test_interval_score_is_width_plus_the_penalty_for_misses():
    from tsfc.metrics import coverage, interval_score

    actual = np.array([0.0, 5.0, -3.0])
    lo, hi = np.full(3, -1.0), np.full(3, 1.0)
    # widths 2; misses by 4 and 2 at level 80 (alpha 0.2): penalties 2 / 0.2 x 4 = 40 and 20
    assert interval_score(actual, lo, hi, 80) == pytest.approx((2 + 42 + 22) / 3)
    assert coverage(actual, lo, hi) == pytest.approx(1 / 3)
