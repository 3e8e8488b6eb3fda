"""MinMax scaling with scikit-learn's semantics, applied without scikit-learn.

`fit` uses scikit-learn's `MinMaxScaler`; the learned parameters are plain arrays
that the bundle stores, so `predict` applies them with numpy alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MinMaxScaling:
    """Maps each column to [0, 1] using the minimum and maximum of the rows it was fitted on.

    A constant column has range zero; like scikit-learn it is then scaled by 1 (shifted only).
    """

    data_min_: np.ndarray
    data_max_: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> "MinMaxScaling":
        """Learn per-column minimum and maximum from `values` [rows, columns]."""
        from sklearn.preprocessing import MinMaxScaler

        scaler = MinMaxScaler().fit(values)
        return cls(scaler.data_min_.astype(np.float64), scaler.data_max_.astype(np.float64))

    @property
    def scale_(self) -> np.ndarray:
        span = self.data_max_ - self.data_min_
        return 1.0 / np.where(span == 0, 1.0, span)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Scale `values` [rows, columns] to the fitted range; returns float32."""
        return ((values - self.data_min_) * self.scale_).astype(np.float32)

    def inverse_transform(self, scaled: np.ndarray) -> np.ndarray:
        """Undo `transform` (float64 result; columns on the last axis)."""
        return np.asarray(scaled, dtype=np.float64) / self.scale_ + self.data_min_

    def to_dict(self) -> dict:
        return {"data_min": self.data_min_.tolist(), "data_max": self.data_max_.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "MinMaxScaling":
        return cls(np.asarray(d["data_min"], dtype=np.float64), np.asarray(d["data_max"], dtype=np.float64))
