"""Robust straight-line fits for clock maps (Huber IRLS, Theil-Sen)."""

from __future__ import annotations

import numpy as np
from scipy import stats

HUBER_K = 1.345
MAX_THEIL_SEN_POINTS = 2000


def robust_line(x: np.ndarray, y: np.ndarray, method: str = "huber") -> tuple[float, float]:
    """Fit ``y = slope * x + offset`` robustly.

    The fit is done on ``y - x`` against centred ``x`` so slopes near 1 keep full precision.

    Parameters
    ----------
    x, y
        Matched times on the source and target clocks.
    method
        ``"huber"`` (iteratively reweighted least squares, k = 1.345 robust SDs),
        ``"theil-sen"`` (median of pairwise slopes, on at most 2,000 evenly spaced points)
        or ``"ols"``.

    Returns
    -------
    slope, offset
    """
    x = np.asarray(x, dtype=np.float64)
    difference = np.asarray(y, dtype=np.float64) - x
    centre = float(np.mean(x))
    xc = x - centre
    if method == "theil-sen":
        step = max(1, x.size // MAX_THEIL_SEN_POINTS)
        result = stats.theilslopes(difference[::step], xc[::step])
        slope_excess = float(result.slope)
        intercept = float(np.median(difference - slope_excess * xc))
    elif method in ("huber", "ols"):
        slope_excess, intercept = _weighted_line(xc, difference, np.ones_like(xc))
        if method == "huber":
            slope_excess, intercept = _huber(xc, difference, slope_excess, intercept)
    else:
        raise ValueError(f"unknown fit method {method!r} (use 'huber', 'theil-sen' or 'ols')")
    slope = 1.0 + slope_excess
    return slope, intercept - slope_excess * centre


def _weighted_line(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    total = weights.sum()
    x_mean = (weights * x).sum() / total
    y_mean = (weights * y).sum() / total
    spread = (weights * (x - x_mean) ** 2).sum()
    slope = (weights * (x - x_mean) * (y - y_mean)).sum() / spread if spread > 0 else 0.0
    return float(slope), float(y_mean - slope * x_mean)


def _huber(x: np.ndarray, y: np.ndarray, slope: float, intercept: float, n_iterations: int = 50) -> tuple[float, float]:
    for _ in range(n_iterations):
        residual = y - (slope * x + intercept)
        scale = 1.4826 * np.median(np.abs(residual - np.median(residual)))
        if scale <= 0:
            break
        ratio = np.abs(residual) / (HUBER_K * scale)
        weights = np.where(ratio <= 1, 1.0, 1.0 / np.maximum(ratio, 1e-12))
        new_slope, new_intercept = _weighted_line(x, y, weights)
        converged = abs(new_slope - slope) < 1e-12 and abs(new_intercept - intercept) < 1e-9
        slope, intercept = new_slope, new_intercept
        if converged:
            break
    return slope, intercept
