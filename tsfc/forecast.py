"""Autoregressive forecasts: emit a block, append it to the context, crop, repeat."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from tsfc.windows import sliding

# Windows per forward pass when only predicting. On a CPU a recurrent layer over a few hundred
# windows keeps its per-step working set in cache; thousands at once ran 1.5-2x slower per
# window (benchmarks/speed.py, ETTh1). A GPU wants the largest batch that fits.
CPU_CHUNK = 256
GPU_CHUNK = 8192


def inference_chunk(device: torch.device) -> int:
    """Windows per forward pass for batched inference on `device`."""
    return CPU_CHUNK if device.type == "cpu" else GPU_CHUNK


@torch.no_grad()
def roll(model: nn.Module, context: torch.Tensor, horizon: int) -> torch.Tensor:
    """Forecast `horizon` steps after each context window, all windows as one batch.

    Args:
        model: maps [B, window, C] to [B, block, C].
        context: scaled windows [B, window, C] on the model's device.
        horizon: steps to forecast (any length; rolled forward block by block).

    Returns:
        Scaled forecasts [B, horizon, C] on the same device.
    """
    model.eval()
    window = context.shape[1]
    blocks = []
    made = 0
    while made < horizon:
        block = model(context)  # [B, K, C]
        blocks.append(block)
        made += block.shape[1]
        context = torch.cat([context, block], dim=1)[:, -window:]  # [B, W, C]
    return torch.cat(blocks, dim=1)[:, :horizon]  # [B, H, C]


@torch.no_grad()
def backtest(
    model: nn.Module,
    series: torch.Tensor,
    origins: torch.Tensor,
    window: int,
    horizon: int,
    chunk: int = 0,
    workers: int = 1,
) -> torch.Tensor:
    """Rolling-origin forecasts: for each origin row o, forecast rows [o, o + horizon) from [o - window, o).

    Args:
        series: scaled data [rows, C] on the model's device.
        origins: row indices [N] with window <= o.
        chunk: origins per batch (0: `inference_chunk` of the series' device).
        workers: on a CPU, chunks rolled at once on this many threads. torch releases the GIL
            inside each operation, so with one torch thread per worker the chunks run in
            parallel without OpenMP threads spinning against each other or other processes.

    Returns:
        Scaled forecasts [N, horizon, C], the same whatever `chunk` and `workers` are.
    """
    chunk = chunk or inference_chunk(series.device)
    contexts = sliding(series, window)  # [rows - window + 1, window, C], a view
    starts = range(0, len(origins), chunk)

    def one(i: int) -> torch.Tensor:
        return roll(model, contexts[origins[i : i + chunk] - window], horizon)

    if workers <= 1 or len(starts) < 2 or series.device.type != "cpu":
        return torch.cat([one(i) for i in starts], dim=0)
    # MKL keeps its thread count per thread: without the initializer a worker's small matrix
    # products would start threads of their own (and differ from the serial roll in the last bit).
    pool = ThreadPoolExecutor(
        min(workers, len(starts)), "tsfc-backtest", initializer=torch.set_num_threads, initargs=(torch.get_num_threads(),)
    )
    try:
        return torch.cat(list(pool.map(one, starts)), dim=0)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: finish the running chunks, drop the rest
