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

    def to_dict(self) -> dict:
        return asdict(self)


class Forecaster(nn.Module):
    """Reads `window` rows of every column and emits the next `block` rows of every column.

    With ``norm="last"`` each input window is shifted by its last row (as NLinear and RevIN do),
    so the network learns changes rather than levels and does not extrapolate when the series
    drifts outside its training range. An optional linear highway from the window to the block
    (LSTNet's autoregressive component) runs beside the recurrent path.
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
        self.highway = nn.Linear(cfg.window, cfg.block) if cfg.highway else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows [B, window, C] to the following blocks [B, block, C]."""
        batch, _, columns = x.shape
        level = x[:, -1:, :] if self.cfg.norm == "last" else torch.zeros_like(x[:, -1:, :])  # [B, 1, C]
        x = x - level  # [B, W, C]
        out, _ = self.rnn(x)  # [B, W, hidden]
        y = self.head(out[:, -1]).view(batch, self.cfg.block, columns)  # [B, K, C]
        if self.highway is not None:
            y = y + self.highway(x.transpose(1, 2)).transpose(1, 2)  # [B, K, C]
        return y + level
