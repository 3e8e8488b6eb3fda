"""The data-driven defaults: season, horizon, window, block and training budget for typical shapes."""

import pytest

from tsfc.config import FitConfig
from tsfc.defaults import default_horizon, default_window, plan
from tsfc.windows import rows_needed


@pytest.mark.parametrize("season, horizon", [(12, 12), (4, 8), (7, 14), (24, 24), (48, 48), (52, 52), (1, 8), (2, 8), (5, 10)])
def test_default_horizon_is_one_season_or_whole_seasons_to_eight_steps(season, horizon):
    assert default_horizon(season) == horizon


def test_36_monthly_rows_look_back_one_season_and_still_train_600_steps():
    chosen = plan(FitConfig(), 36, "MS")
    assert (chosen.season, chosen.horizon, chosen.window, chosen.block) == (12, 12, 12, 12)
    assert rows_needed(chosen.window, chosen.block, (0.7, 0.1, 0.2)) <= 36
    assert chosen.steps == 600  # 2 training windows: short series still get enough optimiser steps


def test_too_few_rows_for_a_season_shorten_the_window_then_the_block():
    chosen = plan(FitConfig(), 20, "MS")
    assert chosen.window < 12 and "shortened from 12" in chosen.reasons["window"]
    assert chosen.block < 12 and "shortened from 12" in chosen.reasons["block"]
    assert rows_needed(chosen.window, chosen.block, (0.7, 0.1, 0.2)) <= 20


def test_144_monthly_rows_look_back_one_season_and_train_600_steps():
    chosen = plan(FitConfig(), 144, "MS")
    assert (chosen.season, chosen.horizon, chosen.window, chosen.block) == (12, 12, 12, 12)
    windows = 100 - 12 - 12 + 1
    assert chosen.batch_size == 16 and chosen.max_windows == windows
    assert chosen.steps >= 600 and chosen.epochs == 120  # 600 steps in rounds of 5 batches


def test_3650_daily_rows_look_back_four_weeks():
    chosen = plan(FitConfig(), 3650, "D")
    assert (chosen.season, chosen.horizon, chosen.window, chosen.block) == (7, 14, 28, 14)
    assert chosen.batch_size == 128


def test_17000_hourly_rows_look_back_four_days_with_a_capped_budget():
    chosen = plan(FitConfig(), 17000, "h")
    assert (chosen.season, chosen.horizon, chosen.window, chosen.block) == (24, 24, 96, 48)
    assert chosen.max_windows == 4096 and chosen.batch_size == 128
    assert chosen.steps * 128 * 96 <= 12_000_000 + 32 * 128 * 96  # the cap, rounded up to whole rounds
    assert "976 steps" in chosen.reasons["training"]


def test_half_hourly_window_stops_at_192_rows():
    assert default_window(48, 40_000)[0] == 192
    assert default_window(288, 40_000)[0] == 288  # one season at least, whatever its length


def test_no_season_uses_a_sixth_of_the_training_rows():
    assert default_window(1, 300)[0] == 50
    assert default_window(1, 30)[0] == 8
    assert default_window(1, 100_000)[0] == 96


def test_explicit_options_win_and_say_so():
    chosen = plan(FitConfig(window=30, block=5, season=3, epochs=2, batch_size=7), 1000, "h")
    assert (chosen.window, chosen.block, chosen.season, chosen.epochs, chosen.batch_size) == (30, 5, 3, 2, 7)
    assert chosen.reasons["window"] == "--window" and chosen.reasons["season"] == "--season"
    assert chosen.horizon == 9  # whole seasons of the season given: 3 x 3 >= 8


def test_a_series_without_frequency_has_no_season_and_an_eight_step_horizon():
    chosen = plan(FitConfig(), 500, None)
    assert (chosen.season, chosen.horizon, chosen.window) == (1, 8, 58)
    assert chosen.reasons["horizon"] == "no season: 8 steps" and chosen.reasons["season"] == "no frequency: no season"
