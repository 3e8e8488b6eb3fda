"""Hyperparameters: one dataclass travels from the CLI to the model and into the bundle."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from tsfc.errors import UsageError

MODELS = ("gru", "lstm", "rnn")
DEVICES = ("auto", "cpu", "cuda", "mps")
NORMS = ("last", "none")
PERIODS = ("auto", "week", "month")  # how `score` groups forecast origins


@dataclass
class FitConfig:
    """Everything that decides what `fit` trains.

    Attributes:
        model: recurrent cell, one of ``MODELS``.
        window: look-back length in rows (0: from the season and length, see `tsfc.defaults`).
        block: steps the network emits per call (0: the default horizon or half the window,
            whichever is longer); longer horizons roll block by block.
        hidden: units per recurrent layer.
        layers: stacked recurrent layers.
        dropout: dropout between recurrent layers (ignored with one layer).
        epochs: validation rounds (0: a budget of optimiser steps chosen from the data).
        batch_size: windows per optimiser step (0: about a tenth of the training windows, 16-128).
        lr: Adam learning rate (annealed to zero over `epochs` on a cosine).
        weight_decay: Adam L2 penalty.
        patience: rounds without validation improvement before stopping (0: never; -1: a fifth
            of the rounds, at least 4).
        split: train, validation, test fractions in time order.
        seed: seed for every random number generator.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        norm: per-window normalisation; ``last`` subtracts each window's last value.
        highway: add a linear path from the window to the output block beside the network.
        threads: CPU threads for torch (0: one for small networks, every core for wide ones).
        max_windows: train each round on a random sample of at most this many windows (0: all,
            or 4,096 with an automatic budget).
        season: seasonal period in rows (0: from the frequency; 1: none).
    """

    model: str = "gru"
    window: int = 0
    block: int = 0
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.0
    epochs: int = 0
    batch_size: int = 0
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = -1
    split: tuple[float, float, float] = (0.7, 0.1, 0.2)
    seed: int = 0
    device: str = "auto"
    norm: str = "last"
    highway: bool = True
    threads: int = 0
    max_windows: int = 0
    season: int = 0

    def __post_init__(self) -> None:
        self.split = tuple(float(s) for s in self.split)
        self.validate()

    def validate(self) -> None:
        """Raise `UsageError` naming the first option whose value cannot work."""
        if self.model not in MODELS:
            raise UsageError(f"--model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.device not in DEVICES:
            raise UsageError(f"--device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.norm not in NORMS:
            raise UsageError(f"--norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        if not isinstance(self.block, int) or self.block < 0:
            raise UsageError(f"--block must be an integer >= 0 (0 = automatic), got {self.block!r}")
        for name in ("hidden", "layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be an integer >= 1, got {value!r}")
        for name in ("window", "epochs", "batch_size", "threads", "max_windows", "season"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be an integer >= 0 (0 = automatic), got {value!r}")
        if not isinstance(self.patience, int) or self.patience < -1:
            raise UsageError(f"--patience must be an integer >= 0 (or -1 = automatic), got {self.patience!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise UsageError(f"--lr must be a finite number > 0, got {self.lr}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise UsageError(f"--weight-decay must be a finite number >= 0, got {self.weight_decay}")
        if not (math.isfinite(self.dropout) and 0 <= self.dropout < 1):
            raise UsageError(f"--dropout must be in [0, 1), got {self.dropout}")
        if len(self.split) != 3 or not all(math.isfinite(s) and s >= 0 for s in self.split):
            raise UsageError(f"--split must be three fractions TRAIN,VAL,TEST, got {self.split}")
        train, val, test = self.split
        if train <= 0 or val <= 0 or abs(train + val + test - 1) > 1e-6:
            raise UsageError(
                f"--split fractions must be > 0 for train and validation and sum to 1, got {train},{val},{test}"
            )

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (the bundle stores this)."""
        d = asdict(self)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FitConfig":
        """Rebuild from `to_dict()` output, ignoring unknown keys from newer versions."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def parse_split(text: str) -> tuple[float, float, float]:
    """Parse ``"0.7,0.1,0.2"`` into three floats (validated by `FitConfig`)."""
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise UsageError(f"--split must be three comma-separated fractions like 0.7,0.1,0.2, got {text!r}") from None
    if len(parts) != 3:
        raise UsageError(f"--split must be three comma-separated fractions like 0.7,0.1,0.2, got {text!r}")
    return parts
