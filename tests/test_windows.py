import numpy as np
import pytest
import torch

from tsfc.windows import Split, rows_needed, sample_starts, sliding


def series_np(rows=10, columns=2):
    # value = 10 * row + column, so every position can be checked by hand
    return (10 * np.arange(rows)[:, None] + np.arange(columns)[None, :]).astype(np.float32)


def test_sliding_numpy_shape_values_and_view():
    series = series_np()
    windows = sliding(series, 4)
    assert windows.shape == (7, 4, 2)
    assert windows[0, 0, 0] == 0 and windows[0, 3, 1] == 31 and windows[6, 3, 0] == 90
    np.testing.assert_array_equal(windows[2], series[2:6])
    assert np.shares_memory(windows, series)


def test_sliding_torch_shape_values_and_view():
    series = torch.from_numpy(series_np())
    windows = sliding(series, 4)
    assert windows.shape == (7, 4, 2)
    assert windows.untyped_storage().data_ptr() == series.untyped_storage().data_ptr()
    torch.testing.assert_close(windows[3], series[3:7])
    series[5, 1] = -1.0  # a view sees the change in every window holding row 5
    assert windows[2, 3, 1] == -1.0 and windows[5, 0, 1] == -1.0


def test_sliding_length_equal_to_rows_gives_one_window():
    assert sliding(series_np(5), 5).shape == (1, 5, 2)


def test_split_from_fractions_etth1_size():
    split = Split.from_fractions(14400, (0.6, 0.2, 0.2))
    assert (split.train_end, split.val_end, split.test_rows) == (8640, 11520, 2880)


@pytest.mark.parametrize("rows,window,block", [(100, 8, 4), (14400, 96, 24), (50, 10, 1)])
def test_sample_starts_targets_stay_in_their_split(rows, window, block):
    split = Split.from_fractions(rows, (0.7, 0.1, 0.2))
    train, val = sample_starts(split, window, block)
    assert len(train) > 0 and len(val) > 0
    assert train[0] == 0 and train[-1] + window + block == split.train_end
    # the first validation window ends on the first validation row, the last starts on the last one
    assert val[0] + window + block - 1 == split.train_end
    assert val[-1] + window == split.val_end - 1


def test_rows_needed_is_the_smallest_that_works():
    fractions = (0.7, 0.1, 0.2)
    needed = rows_needed(8, 4, fractions)

    def works(rows):
        split = Split.from_fractions(rows, fractions)
        train, val = sample_starts(split, 8, 4)
        return len(train) > 0 and len(val) > 0 and split.test_rows > 0

    assert works(needed) and not works(needed - 1)
    # 18 rows: train [0, 12) holds one window of 8 + 4, validation [12, 13) one row, test 5 rows
    assert needed == 18
