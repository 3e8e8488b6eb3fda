"""The training loop's device choice, thread count and per-epoch window sampling."""

import pytest
import torch

from tsfc.errors import UsageError
from tsfc.models import Forecaster, NetConfig
from tsfc.train import choose_device, evaluate_loss, set_threads, train
from tsfc.windows import sliding


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_usage_error():
    with pytest.raises(UsageError, match="--device cuda"):
        choose_device("cuda")


def test_auto_device_without_gpu_is_cpu():
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert choose_device("auto") == torch.device("cpu")


def test_set_threads():
    assert set_threads(0, hidden=64) == 1 == torch.get_num_threads()
    assert set_threads(0, hidden=256) >= 1
    assert set_threads(2, hidden=16) == 2 == torch.get_num_threads()


def _tiny(rows=60, columns=2):
    torch.manual_seed(0)
    series = torch.rand(rows, columns)
    net = Forecaster(NetConfig("gru", columns, window=4, block=2, hidden=3, layers=1))
    return net, series


@pytest.mark.parametrize("max_windows, batches", [(0, 13), (10, 3), (1000, 13)])
def test_max_windows_limits_the_batches_of_an_epoch(max_windows, batches):
    net, series = _tiny()
    polls = []
    train(net, series, range(0, 50), range(50, 55), window=4, block=2, epochs=2, batch_size=4,
          lr=1e-2, patience=0, seed=0, max_windows=max_windows, should_stop=lambda: polls.append(1))
    assert len(polls) == 2 * batches


def test_validation_loss_is_the_mean_squared_error():
    net, series = _tiny()
    samples = sliding(series, 6)
    idx = torch.arange(0, 20)
    with torch.no_grad():
        pred = net.eval()(samples[idx, :4])
        expected = torch.mean((pred - samples[idx, 4:]) ** 2).item()
    assert evaluate_loss(net, samples, idx, 4, chunk=7) == pytest.approx(expected, rel=1e-5)


def test_train_loss_is_reported_per_epoch():
    net, series = _tiny()
    result = train(net, series, range(0, 50), range(50, 55), window=4, block=2, epochs=3, batch_size=8,
                   lr=1e-2, patience=0, seed=0)
    assert [e.epoch for e in result.history] == [1, 2, 3]
    assert all(0 < e.train_loss < 1 and 0 < e.val_loss < 1 for e in result.history)


@pytest.mark.parametrize("name", ["threads", "max_windows"])
def test_negative_threads_or_max_windows_is_a_usage_error(name):
    from tsfc.config import FitConfig

    with pytest.raises(UsageError, match=f"--{name.replace('_', '-')} must be an integer >= 0"):
        FitConfig(**{name: -1})
