"""The training loop: seeding, device choice, early stopping; reports through a callback."""

from __future__ import annotations

import copy
import math
import os
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from tsfc.errors import Interrupted, OutOfMemory, TrainingError, UsageError
from tsfc.forecast import inference_chunk
from tsfc.windows import sliding


@dataclass
class EpochStats:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    seconds: float
    best: bool


@dataclass
class TrainResult:
    history: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = math.inf
    stopped: str = "max_epochs"  # or "early"
    seconds: float = 0.0
    device: str = "cpu"
    linear_start: dict | None = None  # what `linear.ridge_start` chose, set by the caller


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so the same inputs give the same bundle."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# Below this width a recurrent step is too small to split across cores. On a shared 2-core
# machine (benchmarks/RESULTS.md) a second thread ran hidden 64 far slower (threads spin against
# other processes) while hidden 256 gained 1.5x.
PARALLEL_HIDDEN = 256


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_threads(threads: int, hidden: int) -> int:
    """Set torch's CPU threads: `threads`, or with 0 one thread for small networks, else every core.

    Returns:
        The number of threads now in use.
    """
    if threads == 0:
        threads = 1 if hidden < PARALLEL_HIDDEN else usable_cores()
    torch.set_num_threads(threads)
    return threads


def choose_device(name: str) -> torch.device:
    """Resolve ``auto`` to cuda, then mps, then cpu; refuse an explicit device that is absent."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA GPU is visible to torch; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UsageError("--device mps: Apple MPS is not available; use --device cpu or auto")
    return torch.device(name)


def train(
    model: nn.Module,
    series: torch.Tensor,
    train_starts: range,
    val_starts: range,
    *,
    window: int,
    block: int,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    patience: int,
    seed: int,
    max_windows: int = 0,
    val_rows: "tuple[int, int] | torch.Tensor | None" = None,
    weights: "torch.Tensor | None" = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    should_stop: Callable[[], int | None] | None = None,
    on_batch: Callable[[int, int, int, int], None] | None = None,
) -> TrainResult:
    """Fit `model` on windows of `series`: Adam on a cosine schedule, gradient clipping, early stopping.

    Args:
        model: maps [B, window, C] to [B, block, C]; already on the device of `series`.
        series: scaled data [rows, C] on the training device.
        train_starts, val_starts: window start rows of training and validation samples.
        max_windows: if > 0, each epoch trains on a fresh random sample of at most this many
            training windows (long series: shorter epochs, so early stopping reacts sooner).
        val_rows: [first, end) rows whose forecasts the validation loss counts (None: every
            target row of the validation windows). Windows that straddle the boundary then
            count only their validation rows, so a short series still gets every validation
            row scored at every lead. A boolean tensor [rows] marks the validation rows of
            many series concatenated.
        weights: sampling weight of each training window (None: uniform); with weights each
            epoch draws its windows without replacement in proportion to them.
        on_epoch: called after each epoch with its statistics.
        should_stop: polled before every batch; a non-None exit code stops training.
        on_batch: called after every batch with (epoch, epochs, batches done, batches in the epoch).

    Returns:
        Loss history and the best epoch (0: the starting weights were never beaten on
        validation); `model` holds the best weights.

    Raises:
        TrainingError: the loss became NaN or infinite.
        OutOfMemory: the device ran out of memory.
        Interrupted: `should_stop` asked to stop.
    """
    samples = sliding(series, window + block)  # [n, window + block, C], a view
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.MSELoss()
    train_idx = torch.as_tensor(np.asarray(train_starts), dtype=torch.long)
    val_idx = torch.as_tensor(np.asarray(val_starts), dtype=torch.long).to(series.device)
    if isinstance(val_rows, torch.Tensor):
        val_rows = val_rows.to(series.device)
    result = TrainResult(device=str(series.device))
    best_state = copy.deepcopy(model.state_dict())
    result.best_val_loss = evaluate_loss(model, samples, val_idx, window, val_rows=val_rows)
    stale = 0
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        if weights is None:
            order = train_idx[torch.randperm(len(train_idx), generator=generator)]
            if max_windows:
                order = order[:max_windows]
        else:
            draw = min(len(train_idx), max_windows or len(train_idx))
            # Weighted sampling without replacement (Efraimidis-Spirakis): the largest u^(1/w).
            keys = torch.rand(len(train_idx), generator=generator, dtype=torch.float64).log() / weights
            order = train_idx[torch.topk(keys, draw).indices]
        order = order.to(series.device)
        # Summed on the device and read once per epoch: a per-batch .item() would stall a GPU.
        total = torch.zeros((), device=series.device)
        for i in range(0, len(order), batch_size):
            if should_stop is not None and (code := should_stop()) is not None:
                raise Interrupted("training interrupted; nothing was written", exit_code=code)
            batch = samples[order[i : i + batch_size]]  # [B, window + block, C]
            x, y = batch[:, :window], batch[:, window:]
            loss = _step(model, optimizer, loss_fn, x, y)
            total += loss.detach() * len(batch)
            if on_batch is not None:
                on_batch(epoch, epochs, i // batch_size + 1, -(-len(order) // batch_size))
        train_loss = total.item() / len(order)
        val_loss = evaluate_loss(model, samples, val_idx, window, val_rows=val_rows)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            raise TrainingError(
                f"training diverged at epoch {epoch} (train loss {train_loss:.3g}, validation loss {val_loss:.3g}); "
                "nothing was written; lower --lr or check the data"
            )
        scheduler.step()
        improved = val_loss < result.best_val_loss
        if improved:
            result.best_val_loss, result.best_epoch, stale = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        stats = EpochStats(epoch, epochs, train_loss, val_loss, time.perf_counter() - t0, improved)
        result.history.append(stats)
        if on_epoch is not None:
            on_epoch(stats)
        if patience and stale >= patience:
            result.stopped = "early"
            break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - started
    return result


def _step(model, optimizer, loss_fn, x, y) -> torch.Tensor:
    try:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    except torch.OutOfMemoryError:
        raise OutOfMemory(f"out of memory on {x.device}; lower --batch-size or use --device cpu") from None
    return loss


@torch.no_grad()
def evaluate_loss(
    model: nn.Module, samples: torch.Tensor, idx: torch.Tensor, window: int, chunk: int = 0,
    val_rows: "tuple[int, int] | torch.Tensor | None" = None,
) -> float:
    """Mean squared error of `model` over the samples at `idx` (eval mode, `chunk` windows at a time;
    0: `forecast.inference_chunk` of the samples' device); with `val_rows` = (first, end), only
    target rows in [first, end) count; with a boolean tensor [rows], the rows it marks."""
    model.eval()
    chunk = chunk or inference_chunk(samples.device)
    total = torch.zeros((), device=samples.device)
    count = torch.zeros((), device=samples.device)
    block = samples.shape[1] - window
    for i in range(0, len(idx), chunk):
        starts = idx[i : i + chunk]
        batch = samples[starts]
        err = torch.mean((model(batch[:, :window]) - batch[:, window:]) ** 2, dim=2)  # [B, K]
        rows = starts[:, None] + window + torch.arange(block, device=err.device)  # [B, K]
        if val_rows is None:
            mask = torch.ones_like(err)
        elif isinstance(val_rows, torch.Tensor):
            mask = val_rows[rows].to(err.dtype)
        else:
            mask = ((rows >= val_rows[0]) & (rows < val_rows[1])).to(err.dtype)
        total += torch.sum(err * mask)
        count += mask.sum()
    return total.item() / max(1.0, count.item())
