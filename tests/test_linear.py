"""The network's start: seasonal base, ridge-fitted linear paths, zero recurrent output."""

import numpy as np
import torch

from tsfc.linear import ridge_start
from tsfc.models import Forecaster, NetConfig
from tsfc.windows import Split, sample_starts, sliding


def net_for(window=24, block=12, season=12, level_path=True, norm="last"):
    torch.manual_seed(0)
    return Forecaster(NetConfig("gru", 1, window, block, hidden=4, layers=1, norm=norm, season=season, level_path=level_path))


def start(net, values, split=(0.7, 0.1, 0.2)):
    series = torch.tensor(values, dtype=torch.float32)[:, None]  # [rows, 1]
    cut = Split.from_fractions(len(values), split)
    train, val = sample_starts(cut, net.cfg.window, net.cfg.block)
    chosen = ridge_start(net, sliding(series, net.cfg.window + net.cfg.block), train, val, (cut.train_end, cut.val_end))
    return series, chosen


def test_untrained_network_is_the_seasonal_naive_forecast():
    net = net_for()
    with torch.no_grad():
        net.highway.weight.zero_()
        net.highway.bias.zero_()
    x = torch.arange(24, dtype=torch.float32).reshape(1, 24, 1)
    out = net(x)[0, :, 0]
    assert torch.equal(out, torch.arange(12, 24, dtype=torch.float32))  # the value one season earlier


def test_without_a_season_the_base_is_the_last_value():
    net = net_for(season=1)
    with torch.no_grad():
        net.highway.weight.zero_()
        net.highway.bias.zero_()
    x = torch.arange(24, dtype=torch.float32).reshape(1, 24, 1)
    assert torch.equal(net(x)[0, :, 0], torch.full((12,), 23.0))


def test_ridge_start_fits_a_noiseless_seasonal_trend():
    t = np.arange(300)
    values = 0.5 + 0.3 * np.sin(2 * np.pi * t / 12) + 0.001 * t
    net = net_for()
    series, chosen = start(net, values)
    windows = sliding(series, 36)
    with torch.no_grad():
        err = (net(windows[:, :24]) - windows[:, 24:]).abs().max().item()
    assert err < 1e-2 and chosen["windows"] > 0  # the start already forecasts it, before any training


def test_level_path_is_chosen_for_a_mean_reverting_series():
    rng = np.random.default_rng(0)
    values = np.empty(600)
    values[0] = 0.5
    for i in range(1, 600):
        values[i] = 0.5 + 0.3 * (values[i - 1] - 0.5) + 0.05 * rng.standard_normal()
    net = net_for(season=1, window=8, block=4)
    _, chosen = start(net, values)
    assert chosen["level"] is True and net.level_gain.weight.abs().sum() > 0


def test_without_a_level_path_only_the_window_is_fitted():
    t = np.arange(200)
    net = net_for(level_path=False)
    _, chosen = start(net, 0.5 + 0.3 * np.sin(2 * np.pi * t / 12))
    assert chosen["level"] is False and net.level_gain is None
