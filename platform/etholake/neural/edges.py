"""Edges of digital sync lines: threshold crossings with polarity and debounce."""

from __future__ import annotations

import numpy as np

from etholake.neural.fixups import warn_fixup

POLARITIES = ("rising", "falling", "both")


def extract_edges(
    signal: np.ndarray,
    *,
    rate: float | None = None,
    times: np.ndarray | None = None,
    threshold: float | None = None,
    polarity: str = "rising",
    debounce: float = 0.0,
    bit: int | None = None,
) -> np.ndarray:
    """Times of the edges of a sampled digital line.

    Parameters
    ----------
    signal
        Samples of the line (analog voltage, 0/1 states or packed digital words).
    rate, times
        Sampling rate in Hz (time 0 at the first sample) or the time of each sample.
    threshold
        Level separating low from high; defaults to halfway between the 1st and 99th percentile.
    polarity
        ``"rising"``, ``"falling"`` or ``"both"``.
    debounce
        Edges closer than this (s) to the previous kept edge of the same polarity are dropped
        as contact bounce, with a warning giving how many.
    bit
        For packed digital words (e.g. a camera GPIO word): which bit is the line.

    Returns
    -------
    numpy.ndarray
        Edge times in seconds: the time of the first sample past the threshold.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    signal = np.asarray(signal)
    if bit is not None:
        signal = (signal.astype(np.int64) >> bit) & 1
    signal = signal.astype(np.float64)
    if times is None:
        if not rate:
            raise ValueError("give the sampling rate or the sample times")
        times = np.arange(signal.size) / float(rate)
    times = np.asarray(times, dtype=np.float64)
    if threshold is None:
        low, high = np.nanpercentile(signal, [1, 99]) if signal.size else (0.0, 0.0)
        threshold = (low + high) / 2 if high > low else low + 0.5
    state = signal > threshold
    change = np.flatnonzero(np.diff(state.astype(np.int8))) + 1
    rising = state[change]
    if polarity == "rising":
        change = change[rising]
    elif polarity == "falling":
        change = change[~rising]
    edge_times = times[change]
    if debounce > 0 and edge_times.size:
        keep = debounced(edge_times, debounce)
        if not keep.all():
            warn_fixup(f"debounce: dropped {int((~keep).sum())} of {keep.size} edges closer than {debounce} s")
        edge_times = edge_times[keep]
    return edge_times


def debounced(times: np.ndarray, min_interval: float) -> np.ndarray:
    """Mask of events kept when each must follow the previous kept event by ``min_interval`` s.

    Runs of bounces (each within ``min_interval`` of the one before) collapse onto their first event.
    """
    times = np.asarray(times, dtype=np.float64)
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = np.diff(times) >= min_interval
    return keep
