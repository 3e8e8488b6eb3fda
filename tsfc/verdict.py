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
