"""Pose preprocessing declared in a spec: confidence threshold, outliers, gap-limited
interpolation, smoothing. Every step is local in time (its result at frame t depends only on
frames within a known halo of t), so chunked and unchunked runs give identical results.

Missing points are NaN and stay NaN: interpolation fills only gaps both ends of which are
known and no longer than the limit; smoothing never fills a missing point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import correlate1d
from scipy.signal import savgol_coeffs

from etholake.features.block import PoseBlock, norm
from etholake.features.windows import centred_median, half_window


def preprocess_halo(options: dict[str, Any], fps: float) -> int:
    """Frames of context each side that :func:`preprocess` needs for an exact result."""
    halo = 0
    outliers = options.get("outliers")
    if outliers:
        halo += max(
            half_window(outliers.get("window_ms", 200), fps),
            half_window(outliers.get("body_length_window_ms", 2000), fps),
        )
    max_gap = options.get("interpolate_max_gap_ms")
    if max_gap:
        halo += max_gap_frames(max_gap, fps) + 1
    smooth = options.get("smooth")
    if smooth:
        halo += half_window(smooth["window_ms"], fps)
    return halo


def max_gap_frames(max_gap_ms: float, fps: float) -> int:
    """Longest gap (in frames) that interpolation fills."""
    return int(np.floor(max_gap_ms * fps / 1000.0 + 1e-9))


def preprocess(block: PoseBlock, options: dict[str, Any]) -> PoseBlock:
    """Apply the spec's preprocessing to a pose block (returns a new block)."""
    x, y = block.x.copy(), block.y.copy()
    threshold = options.get("confidence_threshold")
    if threshold is not None:
        low = block.confidence < threshold
        x[low] = np.nan
        y[low] = np.nan
    outliers = options.get("outliers")
    if outliers:
        staged = PoseBlock(
            x, y, block.confidence, block.time, block.keypoints, block.roles, block.length_unit, block.fps
        )
        flagged = outlier_mask(
            staged,
            k=outliers["k"],
            window=2 * half_window(outliers.get("window_ms", 200), block.fps) + 1,
            body_length_window=2 * half_window(outliers.get("body_length_window_ms", 2000), block.fps) + 1,
        )
        x[flagged] = np.nan
        y[flagged] = np.nan
    missing = np.isnan(x) | np.isnan(y)
    x[missing] = np.nan
    y[missing] = np.nan
    max_gap = options.get("interpolate_max_gap_ms")
    if max_gap:
        gap = max_gap_frames(max_gap, block.fps)
        x, y = interpolate_gaps(x, gap), interpolate_gaps(y, gap)
    smooth = options.get("smooth")
    if smooth:
        window = 2 * half_window(smooth["window_ms"], block.fps) + 1
        x, y = (smooth_series(v, smooth["method"], window, smooth.get("polyorder", 2)) for v in (x, y))
    return PoseBlock(x, y, block.confidence, block.time, block.keypoints, block.roles, block.length_unit, block.fps)


def outlier_mask(block: PoseBlock, *, k: float, window: int, body_length_window: int) -> np.ndarray:
    """True where a point lies more than ``k`` body lengths from its track's centred median.

    SimBA flags a body part whose frame-to-frame jump exceeds k x the animal's mean body
    length over the whole video and copies the previous frame over it (a sequential rule
    whose result depends on the entire session). Here the reference is the animal's
    median body length over ``body_length_window`` frames and the flagged point becomes
    NaN (then interpolation may fill it), which is local in time and vectorised.
    """
    body_length = centred_median(block.body_length(), body_length_window)
    median_x = centred_median(block.x, window)
    median_y = centred_median(block.y, window)
    distance = norm(block.x - median_x, block.y - median_y)
    with np.errstate(invalid="ignore"):
        return distance > k * body_length[None]


def interpolate_gaps(values: np.ndarray, max_gap: int) -> np.ndarray:
    """Linear interpolation along the last axis across NaN runs of at most ``max_gap`` frames.

    Runs touching either end of the array (no known value on one side) stay NaN.
    """
    n = values.shape[-1]
    valid = ~np.isnan(values)
    frames = np.arange(n)
    previous = np.maximum.accumulate(np.where(valid, frames, -1), axis=-1)
    following = np.minimum.accumulate(np.where(valid, frames, n)[..., ::-1], axis=-1)[..., ::-1]
    fill = ~valid & (previous >= 0) & (following < n) & (following - previous - 1 <= max_gap)
    if not fill.any():
        return values
    start = np.take_along_axis(values, np.clip(previous, 0, n - 1), axis=-1).astype(np.float64)
    stop = np.take_along_axis(values, np.clip(following, 0, n - 1), axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (frames - previous) / (following - previous)
        filled = start + (stop - start) * fraction
    return np.where(fill, filled, values).astype(values.dtype)


def smooth_series(values: np.ndarray, method: str, window: int, polyorder: int) -> np.ndarray:
    """Centred rolling median or Savitzky-Golay filter along the last axis; NaN stays NaN.

    The median ignores missing frames inside the window; Savitzky-Golay is NaN wherever its
    window holds a missing frame (edges of the session repeat the edge value).
    """
    if window < 3:
        return values
    if method == "median":
        smoothed = centred_median(values, window)
    else:
        coefficients = savgol_coeffs(window, min(polyorder, window - 1))
        smoothed = correlate1d(values.astype(np.float64), coefficients[::-1], axis=-1, mode="nearest")
    return np.where(np.isnan(values), np.nan, smoothed).astype(values.dtype)
