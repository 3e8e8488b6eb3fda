import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from torch import nn

from tsfc.forecast import backtest, roll
from tsfc.models import Forecaster, NetConfig


class RepeatLast(nn.Module):
    """Emits `block` copies of each window's last row plus one: easy to follow by hand."""

    def __init__(self, block: int):
        super().__init__()
        self.block = block
        self.seen = []

    def forward(self, x):  # [B, W, C] -> [B, block, C]
        self.seen.append(x.clone())
        return x[:, -1:, :].repeat(1, self.block, 1) + 1


@pytest.mark.parametrize("horizon", [1, 3, 7, 9])
def test_roll_gives_exactly_horizon_steps(horizon):
    context = torch.zeros(2, 4, 1)
    out = roll(RepeatLast(block=3), context, horizon)
    assert out.shape == (2, horizon, 1)
    # block k (from 0) repeats k + 1: [1, 1, 1, 2, 2, 2, 3, 3, 3][:horizon]
    expected = torch.tensor([1.0, 1, 1, 2, 2, 2, 3, 3, 3])[:horizon]
    torch.testing.assert_close(out[0, :, 0], expected)


def test_roll_crops_context_to_the_window():
    model = RepeatLast(block=2)
    context = torch.arange(5.0).view(1, 5, 1)  # 0 1 2 3 4
    roll(model, context, 4)
    assert [m.shape[1] for m in model.seen] == [5, 5]
    torch.testing.assert_close(model.seen[1][0, :, 0], torch.tensor([2.0, 3, 4, 5, 5]))


def test_roll_of_a_batch_equals_rolling_each_row():
    torch.manual_seed(0)
    net = Forecaster(NetConfig("lstm", 2, 6, 4, hidden=8, layers=1))
    context = torch.randn(3, 6, 2)
    together = roll(net, context, 10)
    alone = torch.cat([roll(net, context[i : i + 1], 10) for i in range(3)])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-6)


def test_backtest_reads_the_window_before_each_origin():
    series = torch.arange(20.0).view(20, 1)  # row r holds r
    model = RepeatLast(block=2)
    out = backtest(model, series, torch.tensor([4, 10, 16]), window=4, horizon=3)
    assert out.shape == (3, 3, 1)
    torch.testing.assert_close(model.seen[0][:, :, 0], torch.tensor([[0.0, 1, 2, 3], [6, 7, 8, 9], [12, 13, 14, 15]]))
    # origin o forecasts o, o, o + 1 (last value o - 1, plus one per block)
    torch.testing.assert_close(out[:, :, 0], torch.tensor([[4.0, 4, 5], [10, 10, 11], [16, 16, 17]]))


def test_backtest_chunks_agree_with_one_batch():
    series = torch.arange(30.0).view(30, 1)
    origins = torch.arange(5, 30)
    whole = backtest(RepeatLast(block=3), series, origins, window=5, horizon=4)
    chunked = backtest(RepeatLast(block=3), series, origins, window=5, horizon=4, chunk=7)
    torch.testing.assert_close(whole, chunked)


def test_backtest_on_worker_threads_is_identical_and_in_order():
    torch.manual_seed(0)
    net = Forecaster(NetConfig("gru", 1, 8, 4, hidden=8, layers=2))
    series = torch.randn(200, 1)
    origins = torch.arange(8, 190)
    serial = backtest(net, series, origins, window=8, horizon=10, chunk=16)
    parallel = backtest(net, series, origins, window=8, horizon=10, chunk=16, workers=3)
    assert torch.equal(serial, parallel)  # bit for bit: each chunk is the same computation


def test_backtest_drops_queued_chunks_when_a_chunk_fails(monkeypatch):
    """A failing chunk reaches the caller; chunks still queued then are never rolled, and those already
    running finish before backtest returns. No real-time bound holds (a starved caller can see the
    failure late), so the schedule is pinned: every other chunk waits until the pool shuts down."""
    shutting_down = threading.Event()

    class Pool(ThreadPoolExecutor):
        def shutdown(self, wait=True, *, cancel_futures=False):
            super().shutdown(wait=False, cancel_futures=cancel_futures)  # the queued chunks are cancelled here
            shutting_down.set()
            super().shutdown(wait=wait)

    class FirstChunkFails(RepeatLast):
        def forward(self, x):  # row r of the series holds r, so x[:, -1, 0] + 1 are the chunk's origins
            first = int(x[0, -1, 0]) + 1
            started.append(first)
            if first == 4:
                raise RuntimeError("chunk failed")
            shutting_down.wait(timeout=30)  # the timeout only keeps a broken backtest from hanging the run
            out = super().forward(x)
            finished.append(first)
            return out

    monkeypatch.setattr("tsfc.forecast.ThreadPoolExecutor", Pool)
    model, started, finished, workers = FirstChunkFails(block=2), [], [], 2
    series, origins = torch.arange(400.0).view(400, 1), torch.arange(4, 400)  # 99 chunks of 4
    with pytest.raises(RuntimeError, match="chunk failed"):
        backtest(model, series, origins, window=4, horizon=2, chunk=4, workers=workers)
    assert shutting_down.is_set()
    started.sort()
    assert len(started) <= 1 + workers  # the failed chunk and one in flight per worker; the queue was dropped
    assert started == origins[: 4 * len(started) : 4].tolist()  # taken in order from the queue
    assert sorted(finished) == started[1:]  # backtest waited for the chunks in flight
