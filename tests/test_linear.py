"""The network's start: seasonal base, ridge-fitted linear paths, zero recurrent output."""

import numpy as np
import torch

from tsfc.linear import ridge_start
from tsfc.models import Forecaster, NetConfig
from tsfc.windows import Split, sample_starts, sliding


def net_for(window=24, block=12, season=12, norm="last"):
    torch.manual_seed(0)
    return Forecaster(NetConfig("gru", 1, window, block, hidden=4, layers=1, norm=norm, season=season))


def start(net, values, split=(0.7, 0.1, 0.2)):
    series = torch.tensor(values, dtype=torch.float32)[:, None]  # [rows, 1]
    train, _ = sample_starts(Split.from_fractions(len(values), split), net.cfg.window, net.cfg.block)
    return series, ridge_start(net, sliding(series, net.cfg.window + net.cfg.block), train)


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


def test_ridge_penalty_grows_when_the_windows_are_noise():
    rng = np.random.default_rng(0)
    _, noise = start(net_for(season=1, window=8, block=4), 0.5 + 0.1 * rng.standard_normal(400))
    t = np.arange(400)
    _, signal = start(net_for(season=1, window=8, block=4), 0.5 + 0.3 * np.sin(2 * np.pi * t / 10))
    assert noise["alpha"] > 100 * signal["alpha"]


def test_too_few_windows_get_the_strongest_penalty():
    net = net_for(window=12, block=12)
    _, chosen = start(net, 0.5 + 0.1 * np.sin(np.arange(38)))  # 26 training rows: 3 windows of 24
    assert chosen["windows"] < 5 and chosen["alpha"] == 100.0
