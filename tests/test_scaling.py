import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler

from tsfc.scaling import MinMaxScaling


@pytest.fixture
def values():
    return np.random.default_rng(0).normal(50, 20, size=(100, 3))


def test_transform_matches_sklearn(values):
    ours = MinMaxScaling.fit(values)
    theirs = MinMaxScaler().fit(values)
    np.testing.assert_allclose(ours.transform(values), theirs.transform(values), rtol=1e-6, atol=1e-6)
    assert ours.transform(values).dtype == np.float32


def test_inverse_round_trip(values):
    scaler = MinMaxScaling.fit(values)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(values)), values, rtol=1e-5)


def test_hand_computed_values():
    scaler = MinMaxScaling.fit(np.array([[0.0, 10.0], [4.0, 20.0]]))
    np.testing.assert_allclose(scaler.transform(np.array([[2.0, 15.0], [8.0, 0.0]])), [[0.5, 0.5], [2.0, -1.0]])


def test_constant_column_behaves_like_sklearn():
    values = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    ours = MinMaxScaling.fit(values)
    theirs = MinMaxScaler().fit(values)
    probe = np.array([[0.0, 9.0], [3.0, 7.0]])
    np.testing.assert_allclose(ours.transform(probe), theirs.transform(probe))
    np.testing.assert_allclose(ours.transform(values)[:, 1], 0.0)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(probe)), probe)


def test_nan_is_ignored_like_sklearn():
    values = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, np.nan], [2.0, 5.0, -4.0]], dtype=np.float32)
    ours = MinMaxScaling.fit(values)
    theirs = MinMaxScaler().fit(values)
    np.testing.assert_allclose(ours.data_min_, theirs.data_min_)
    np.testing.assert_allclose(ours.data_max_, theirs.data_max_)
    np.testing.assert_allclose(ours.transform(values), theirs.transform(values), rtol=1e-6)


def test_fits_only_on_given_rows(values):
    train = values[:60]
    scaler = MinMaxScaling.fit(train)
    np.testing.assert_allclose(scaler.data_min_, train.min(axis=0))
    np.testing.assert_allclose(scaler.data_max_, train.max(axis=0))
    assert scaler.transform(train).min() == pytest.approx(0.0) and scaler.transform(train).max() == pytest.approx(1.0)


def test_dict_round_trip(values):
    scaler = MinMaxScaling.fit(values)
    again = MinMaxScaling.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.transform(values), scaler.transform(values))


def test_inverse_accepts_blocks_with_columns_last(values):
    scaler = MinMaxScaling.fit(values)
    blocks = scaler.transform(values).reshape(10, 10, 3)
    np.testing.assert_allclose(scaler.inverse_transform(blocks).reshape(100, 3), values, rtol=1e-5)
