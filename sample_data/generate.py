"""Write the sample CSVs beside this script, seeded so every run gives the same bytes.

- ``energy_hourly.csv``: 90 days of hourly transformer-like data (2,160 rows) from
  2024-01-01 00:00: six loads ``HUFL HULL MUFL MULL LUFL LULL`` and an oil
  temperature ``OT`` that follows the loads, with daily and weekly cycles, a slow
  trend and noise (shaped like ETTh1).
- ``airline_monthly.csv``: 144 months from 1949-01 of a passenger-like count with
  a trend and multiplicative yearly seasonality (shaped like the airline data).

Run: ``python sample_data/generate.py``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HOURS = 90 * 24
MONTHS = 144


def energy_hourly(rng: np.random.Generator) -> list[str]:
    """Return the CSV lines of the hourly energy data."""
    t = np.arange(HOURS)
    hour, day = t % 24, t // 24
    daily = np.sin(2 * np.pi * (hour - 8) / 24)  # peak mid-afternoon
    weekly = np.where(day % 7 >= 5, -1.0, 0.4)  # 2024-01-01 is a Monday: weekends are quiet
    trend = t / HOURS
    common = 0.6 * np.cumsum(rng.normal(0, 0.05, HOURS))  # slow shared drift
    loads = {}
    for name, level, scale in [("HUFL", 6.0, 2.0), ("HULL", 2.0, 0.6), ("MUFL", 4.0, 1.6),
                               ("MULL", 1.0, 0.4), ("LUFL", 3.5, 1.0), ("LULL", 1.2, 0.3)]:
        noise = rng.normal(0, 0.15 * scale, HOURS)
        loads[name] = level + scale * (daily + 0.5 * weekly + common) + noise
    heat = 0.5 * loads["HUFL"] + 0.8 * loads["MUFL"] + 0.3 * loads["LUFL"]
    lagged = np.convolve(heat, np.ones(6) / 6, mode="full")[:HOURS]  # oil warms slowly
    lagged[:5] = heat[:5]
    ot = 8.0 + 6.0 * trend + 0.9 * lagged + rng.normal(0, 0.4, HOURS)
    lines = ["date," + ",".join([*loads, "OT"])]
    start = np.datetime64("2024-01-01T00:00:00")
    for i in range(HOURS):
        stamp = str(start + np.timedelta64(i, "h")).replace("T", " ")
        cells = [f"{loads[name][i]:.3f}" for name in loads] + [f"{ot[i]:.3f}"]
        lines.append(stamp + "," + ",".join(cells))
    return lines


def airline_monthly(rng: np.random.Generator) -> list[str]:
    """Return the CSV lines of the monthly passenger-like series."""
    m = np.arange(MONTHS)
    level = 110 * np.exp(0.0105 * m)
    season = 1 + 0.22 * np.sin(2 * np.pi * (m % 12 - 3) / 12) + 0.08 * np.cos(4 * np.pi * (m % 12) / 12)
    passengers = np.round(level * season * np.exp(rng.normal(0, 0.03, MONTHS))).astype(int)
    lines = ["month,passengers"]
    for i in range(MONTHS):
        lines.append(f"{1949 + i // 12}-{i % 12 + 1:02d},{passengers[i]}")
    return lines


def write(name: str, lines: list[str]) -> None:
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main() -> None:
    rng = np.random.default_rng(0)
    write("energy_hourly.csv", energy_hourly(rng))
    write("airline_monthly.csv", airline_monthly(rng))


if __name__ == "__main__":
    main()
