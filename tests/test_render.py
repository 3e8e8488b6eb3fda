"""What the commands print: number formats, decimals, words; tiny hand-made inputs."""

import numpy as np
import pandas as pd
import pytest

from tsfc import render


def test_data_decimals_finds_the_fewest_that_reproduce_float32_copies():
    history = np.array([[8.5, 12.0, 0.125], [8.7, 13.0, 0.5]], dtype=np.float32)
    assert render.data_decimals(history) == [1, 0, 3]


def test_full_precision_data_get_what_float32_holds():
    history = np.array([[np.pi], [np.e]], dtype=np.float32)
    assert render.data_decimals(history) == [7]
    assert render.forecast_decimals(frame([3.3]), history, None) == {"x": 6}
    assert render.data_decimals(np.array([[1e-9], [np.pi * 1e-6]], dtype=np.float32)) == [None]
    assert render.forecast_text(frame([np.pi]), "csv", {"x": None}) == "step,x\n1,3.141593\n"


def frame(values):
    return pd.DataFrame({"x": values}, index=pd.RangeIndex(1, len(values) + 1, name="step"))


@pytest.mark.parametrize(
    "history, values, precision, decimals",
    [
        ([[8.5], [8.7]], [8.5583411], None, 3),  # one decimal in, three out
        ([[12.0], [13.0]], [12.3456], None, 2),
        ([[0.0001], [0.0002]], [0.00012345], None, 6),  # 4 + 2
        ([[1200.0], [1300.0]], [0.0004], None, 5),  # forecasts near zero keep 2 significant digits
        ([[10.123456], [11.5]], [10.5], None, 5),  # float32 holds 7 significant digits, not 8 decimals
        ([[8.5], [8.7]], [8.5583411], 1, 1),  # --precision wins
    ],
)
def test_forecast_decimals(history, values, precision, decimals):
    got = render.forecast_decimals(frame(values), np.array(history, dtype=np.float32), precision)
    assert got == {"x": decimals}


def test_forecast_text_writes_those_decimals_in_csv_and_json():
    f = frame([8.5583411, -0.0001])
    assert render.forecast_text(f, "csv", {"x": 3}) == "step,x\n1,8.558\n2,-0.000\n"
    import json

    doc = json.loads(render.forecast_text(f, "json", {"x": 3}))
    assert [row["x"] for row in doc["forecast"]] == [8.558, -0.0]


@pytest.mark.parametrize(
    "value, text",
    [(None, "-"), (0.0, "0"), (0.70621, "0.7062"), (33.3333, "33.33"), (12345.6, "12346"),
     (0.0012345, "0.00123"), (0.000028, "3e-05"), (-4.36769, "-4.368")],
)
def test_number_is_short_and_whole(value, text):
    assert render.number(value) == text
    assert len(text) <= 7


@pytest.mark.parametrize(
    "freq, words",
    [("h", "hourly"), ("MS", "monthly"), ("30min", "half-hourly"), ("D", "daily"), ("QS-OCT", "quarterly"),
     ("W-SUN", "weekly"), ("15min", "every 15 minutes"), ("2h", "every 2 hours"), (None, "none (row order)"),
     ("odd", "odd")],
)
def test_frequency_words(freq, words):
    assert render.frequency_words(freq) == words


def test_shown_leads_fit_the_width_and_keep_the_first_and_last():
    assert render.shown_leads(24, 80) == [1, 2, 3, 6, 12, 24]
    narrow = render.shown_leads(96, 80)
    assert narrow[0] == 1 and narrow[-1] == 96 and len(narrow) <= 6


def test_notes_after_reread_shorten_the_fit_time_notes(capsys):
    render.notes_after_reread(["sorted 3 rows", "filled 2 gaps", "new caveat"], ["sorted 3 rows", "filled 2 gaps"])
    assert capsys.readouterr().err.splitlines() == [
        "tsfc: note: new caveat",
        "tsfc: note: the data were cleaned as at fit time (2 notes; see tsfc info)",
    ]
