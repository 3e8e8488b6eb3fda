"""Many series in one long table: grouping, per-series splitting and scaling, balanced sampling."""

import numpy as np
import pandas as pd
import pytest

from tsfc.errors import DataError
from tsfc.panel import fallback, future_times, group, read_panel, samples, scale, scalers, splits, unscale


def write_long(path, series: dict, freq="h", extra=None):
    """series: id -> (start, values); ids with '|' become two columns a,b."""
    rows = []
    for sid, (start, values) in series.items():
        stamps = pd.date_range(start, periods=len(values), freq=freq)
        for t, v in zip(stamps, values):
            parts = sid.split("|")
            rows.append({"a": parts[0], "b": parts[-1], "time": t.strftime("%Y-%m-%d %H:%M:%S"), "y": v})
    frame = pd.DataFrame(rows)
    if extra is not None:
        frame = extra(frame)
    frame.to_csv(path, index=False)
    return path


def test_ragged_series_are_grouped_sorted_and_keep_their_own_ends(tmp_path):
    csv = write_long(tmp_path / "long.csv", {
        "s1|x": ("2024-01-01 00:00", np.arange(10.0)),
        "s2|x": ("2024-01-01 05:00", np.arange(100.0, 120.0)),
    }, extra=lambda f: f.sample(frac=1, random_state=0))  # rows shuffled
    panel = read_panel(csv, "y", ["a", "b"])
    assert panel.ids == ["s2|x", "s1|x"] or panel.ids == ["s1|x", "s2|x"]
    by_id = {sid: panel.series(i)[:, 0] for i, sid in enumerate(panel.ids)}
    assert by_id["s1|x"].tolist() == list(np.arange(10.0))
    assert by_id["s2|x"].tolist() == list(np.arange(100.0, 120.0))
    last = {sid: pd.Timestamp(panel.last[i]) for i, sid in enumerate(panel.ids)}
    assert last == {"s1|x": pd.Timestamp("2024-01-01 09:00"), "s2|x": pd.Timestamp("2024-01-02 00:00")}
    assert panel.freq == "h"
    assert any("sorted" in n for n in panel.notes)


def test_gaps_are_filled_per_series_and_counted_in_one_note(tmp_path):
    def drop(frame):
        return frame.drop(index=[3, 4, 15])  # two gaps in s1, one in s2 (rows 10.. belong to s2)

    csv = write_long(tmp_path / "long.csv", {"s1|x": ("2024-01-01", np.arange(10.0)),
                                              "s2|x": ("2024-01-01", np.arange(10.0) * 2)}, extra=drop)
    panel = read_panel(csv, "y", ["a"])
    assert panel.lengths.tolist() == [10, 10]
    assert panel.series(0)[:, 0].tolist() == list(np.arange(10.0))  # linear interpolation restores the line
    assert "filled 3 gaps (h) in 2 series by linear interpolation" in panel.notes


def test_duplicate_timestamp_names_the_series_and_rows(tmp_path):
    csv = write_long(tmp_path / "long.csv", {"s1|x": ("2024-01-01", np.arange(5.0))},
                     extra=lambda f: pd.concat([f, f.iloc[[2]]]))
    with pytest.raises(DataError, match=r"series 's1' has the timestamp 2024-01-01 02:00:00 twice, at rows 3 and 6"):
        read_panel(csv, "y", ["a"])


def test_a_series_at_another_frequency_is_refused_by_name(tmp_path):
    csv = write_long(tmp_path / "long.csv", {"s1|x": ("2024-01-01", np.arange(50.0))})
    frame = pd.read_csv(csv)
    odd = frame.iloc[:10].assign(a="odd", time=pd.date_range("2024-01-01", periods=10, freq="2h").astype(str))
    pd.concat([frame, odd]).to_csv(csv, index=False)
    with pytest.raises(DataError, match="series 'odd': the inferred frequency is h, but filling its gaps would invent 9 rows"):
        read_panel(csv, "y", ["a"])
    # a series at the same frequency but another phase (every hour at half past) is regular on its own
    odd = frame.iloc[:5].assign(a="half", time=pd.date_range("2024-01-01 00:30", periods=5, freq="h").astype(str))
    pd.concat([frame, odd]).to_csv(csv, index=False)
    assert read_panel(csv, "y", ["a"]).lengths.tolist() == [50, 5]


def test_an_empty_series_is_left_out_with_a_note_never_silently(tmp_path):
    csv = write_long(tmp_path / "long.csv", {"s1|x": ("2024-01-01", np.arange(5.0)),
                                              "s2|x": ("2024-01-01", [np.nan] * 5)})
    panel = read_panel(csv, "y", ["a"])
    assert panel.ids == ["s1"]
    assert any("left out 1 series" in n and "'s2'" in n for n in panel.notes)


def test_empty_id_and_separator_in_id_are_refused(tmp_path):
    csv = write_long(tmp_path / "long.csv", {"s1|x": ("2024-01-01", np.arange(5.0))},
                     extra=lambda f: f.assign(a=["s1", "", "s1", "s1", "s1"]))
    with pytest.raises(DataError, match="column 'a' row 2: empty id"):
        read_panel(csv, "y", ["a"])
    csv = write_long(tmp_path / "bar.csv", {"s1|x": ("2024-01-01", np.arange(5.0))}, extra=lambda f: f.assign(a="p|q"))
    with pytest.raises(DataError, match="contains '\\|'"):
        read_panel(csv, "y", ["a"])


def test_each_series_is_scaled_on_its_own_training_rows_only():
    from tsfc.panel import Panel

    values = np.concatenate([np.arange(10.0), np.arange(10.0) * 100]).astype(np.float32)[:, None]
    panel = Panel(values, np.array([0, 10, 20]), ["a", "b"], ["id"], ["y"], None, None, None)
    parts = splits(panel.lengths, (0.7, 0.1, 0.2))
    low, high = scalers(panel, parts)
    # training rows are the first 7 of each: the later, larger values must not leak in
    assert low[:, 0].tolist() == [0.0, 0.0] and high[:, 0].tolist() == [6.0, 600.0]
    scaled = scale(panel.values, panel.lengths, low, high)
    assert scaled[6, 0] == pytest.approx(1.0) and scaled[16, 0] == pytest.approx(1.0)
    assert scaled[9, 0] == pytest.approx(9 / 6)  # test rows may leave [0, 1]
    back = unscale(scaled.reshape(2, 10, 1), low, high)
    assert np.allclose(back.reshape(-1, 1), panel.values, atol=1e-4)


def test_samples_never_cross_series_and_weigh_long_series_down():
    lengths = np.array([200, 40, 40])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    parts = splits(lengths, (0.7, 0.1, 0.2))
    drawn = samples(offsets, parts, window=8, block=4, seed=0)
    owner = np.searchsorted(offsets, drawn.train, side="right") - 1
    assert np.all(drawn.train + 12 <= offsets[owner + 1])  # every window inside its own series
    assert np.all(drawn.train + 12 <= offsets[owner] + np.array([p.train_end for p in parts])[owner])
    counts = np.bincount(owner)
    per_series = np.bincount(owner, weights=drawn.weights)
    assert counts[0] > 5 * counts[1]
    assert per_series[0] == pytest.approx(per_series[1])  # together a long series weighs as a typical one
    val_rows = np.flatnonzero(drawn.val_rows)
    assert val_rows.tolist() == [*range(140, 160), *range(228, 232), *range(268, 272)]
    assert drawn.trained.all()


def test_fallback_for_series_shorter_than_the_window():
    assert fallback(30, 16, 4) is None
    assert fallback(10, 16, 4) == "seasonal_naive"
    assert fallback(3, 16, 4) == "naive"
    assert fallback(10, 16, 1) == "naive"


def test_future_times_follow_each_series_own_end():
    last = np.array(["2024-01-31", "2024-02-29"], dtype="datetime64[ns]")
    out = future_times(last, "ME", 2, 2)
    assert [pd.Timestamp(t).strftime("%Y-%m-%d") for t in out[0]] == ["2024-02-29", "2024-03-31"]
    assert [pd.Timestamp(t).strftime("%Y-%m-%d") for t in out[1]] == ["2024-03-31", "2024-04-30"]
    assert [list(x) for x in future_times(None, None, 3, 2)] == [[1, 2, 3], [1, 2, 3]]


def test_group_rows_without_time_use_row_order_within_each_series():
    from tsfc.data import LongTable

    table = LongTable(np.array([[1.0], [10.0], [2.0], [20.0]], dtype=np.float32), ["y"],
                      np.array(["a", "b", "a", "b"], dtype=object), ["id"], None, np.arange(1, 5), None, [], "f.csv", "")
    panel = group(table)
    assert panel.series(0)[:, 0].tolist() == [1.0, 2.0] and panel.series(1)[:, 0].tolist() == [10.0, 20.0]
    assert panel.last is None
