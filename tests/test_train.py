import numpy as np
import pytest
import torch

from tsfc.config import FitConfig
from tsfc.errors import Interrupted, TrainingError, UsageError
from tsfc.models import Forecaster, NetConfig
from tsfc.train import choose_device, evaluate_loss, seed_everything, set_threads, train
from tsfc.windows import Split, sample_starts, sliding

WINDOW, BLOCK = 16, 4


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def sine(rows=400):
    return torch.from_numpy((0.5 + 0.4 * np.sin(2 * np.pi * np.arange(rows) / 24)).astype(np.float32))[:, None]


def noise(rows=400):
    return torch.from_numpy(np.random.default_rng(1).random((rows, 1), dtype=np.float32))


def fit(series, seed=0, **overrides):
    seed_everything(seed)
    net = Forecaster(NetConfig("gru", series.shape[1], WINDOW, BLOCK, hidden=8, layers=1))
    train_starts, val_starts = sample_starts(Split.from_fractions(len(series), (0.7, 0.2, 0.1)), WINDOW, BLOCK)
    settings = dict(window=WINDOW, block=BLOCK, epochs=3, batch_size=16, lr=1e-2, patience=5, seed=seed)
    settings.update(overrides)
    result = train(net, series, train_starts, val_starts, **settings)
    return net, result, val_starts


def tiny(rows=60, columns=2):
    """A 3-unit network and uniform noise [rows, columns]: for checks of the loop's bookkeeping."""
    torch.manual_seed(0)
    net = Forecaster(NetConfig("gru", columns, window=4, block=2, hidden=3, layers=1))
    return net, torch.rand(rows, columns)


def naive_val_loss(series, val_starts):
    """MSE of repeating each window's last value: the bar a model that learned anything clears."""
    samples = sliding(series, WINDOW + BLOCK)[list(val_starts)]
    return torch.mean((samples[:, WINDOW:] - samples[:, WINDOW - 1 : WINDOW]) ** 2).item()


def test_learns_a_sine_wave():
    series = sine()
    net, result, val_starts = fit(series)
    assert len(result.history) == 3 and result.stopped == "max_epochs"
    assert result.best_val_loss < 0.2 * naive_val_loss(series, val_starts)


def test_early_stopping_restores_best_weights():
    series = noise()
    net, result, val_starts = fit(series, epochs=30, patience=1, lr=0.05)
    assert result.stopped == "early"
    assert len(result.history) < 30
    assert result.history[-1].val_loss > result.best_val_loss  # so the weights had to be restored
    samples = sliding(series, WINDOW + BLOCK)
    restored = evaluate_loss(net, samples, torch.tensor(val_starts), WINDOW)
    assert restored == pytest.approx(result.best_val_loss, rel=1e-6)
    assert result.best_epoch == min(result.history, key=lambda e: e.val_loss).epoch


def test_non_finite_loss_raises_training_error():
    with pytest.raises(TrainingError, match="diverged"):
        fit(sine() * 1e20)


def test_should_stop_raises_interrupted_with_its_code():
    calls = []

    def should_stop():
        calls.append(1)
        return 130 if len(calls) >= 2 else None

    with pytest.raises(Interrupted) as info:
        fit(sine(), should_stop=should_stop)
    assert info.value.exit_code == 130
    assert len(calls) == 2  # polled before each batch, stopped at the first request


def test_on_epoch_reports_every_epoch():
    seen = []
    _, result, _ = fit(sine(), on_epoch=seen.append)
    assert [s.epoch for s in seen] == [1, 2, 3]
    # means over the windows, not sums: data in [0, 1] keeps a mean below 1
    assert all(0 < s.train_loss < 1 and 0 < s.val_loss < 1 and s.epochs == 3 for s in seen)
    assert seen == result.history


def test_same_seed_gives_identical_weights():
    first, _, _ = fit(sine(), seed=3)
    second, _, _ = fit(sine(), seed=3)
    other, _, _ = fit(sine(), seed=4)
    a, b, c = first.state_dict(), second.state_dict(), other.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("max_windows, batches", [(0, 13), (10, 3), (1000, 13)])
def test_max_windows_limits_the_batches_of_an_epoch(max_windows, batches):
    net, series = tiny()
    polls = []
    train(net, series, range(0, 50), range(50, 55), window=4, block=2, epochs=2, batch_size=4,
          lr=1e-2, patience=0, seed=0, max_windows=max_windows, should_stop=lambda: polls.append(1))
    assert len(polls) == 2 * batches


def test_validation_loss_in_chunks_is_the_mean_squared_error():
    net, series = tiny()
    samples = sliding(series, 6)
    idx = torch.arange(0, 20)
    with torch.no_grad():
        pred = net.eval()(samples[idx, :4])
        expected = torch.mean((pred - samples[idx, 4:]) ** 2).item()
    assert evaluate_loss(net, samples, idx, 4, chunk=7) == pytest.approx(expected, rel=1e-5)


def test_set_threads_uses_one_thread_for_small_networks_unless_told():
    assert set_threads(0, hidden=64) == 1 == torch.get_num_threads()
    assert set_threads(0, hidden=256) >= 1
    assert set_threads(2, hidden=16) == 2 == torch.get_num_threads()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_usage_error():
    with pytest.raises(UsageError, match="--device cuda"):
        choose_device("cuda")


@pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(), reason="needs a machine without a GPU"
)
def test_auto_device_without_gpu_is_cpu():
    assert choose_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("name", ["threads", "max_windows"])
def test_negative_threads_or_max_windows_is_a_usage_error(name):
    with pytest.raises(UsageError, match=f"--{name.replace('_', '-')} must be an integer >= 0"):
        FitConfig(**{name: -1})


def test_validation_loss_counts_only_the_validation_rows():
    from tsfc.train import evaluate_loss

    class Zero(torch.nn.Module):
        def forward(self, x):
            return torch.zeros(x.shape[0], 2, x.shape[2])

    series = torch.zeros(10, 1)
    series[6] = 100.0  # a huge error on row 6, outside the validation rows [7, 9)
    series[7] = 2.0
    samples = sliding(series, 5)  # window 3, block 2: start s predicts rows s + 3, s + 4
    idx = torch.tensor([3, 4, 5])  # predicts rows 6-7, 7-8, 8-9
    # counted: row 7 twice (error 4), row 8 twice (error 0): mean 2
    assert evaluate_loss(Zero(), samples, idx, 3, val_rows=(7, 9)) == 2.0
    assert evaluate_loss(Zero(), samples, idx, 3) > 1000  # unmasked, row 6 dominates
