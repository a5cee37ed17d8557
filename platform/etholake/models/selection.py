"""Choosing the post-processing (smoothing, threshold, merge gap, minimum bout) by cross-validation.

The choice is made on out-of-fold probabilities of the *training* groups only (inner
cross-validation), maximising frame-level F1 after post-processing; the test group of an outer
fold never takes part. Rows are a training set's scored rows in order; ``segment_starts`` marks
rows that begin a new continuous stretch (new session or a jump in frames), and post-processing
never carries bouts or smoothing across one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etholake.inference.bouts import (
    BoutSettings,
    drop_short,
    fill_gaps,
    runs,
    smooth_probability,
    threshold_mask,
)


@dataclass(frozen=True)
class SelectionGrid:
    """Candidate post-processing settings (lengths in frames)."""

    thresholds: tuple[float, ...] = tuple(np.round(np.arange(0.15, 0.86, 0.05), 2))
    smooths: tuple[int, ...] = (1, 15, 31, 61, 121)
    merge_gaps: tuple[int, ...] = (0, 30, 90, 180)
    min_bouts: tuple[int, ...] = (1, 20, 45, 90, 180)

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {k: [float(v) if k == "thresholds" else int(v) for v in getattr(self, k)] for k in self.__annotations__}


class _Spaced:
    """Rows laid out with NaN spacers at segment starts, so one vectorized pass covers all segments."""

    def __init__(self, segment_starts: np.ndarray, pad: int) -> None:
        segment_starts = np.asarray(segment_starts, dtype=bool)
        cut = np.flatnonzero(segment_starts[1:]) + 1
        self.cut = np.repeat(cut, max(pad, 1))
        self.rows = np.flatnonzero(~np.insert(np.zeros(segment_starts.size, dtype=bool), self.cut, True))

    def spread(self, values: np.ndarray) -> np.ndarray:
        return np.insert(np.asarray(values, dtype=np.float64), self.cut, np.nan)


def postprocess_segments(probability: np.ndarray, segment_starts: np.ndarray, settings: BoutSettings) -> np.ndarray:
    """Per-row prediction after post-processing each continuous segment on its own."""
    spaced = _Spaced(segment_starts, settings.smooth // 2 + 1)
    padded = spaced.spread(probability)
    smoothed = smooth_probability(padded, settings.smooth)
    mask = threshold_mask(smoothed, settings.threshold, settings.low)
    mask = fill_gaps(mask, settings.merge_gap, blocked=~np.isfinite(padded))
    return drop_short(mask, settings.min_bout)[spaced.rows]


def frame_scores(y_true: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of a 0/1 prediction (NaN precision/recall when undefined, F1 0)."""
    y_true = np.asarray(y_true, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = int(np.sum(y_true & predicted))
    n_pred, n_true = int(predicted.sum()), int(y_true.sum())
    precision = tp / n_pred if n_pred else np.nan
    recall = tp / n_true if n_true else np.nan
    f1 = 2 * tp / (n_pred + n_true) if n_pred + n_true else np.nan
    return precision, recall, f1


def choose_settings(
    probability: np.ndarray,
    y_true: np.ndarray,
    segment_starts: np.ndarray,
    grid: SelectionGrid | None = None,
) -> tuple[BoutSettings, pd.DataFrame]:
    """Pick the post-processing with the best frame F1 on out-of-fold probabilities.

    Parameters
    ----------
    probability
        Out-of-fold probabilities of the training rows (from inner cross-validation).
    y_true
        0/1 labels of the same rows.
    segment_starts
        True where a row starts a continuous segment.
    grid
        Candidate settings.

    Returns
    -------
    settings : BoutSettings
        The best settings (ties go to the first in grid order: lowest smoothing, gap and minimum bout).
    scores : pandas.DataFrame
        F1, precision and recall of every combination.
    """
    grid = grid or SelectionGrid()
    y_true = np.asarray(y_true, dtype=bool)
    spaced = _Spaced(segment_starts, max(grid.smooths) // 2 + 1)
    padded = spaced.spread(probability)
    blocked = ~np.isfinite(padded)
    true_count = np.concatenate(([0], np.cumsum(np.nan_to_num(spaced.spread(y_true)) > 0)))
    n_true = int(y_true.sum())
    records = []
    for smooth in grid.smooths:
        smoothed = smooth_probability(padded, smooth)
        for threshold in grid.thresholds:
            on = threshold_mask(smoothed, float(threshold))
            for merge_gap in grid.merge_gaps:
                starts, stops = runs(fill_gaps(on, merge_gap, blocked=blocked))
                length = stops - starts + 1
                hits = true_count[stops + 1] - true_count[starts]
                for min_bout in grid.min_bouts:
                    kept = length >= min_bout
                    tp, n_pred = int(hits[kept].sum()), int(length[kept].sum())
                    precision = tp / n_pred if n_pred else np.nan
                    recall = tp / n_true if n_true else np.nan
                    f1 = 2 * tp / (n_pred + n_true) if n_pred + n_true else np.nan
                    records.append((smooth, float(threshold), merge_gap, min_bout, precision, recall, f1))
    scores = pd.DataFrame(
        records, columns=["smooth", "threshold", "merge_gap", "min_bout", "precision", "recall", "f1"]
    )
    best = scores.iloc[int(np.nanargmax(scores["f1"].to_numpy(dtype=float)))] if scores["f1"].notna().any() else None
    if best is None:
        return BoutSettings(), scores
    settings = BoutSettings(
        threshold=float(best["threshold"]),
        merge_gap=int(best["merge_gap"]),
        min_bout=int(best["min_bout"]),
        smooth=int(best["smooth"]),
    )
    return settings, scores
