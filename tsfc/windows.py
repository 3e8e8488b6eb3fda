"""Sliding windows as strided views of one array: memory stays rows x columns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    """Row boundaries of the time-ordered split: train [0, train_end), val [train_end, val_end), test after."""

    rows: int
    train_end: int
    val_end: int

    @classmethod
    def from_fractions(cls, rows: int, fractions: tuple[float, float, float]) -> "Split":
        train_end = int(rows * fractions[0])
        val_end = train_end + int(rows * fractions[1])
        return cls(rows, train_end, val_end)

    @property
    def test_rows(self) -> int:
        return self.rows - self.val_end


def sliding(series, length: int):
    """All windows of `length` consecutive rows of `series` [rows, C], as a view [n, length, C].

    Works on a numpy array (`sliding_window_view`) or a torch tensor (`unfold`); no data is copied.
    """
    if hasattr(series, "unfold"):
        return series.unfold(0, length, 1).transpose(1, 2)  # [n, length, C]
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(series, length, axis=0).transpose(0, 2, 1)  # [n, length, C]


def sample_starts(split: Split, window: int, block: int) -> tuple[range, range]:
    """Window start rows for training and validation samples.

    A sample starting at row s reads rows [s, s + window) and predicts [s + window, s + window + block).
    Training samples predict only training rows. Validation samples predict at least one
    validation row; their other target rows (training or test) must be masked out of the loss
    (`train.train(val_rows=...)`), so every validation row is scored at every lead even when
    the validation rows are fewer than a block.
    """
    train = range(0, split.train_end - window - block + 1)
    val = range(max(0, split.train_end - window - block + 1), min(split.val_end - window, split.rows - window - block + 1))
    return train, val


def rows_needed(window: int, block: int, fractions: tuple[float, float, float]) -> int:
    """Smallest row count for which `sample_starts` yields at least one train and one validation sample."""
    rows = window + block
    while True:
        split = Split.from_fractions(rows, fractions)
        train, val = sample_starts(split, window, block)
        if len(train) > 0 and len(val) > 0 and (fractions[2] == 0 or split.test_rows > 0):
            return rows
        rows += 1
