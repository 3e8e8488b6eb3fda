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
def ridge_start(net, samples: torch.Tensor, starts, seed: int = 0) -> dict:
    """Set `net.highway` to the ridge fit of the training windows at `starts`; return what was chosen.

    The fit maps each normalised window (minus its last value) to the block's correction of the
    base forecast, the problem the highway solves inside the network. It follows the last value
    (like NLinear) and has no term for the series' overall level: a linear model that reverts to
    the training rows' mean forecast the validation rows of ETTh1 1 % better and its test rows,
    after the level drifted, 4-14 % worse (benchmarks/RESULTS.md).

    Args:
        net: a `Forecaster` with a highway.
        samples: [n, window + block, C] scaled windows (a view of the series).
        starts: indices of the training windows in `samples`.

    Returns:
        ``{"alpha": penalty relative to the inputs' scale, "windows": windows used}``.
    """
    from sklearn.linear_model import Ridge, RidgeCV

    window = net.cfg.window
    idx = torch.as_tensor(np.asarray(starts), dtype=torch.long)
    if len(idx) * samples.shape[2] > MAX_ROWS:
        generator = torch.Generator().manual_seed(seed)
        idx = idx[torch.randperm(len(idx), generator=generator)[: max(1, MAX_ROWS // samples.shape[2])]]
    batch = samples[idx.to(samples.device)].cpu().double()  # [n, W + K, C]
    x, y = batch[:, :window], batch[:, window:]
    X = (x - net.level(x)).transpose(1, 2).reshape(-1, window).numpy()  # [n C, W]
    T = (y - net.base(x)).transpose(1, 2).reshape(-1, net.cfg.block).numpy()  # [n C, K]
    scale = len(X) * max(float(np.mean(np.square(X))), 1e-12)
    if len(X) < MIN_WINDOWS:  # too few to cross-validate: the strongest penalty, close to the base
        ridge = Ridge(alpha=RELATIVE_ALPHAS[-1] * scale).fit(X, T)
        alpha = ridge.alpha
    else:
        ridge = RidgeCV(alphas=RELATIVE_ALPHAS * scale).fit(X, T)
        alpha = ridge.alpha_
    net.highway.weight.copy_(torch.from_numpy(np.asarray(ridge.coef_).reshape(net.cfg.block, window)))  # [K, W]
    net.highway.bias.copy_(torch.from_numpy(np.atleast_1d(ridge.intercept_)))  # [K]
    return {"alpha": float(alpha / scale), "windows": int(len(idx))}
