"""Bout-level precision and recall: a predicted bout matches a true bout when they overlap.

Bouts are the runs of True of a per-frame mask. With ``min_overlap`` = 0 any shared frame is a
match; with ``min_overlap`` = f a bout matches when at least a fraction f of *its own* frames lie
inside bouts of the other mask. ``segment_starts`` marks rows that do not continue the previous
row in time (a new session, or a jump in frames): bouts never run across them.
"""

from __future__ import annotations

import numpy as np

from etholake.inference.bouts import runs


def split_runs(mask: np.ndarray, segment_starts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Runs of True of ``mask`` (first and inclusive last index), cut at every segment start."""
    mask = np.asarray(mask, dtype=bool)
    if segment_starts is None:
        return runs(mask)
    cut = np.flatnonzero(np.asarray(segment_starts, dtype=bool)[1:]) + 1
    spaced = np.insert(mask, cut, False)
    starts, stops = runs(spaced)
    position = np.flatnonzero(~np.insert(np.zeros(mask.size, dtype=bool), cut, True))
    original = np.full(spaced.size, -1)
    original[position] = np.arange(mask.size)
    return original[starts], original[stops]


def matched_bouts(
    mask: np.ndarray, other: np.ndarray, segment_starts: np.ndarray | None = None, min_overlap: float = 0.0
) -> tuple[int, int]:
    """Count the bouts of ``mask`` and how many of them overlap bouts of ``other``."""
    starts, stops = split_runs(mask, segment_starts)
    covered = np.concatenate(([0], np.cumsum(np.asarray(other, dtype=bool))))
    overlap = covered[stops + 1] - covered[starts]
    length = stops - starts + 1
    matched = overlap > 0 if min_overlap <= 0 else overlap >= min_overlap * length
    return int(starts.size), int(matched.sum())


def bout_scores(
    true_mask: np.ndarray,
    predicted_mask: np.ndarray,
    segment_starts: np.ndarray | None = None,
    min_overlap: float = 0.0,
) -> dict[str, float]:
    """Bout-level precision, recall and F1 of a prediction.

    Parameters
    ----------
    true_mask, predicted_mask
        Per-frame truth and prediction.
    segment_starts
        True where a row starts a new continuous segment (see module docstring).
    min_overlap
        Fraction of a bout's frames that must overlap the other mask for it to match.

    Returns
    -------
    dict
        ``bout_precision`` (matched predicted bouts / predicted bouts), ``bout_recall`` (matched
        true bouts / true bouts), ``bout_f1``, ``n_true_bouts``, ``n_predicted_bouts``; NaN where
        a denominator is 0.
    """
    n_predicted, hits = matched_bouts(predicted_mask, true_mask, segment_starts, min_overlap)
    n_true, found = matched_bouts(true_mask, predicted_mask, segment_starts, min_overlap)
    precision = hits / n_predicted if n_predicted else np.nan
    recall = found / n_true if n_true else np.nan
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision + recall > 0
        else (0.0 if np.isfinite(precision + recall) else np.nan)
    )
    return {
        "bout_precision": float(precision),
        "bout_recall": float(recall),
        "bout_f1": float(f1),
        "n_true_bouts": n_true,
        "n_predicted_bouts": n_predicted,
    }
