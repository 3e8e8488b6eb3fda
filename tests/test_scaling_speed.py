"""MinMaxScaling matches scikit-learn's MinMaxScaler without importing it at run time."""

import numpy as np
import pytest

from tsfc.scaling import MinMaxScaling


def test_matches_scikit_learn_including_constant_column_and_nan():
    sklearn = pytest.importorskip("sklearn.preprocessing")
    values = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, np.nan], [2.0, 5.0, -4.0]], dtype=np.float32)
    ours = MinMaxScaling.fit(values)
    theirs = sklearn.MinMaxScaler().fit(values)
    np.testing.assert_allclose(ours.data_min_, theirs.data_min_)
    np.testing.assert_allclose(ours.data_max_, theirs.data_max_)
    np.testing.assert_allclose(ours.transform(values), theirs.transform(values), rtol=1e-6)


def test_round_trip():
    values = np.array([[0.0, 10.0], [4.0, 10.0], [2.0, 10.0]])
    scaling = MinMaxScaling.fit(values)
    np.testing.assert_allclose(scaling.transform(values)[:, 0], [0.0, 1.0, 0.5])
    np.testing.assert_allclose(scaling.inverse_transform(scaling.transform(values)), values, rtol=1e-6)
