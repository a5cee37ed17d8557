"""Per-group breakdowns of held-out performance (per lab, per annotator) with warnings.

A group is flagged when its F1 falls more than ``tolerance`` below the median F1 of the *other*
groups: a lab whose annotator scores differently, or whose videos the model does not transfer to,
shows up here rather than vanishing into a pooled average.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from etholake.models.selection import frame_scores
from etholake.schema.labels import NOT_SCORED

BREAKDOWN_COLUMNS = ("group", "n_frames", "n_positive", "precision", "recall", "f1", "pr_auc", "flagged")


def flag_low_groups(table: pd.DataFrame, what: str, behavior: str, tolerance: float = 0.15) -> pd.DataFrame:
    """Set ``flagged`` where a group's F1 is more than ``tolerance`` below the others' median; warn for each."""
    table = table.copy()
    f1 = table["f1"].to_numpy(dtype=float)
    flagged = np.zeros(len(table), dtype=bool)
    for i in range(len(table)):
        others = np.delete(f1, i)
        others = others[np.isfinite(others)]
        if np.isfinite(f1[i]) and others.size and f1[i] < np.median(others) - tolerance:
            flagged[i] = True
            warnings.warn(
                f"{behavior}: {what} {table['group'].iloc[i]!r} has F1 {f1[i]:.2f}, well below the other "
                f"{what}s (median {np.median(others):.2f}); check its labels and videos",
                stacklevel=2,
            )
    table["flagged"] = flagged
    return table


def _group_row(group: str, y: np.ndarray, predicted: np.ndarray, probability: np.ndarray) -> dict:
    precision, recall, f1 = frame_scores(y, predicted)
    finite = np.isfinite(probability)
    pr_auc = (
        float(average_precision_score(y[finite], probability[finite])) if np.unique(y[finite]).size == 2 else np.nan
    )
    return {
        "group": group,
        "n_frames": int(y.size),
        "n_positive": int(y.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "pr_auc": pr_auc,
    }


def breakdown(
    y_true: np.ndarray,
    predicted: np.ndarray,
    probability: np.ndarray,
    groups: np.ndarray,
    *,
    what: str,
    behavior: str,
    tolerance: float = 0.15,
) -> pd.DataFrame:
    """Held-out scores per group (lab, subject, session, ...), flagging groups well below the rest.

    Parameters
    ----------
    y_true, predicted, probability
        Per-row truth (0/1), post-processed prediction and probability.
    groups
        Per-row group label.
    what, behavior
        Names used in the table's warnings.
    tolerance
        F1 margin below the other groups' median that flags a group.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BREAKDOWN_COLUMNS`, one row per group.
    """
    y_true = np.asarray(y_true, dtype=np.int8)
    predicted = np.asarray(predicted, dtype=bool)
    probability = np.asarray(probability, dtype=np.float64)
    groups = np.asarray(groups)
    records = [
        _group_row(str(g), y_true[groups == g], predicted[groups == g], probability[groups == g])
        for g in pd.unique(groups)
    ]
    table = pd.DataFrame(records, columns=list(BREAKDOWN_COLUMNS[:-1]))
    return flag_low_groups(table, what, behavior, tolerance)


def annotator_breakdown(
    annotator_labels: dict[str, np.ndarray],
    predicted: np.ndarray,
    probability: np.ndarray,
    *,
    behavior: str,
    tolerance: float = 0.15,
) -> pd.DataFrame:
    """Held-out scores of the model against each annotator's own labels.

    Parameters
    ----------
    annotator_labels
        Per annotator, their labels (1/0/-1) on the held-out rows for this behavior.
    predicted, probability
        The model's post-processed prediction and probability on the same rows.
    behavior
        Name used in warnings.
    tolerance
        F1 margin that flags an annotator.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BREAKDOWN_COLUMNS` with ``group`` = annotator, rows only for annotators who
        scored some of these rows.
    """
    predicted = np.asarray(predicted, dtype=bool)
    probability = np.asarray(probability, dtype=np.float64)
    records = []
    for annotator, labels in annotator_labels.items():
        scored = np.asarray(labels) != NOT_SCORED
        if scored.any():
            records.append(_group_row(annotator, np.asarray(labels)[scored], predicted[scored], probability[scored]))
    table = pd.DataFrame(records, columns=list(BREAKDOWN_COLUMNS[:-1]))
    return flag_low_groups(table, "annotator", behavior, tolerance)
