"""Pulse-train correspondence: coarse lag by cross-correlation and one-to-one matching."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

N_COARSE_SEGMENTS = 5


class CoarseLag(NamedTuple):
    """The lag between two pulse trains and where on the source clock it was measured.

    Attributes
    ----------
    lag
        ``target ≈ source + lag`` (s).
    score
        Share of the segment's pulses that the lag aligns.
    segment
        (start, stop) of the source segment the lag was measured on (s).
    peak_ratio
        Height of the highest cross-correlation peak away from the lag, relative to
        the lag's own: near 1 when periodic pulses align about as well at other lags.
    """

    lag: float
    score: float
    segment: tuple[float, float]
    peak_ratio: float


def coarse_lag(
    source: np.ndarray,
    target: np.ndarray,
    *,
    bin_size: float = 0.01,
    window: float = 120.0,
    max_lag: float | None = None,
) -> CoarseLag:
    """Lag ``L`` such that ``target ≈ source + L``, from cross-correlated binned pulse trains.

    Up to five segments of ``window`` seconds spread over the source train are each
    cross-correlated (FFT) with the whole target train; the segment whose best lag
    explains the largest share of its pulses wins. Short segments keep clock drift
    inside a few bins. A second peak nearly as high (periodic pulses) shows in
    ``peak_ratio``.

    Returns
    -------
    CoarseLag
        The lag, the share of the winning segment's pulses that it aligns, that
        segment and the second peak's height.
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    smoothing = 3
    origin = target[0] - window
    n_target_bins = int(np.ceil((target[-1] - origin + window) / bin_size)) + 1
    target_train = np.bincount(((target - origin) / bin_size).astype(np.int64), minlength=n_target_bins)
    target_train = np.convolve(target_train, np.ones(2 * smoothing + 1), mode="same")
    starts = np.linspace(source[0], max(source[0], source[-1] - window), N_COARSE_SEGMENTS)
    best = (-1.0, 0.0, 0.0, 0.0)
    for start in np.unique(starts):
        segment = source[(source >= start) & (source < start + window)]
        if segment.size < 3:
            continue
        segment_train = np.bincount(((segment - start) / bin_size).astype(np.int64))
        n_fft = 1 << int(np.ceil(np.log2(target_train.size + segment_train.size)))
        correlation = np.fft.irfft(np.fft.rfft(target_train, n_fft) * np.conj(np.fft.rfft(segment_train, n_fft)), n_fft)
        correlation = correlation[: target_train.size]
        lags = origin + np.arange(correlation.size) * bin_size - start
        if max_lag is not None:
            correlation = np.where(np.abs(lags) <= max_lag, correlation, -np.inf)
        peak = int(np.argmax(correlation))
        lag = float(lags[peak])
        score = _aligned_share(segment + lag, target, tolerance=(smoothing + 1) * bin_size)
        if score > best[0]:
            far = np.abs(lags - lag) > 4 * (smoothing + 1) * bin_size
            runner_up = float(np.max(correlation[far])) if far.any() else 0.0
            best = (score, lag, runner_up / correlation[peak] if correlation[peak] > 0 else 1.0, start)
    score, lag, peak_ratio, segment_start = best
    if score < 0:
        raise ValueError("too few source pulses to estimate the lag between the clocks (need 3 in a window)")
    return CoarseLag(lag, score, (float(segment_start), float(segment_start + window)), float(peak_ratio))


def _aligned_share(predicted: np.ndarray, target: np.ndarray, *, tolerance: float) -> float:
    source_index, _ = match_one_to_one(predicted, target, tolerance)
    return source_index.size / predicted.size


def match_one_to_one(predicted: np.ndarray, target: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Pair each predicted time with its nearest target within ``tolerance``, each target used once.

    When several predictions claim one target, the closest keeps it.

    Returns
    -------
    source_index, target_index
        Indices into ``predicted`` and ``target`` of the matched pairs, in source order.
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if predicted.size == 0 or target.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    right = np.clip(np.searchsorted(target, predicted), 0, target.size - 1)
    left = np.clip(right - 1, 0, target.size - 1)
    nearest = np.where(np.abs(target[left] - predicted) <= np.abs(target[right] - predicted), left, right)
    distance = np.abs(target[nearest] - predicted)
    candidates = np.flatnonzero(distance <= tolerance)
    order = candidates[np.lexsort((distance[candidates], nearest[candidates]))]
    first_claim = np.ones(order.size, dtype=bool)
    first_claim[1:] = nearest[order][1:] != nearest[order][:-1]
    source_index = np.sort(order[first_claim])
    return source_index, nearest[source_index]
