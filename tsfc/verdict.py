"""How the model compares with the baselines, measured and said in one line.

`compare_on_validation` scores the fitted network, seasonal naive and the linear baseline on
the validation rows at fit time; `sentence` turns scores into the verdict `fit` and `evaluate`
print ("model beats seasonal_naive by 23 % and linear by 4 % on MASE").
"""

from __future__ import annotations

import numpy as np

BASELINES = ("naive", "seasonal_naive", "linear")


def compare_on_validation(net, scaler, values: np.ndarray, split, season: int) -> dict:
    """Mean absolute error of the network and the baselines on the validation rows.

    Every forecast starts at an origin whose block reaches a validation row, as in training;
    only its validation rows are scored, in the target's original units. A baseline that the
    data cannot support (seasonal naive with less than a season of history) is None.

    Returns:
        ``{"rows": validation rows, "forecasts": origins, "mae": {method: value or None}}``.
    """
    import torch

    from tsfc.baselines import forecast_all
    from tsfc.windows import sample_starts, sliding

    window, block = net.cfg.window, net.cfg.block
    _, starts = sample_starts(split, window, block)
    origins = np.arange(starts.start, starts.stop) + window  # [N]
    target = values[:, 0].astype(np.float64)
    rows = origins[:, None] + np.arange(block)  # [N, K]
    mask = (rows >= split.train_end) & (rows < split.val_end)
    actual = target[np.minimum(rows, len(target) - 1)]  # [N, K]
    scaled = torch.from_numpy(scaler.transform(values))
    with torch.no_grad():
        net.eval()
        out = net(sliding(scaled, window)[torch.from_numpy(origins - window)])  # [N, K, C]
    forecasts = {"model": scaler.inverse_transform(out.numpy())[..., 0]}
    forecasts.update(forecast_all(target, origins, block, season, window, target[: split.train_end], []))
    mae = {
        name: None if f is None else float(np.abs(f - actual)[mask].mean()) for name, f in forecasts.items()
    }
    return {"rows": int(split.val_end - split.train_end), "forecasts": int(len(origins)), "mae": mae}


def sentence(scores: dict, metric: str, against=("seasonal_naive", "linear")) -> str:
    """'model beats seasonal_naive by 23 % and linear by 4 % on MASE', from {method: score}."""
    model = scores.get("model")
    parts = []
    for name in against:
        base = scores.get(name)
        if model is None or base is None or not base > 0:
            continue
        change = (base - model) / base * 100
        if abs(change) < 0.5:
            parts.append(f"ties {name}")
        elif change > 0:
            parts.append(f"beats {name} by {change:.0f} %")
        else:
            parts.append(f"loses to {name} by {-change:.0f} %")
    if not parts:
        return f"no baseline to compare the model with on {metric}"
    return "model " + " and ".join(parts) + f" on {metric}"


def losers(scores: dict, against=("seasonal_naive", "linear")) -> list[str]:
    """The baselines that score better (lower) than the model, by more than 0.5 %."""
    model = scores.get("model")
    return [
        name for name in against
        if model is not None and scores.get(name) is not None and model > scores[name] * 1.005
    ]


PANEL_SERIES = 300  # series scored at fit time (a seeded sample beyond that)


def compare_panel_on_validation(net, data, scaled: np.ndarray, splits, low, high, season: int, seed: int) -> dict:
    """`compare_on_validation` for many series: each series' validation rows, scored per series
    and averaged as MASE (each series' MAE over its in-sample seasonal-naive MAE), so series of
    large values do not outweigh the rest; series without a defined scale are left out.

    Returns:
        ``{"rows", "forecasts", "series", "mase": {method: mean or None}, "mae": {method: mean}}``.
    """
    import torch

    from tsfc.baselines import forecast_all
    from tsfc.metrics import seasonal_naive_mae
    from tsfc.windows import sample_starts, sliding

    window, block = net.cfg.window, net.cfg.block
    candidates = [s for s, split in enumerate(splits) if len(sample_starts(split, window, block)[1])]
    if len(candidates) > PANEL_SERIES:
        candidates = sorted(np.random.default_rng(seed).choice(candidates, PANEL_SERIES, replace=False))
    contexts = sliding(torch.from_numpy(scaled), window)
    per_series = {name: ([], []) for name in ("model", *BASELINES)}  # method -> (mase list, mae list)
    rows = forecasts = 0
    net.eval()
    for s in candidates:
        split, base = splits[s], int(data.offsets[s])
        _, starts = sample_starts(split, window, block)
        origins = np.arange(starts.start, starts.stop) + window
        values = data.series(s)
        target = values[:, 0].astype(np.float64)
        at = origins[:, None] + np.arange(block)
        mask = (at >= split.train_end) & (at < split.val_end)
        actual = target[np.minimum(at, len(target) - 1)]
        with torch.no_grad():
            out = net(contexts[torch.from_numpy(origins + base - window)]).numpy()  # [N, K, C]
        span = high[s, 0] - low[s, 0]
        found = {"model": out[..., 0] * (span if span else 1.0) + low[s, 0]}
        found.update(forecast_all(target, origins, block, season, window, target[: split.train_end], []))
        scale = seasonal_naive_mae(target[: split.train_end], season)
        for name, f in found.items():
            if f is None:
                continue
            err = float(np.abs(f - actual)[mask].mean())
            per_series[name][1].append(err)
            if scale:
                per_series[name][0].append(err / scale)
        rows += int(split.val_end - split.train_end)
        forecasts += len(origins)

    def mean(xs: list, n: int):
        return float(np.mean(xs)) if xs and len(xs) == n else None

    scaled_n = len(per_series["model"][0])
    return {
        "rows": rows, "forecasts": forecasts, "series": len(candidates),
        "mase": {name: mean(v[0], scaled_n) for name, v in per_series.items()},
        "mae": {name: mean(v[1], len(candidates)) for name, v in per_series.items()},
    }
