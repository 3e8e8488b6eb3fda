"""The recurrent forecasting network: a stacked GRU, LSTM or RNN with a linear head."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}


@dataclass
class NetConfig:
    """Constructor arguments of `Forecaster`; the bundle stores them to rebuild it."""

    cell: str
    columns: int
    window: int
    block: int
    hidden: int
    layers: int
    dropout: float = 0.0
    norm: str = "last"
    highway: bool = True
    season: int = 0  # > 1: the network corrects a seasonal-naive forecast (bundles before 0.2: 0)

    def to_dict(self) -> dict:
        return asdict(self)


class Forecaster(nn.Module):
    """Reads `window` rows of every column and emits the next `block` rows of every column.

    The output is a base forecast plus two learned corrections:
    - base: with a season m (1 < m <= window) the seasonal-naive forecast (the value one season
      earlier), else the window's last row (``norm="last"``) or zero (``norm="none"``);
    - a linear highway from the normalised window to the block (LSTNet's autoregressive
      component), which `fit` sets to the ridge solution of the training windows
      (`tsfc.linear`) and keeps fixed;
    - the recurrent path, whose output layer starts at zero, so training begins at
      base + linear and the network learns what they miss.
    With ``norm="last"`` each input window is shifted by its last row (as NLinear and RevIN do),
    so the network learns changes rather than levels and does not extrapolate when the series
    drifts outside its training range.
    """

    def __init__(self, cfg: NetConfig):
        super().__init__()
        assert cfg.cell in CELLS, cfg.cell
        self.cfg = cfg
        self.rnn = CELLS[cfg.cell](
            input_size=cfg.columns,
            hidden_size=cfg.hidden,
            num_layers=cfg.layers,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(cfg.hidden, cfg.block * cfg.columns)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.highway = nn.Linear(cfg.window, cfg.block) if cfg.highway else None
        seasonal = 1 < cfg.season <= cfg.window
        # Rows of the window that the seasonal-naive base repeats: y[t + k] = y[t + k - m]. Plain
        # Python, not tensor arithmetic: under `torch.device("meta")` (how `load_bundle` checks
        # shapes) tensor arithmetic imports torch._dynamo, which would add ~1 s to every predict.
        rows = [cfg.window - cfg.season + k % cfg.season for k in range(cfg.block)] if seasonal else []
        self.register_buffer("base_rows", torch.tensor(rows, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows [B, window, C] to the following blocks [B, block, C]."""
        batch, _, columns = x.shape
        base = self.base(x)  # [B, K, C]
        x = x - self.level(x)  # [B, W, C]
        out, _ = self.rnn(x)  # [B, W, hidden]
        y = self.head(out[:, -1]).view(batch, self.cfg.block, columns)  # [B, K, C]
        if self.highway is not None:
            y = y + self.highway(x.transpose(1, 2)).transpose(1, 2)  # [B, K, C]
        return y + base

    def base(self, x: torch.Tensor) -> torch.Tensor:
        """The base forecast [B, K, C] that the learned paths correct (see the class docstring)."""
        if len(self.base_rows):
            return x[:, self.base_rows]  # [B, K, C]
        return self.level(x).expand(-1, self.cfg.block, -1)  # [B, K, C]

    def level(self, x: torch.Tensor) -> torch.Tensor:
        """The shift each window is normalised by: its last row, or zero with ``norm="none"``."""
        return x[:, -1:, :] if self.cfg.norm == "last" else torch.zeros_like(x[:, -1:, :])  # [B, 1, C]
