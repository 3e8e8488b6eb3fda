"""MinMax scaling with scikit-learn's `MinMaxScaler` semantics, in numpy alone.

scikit-learn is not imported: it adds one to two seconds to every `fit` for two
reductions. The learned parameters are plain arrays that the bundle stores.
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
        # nanmin/nanmax: like scikit-learn, missing values are ignored when fitting.
        return cls(np.nanmin(values, axis=0).astype(np.float64), np.nanmax(values, axis=0).astype(np.float64))

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
