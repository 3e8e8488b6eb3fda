"""The network's linear start: ridge regression of the training windows, in closed form.

The highway of `models.Forecaster` maps a normalised window (minus its level) to the block's
correction of the base forecast. `fit` sets it to the ridge solution of exactly that problem on
the training windows, with the penalty chosen by generalised cross-validation (scikit-learn's
`RidgeCV`), so the network starts at the best linear forecast the training rows support and its
recurrent path learns what a linear model cannot. On short series the penalty shrinks the start
toward the base forecast (seasonal naive), which is what keeps them from overfitting.
"""

from __future__ import annotations

import numpy as np
import torch

# Penalties tried, relative to the number of windows times the inputs' mean square.
RELATIVE_ALPHAS = np.logspace(-6, 2, 17)
MIN_WINDOWS = 5  # fewer training windows (x columns) than this cannot be cross-validated
MAX_ROWS = 50_000  # windows x columns used for the fit (a seeded sample beyond that)


@torch.no_grad()
def ridge_start(net, samples: torch.Tensor, train_starts, val_starts, val_rows: tuple[int, int], seed: int = 0) -> dict:
    """Set the network's linear paths to the ridge fit of the training windows; return what was chosen.

    Two linear models are fitted: on the normalised window alone (it follows the last value, like
    NLinear), and, if the network has a level path, on the window and its level (it can revert
    to a mean, like a plain autoregression). The one with the lower squared error on the
    validation rows is kept.

    Args:
        net: a `Forecaster` with a highway.
        samples: [n, window + block, C] scaled windows (a view of the series).
        train_starts, val_starts: indices of the training and validation windows in `samples`.
        val_rows: [first, end) rows that the validation error counts.

    Returns:
        ``{"level": bool, "alpha": relative penalty, "windows": windows used}`` for the manifest.
    """
    window = net.cfg.window
    x, y = _windows(samples, train_starts, window, seed)
    vx, vy = _windows(samples, val_starts, window, seed)
    rows = torch.as_tensor(np.asarray(val_starts))[:, None] + window + torch.arange(net.cfg.block)  # [V, K]
    mask = ((rows >= val_rows[0]) & (rows < val_rows[1])).double()[:, :, None]  # [V, K, 1]
    best = None
    for level in (False, True) if net.level_gain is not None else (False,):
        fit = _ridge(net, x, y, level)
        err = float(torch.sum(mask * (_apply(net, vx, fit, level) - vy) ** 2) / max(1.0, float(mask.sum())))
        if best is None or err < best[0]:
            best = (err, level, fit)
    _, level, (coef, intercept, alpha) = best
    net.highway.weight.copy_(torch.from_numpy(coef[:, :window]))  # [K, W]
    net.highway.bias.copy_(torch.from_numpy(intercept))  # [K]
    if net.level_gain is not None:
        net.level_gain.weight.copy_(torch.from_numpy(coef[:, window:] if level else np.zeros((net.cfg.block, 1))))
    return {"level": level, "alpha": alpha, "windows": int(len(x))}


def _windows(samples, starts, window: int, seed: int):
    """Inputs [n, W, C] and targets [n, K, C] in float64 on the CPU, at most MAX_ROWS windows x columns."""
    idx = torch.as_tensor(np.asarray(starts), dtype=torch.long)
    if len(idx) * samples.shape[2] > MAX_ROWS:
        generator = torch.Generator().manual_seed(seed)
        idx = idx[torch.randperm(len(idx), generator=generator)[: max(1, MAX_ROWS // samples.shape[2])]]
    batch = samples[idx.to(samples.device)].cpu().double()  # [n, W + K, C]
    return batch[:, :window], batch[:, window:]


def _design(net, x: torch.Tensor, level: bool) -> np.ndarray:
    """Ridge inputs [n C, W (+ 1)]: each column's window minus its level (and the level)."""
    lev = net.level(x)  # [n, 1, C]
    inputs = torch.cat([x - lev, lev], dim=1) if level else x - lev  # [n, W (+1), C]
    return inputs.transpose(1, 2).reshape(-1, inputs.shape[1]).numpy()


def _ridge(net, x, y, level: bool):
    """Ridge fit of the base's correction; penalty by generalised cross-validation, or the
    strongest penalty (close to the base forecast itself) when too few windows to cross-validate."""
    from sklearn.linear_model import Ridge, RidgeCV

    X = _design(net, x, level)
    T = (y - net.base(x)).transpose(1, 2).reshape(-1, net.cfg.block).numpy()  # [n C, K]
    scale = len(X) * max(float(np.mean(np.square(X))), 1e-12)
    if len(X) < MIN_WINDOWS:
        ridge = Ridge(alpha=RELATIVE_ALPHAS[-1] * scale).fit(X, T)
        ridge.alpha_ = ridge.alpha
    else:
        ridge = RidgeCV(alphas=RELATIVE_ALPHAS * scale, fit_intercept=True).fit(X, T)
    return np.asarray(ridge.coef_).reshape(net.cfg.block, -1), np.atleast_1d(ridge.intercept_), float(ridge.alpha_ / scale)


def _apply(net, x, fit, level: bool) -> torch.Tensor:
    coef, intercept, _ = fit
    out = _design(net, x, level) @ coef.T + intercept  # [n C, K]
    n, _, columns = x.shape
    return torch.from_numpy(out).reshape(n, columns, -1).transpose(1, 2) + net.base(x)  # [n, K, C]
