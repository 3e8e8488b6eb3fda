"""Autoregressive forecasts: emit a block, append it to the context, crop, repeat."""

from __future__ import annotations

import torch
from torch import nn

from tsfc.windows import sliding


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
    model: nn.Module, series: torch.Tensor, origins: torch.Tensor, window: int, horizon: int, chunk: int = 8192
) -> torch.Tensor:
    """Rolling-origin forecasts: for each origin row o, forecast rows [o, o + horizon) from [o - window, o).

    Args:
        series: scaled data [rows, C] on the model's device.
        origins: row indices [N] with window <= o.

    Returns:
        Scaled forecasts [N, horizon, C].
    """
    contexts = sliding(series, window)  # [rows - window + 1, window, C], a view
    out = [roll(model, contexts[origins[i : i + chunk] - window], horizon) for i in range(0, len(origins), chunk)]
    return torch.cat(out, dim=0)
