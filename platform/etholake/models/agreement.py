"""Inter-annotator agreement: Cohen's kappa on frames and bout-level agreement.

Only frames both annotators scored (neither is -1) are compared. Bout agreement treats the first
annotator as the reference: ``bout_precision`` is the fraction of the second annotator's bouts that
overlap one of the first's, ``bout_recall`` the fraction of the first's bouts the second found.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from etholake.models.bout_metrics import bout_scores
from etholake.models.trainset import TrainingSet
from etholake.schema.labels import NOT_SCORED

AGREEMENT_COLUMNS = (
    "behavior",
    "session",
    "annotator_a",
    "annotator_b",
    "n_frames",
    "prevalence_a",
    "prevalence_b",
    "percent_agreement",
    "kappa",
    "bout_precision",
    "bout_recall",
    "bout_f1",
)


def cohens_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 label vectors, ignoring frames where either is -1.

    Returns NaN when no frame is scored by both, and 1.0 when both agree on a single class
    everywhere (chance agreement 1, observed agreement 1).
    """
    a, b = np.asarray(a), np.asarray(b)
    both = (a != NOT_SCORED) & (b != NOT_SCORED)
    if not both.any():
        return np.nan
    a, b = a[both].astype(bool), b[both].astype(bool)
    observed = np.mean(a == b)
    pa, pb = a.mean(), b.mean()
    chance = pa * pb + (1 - pa) * (1 - pb)
    if chance >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return float((observed - chance) / (1 - chance))


def pair_agreement(a: np.ndarray, b: np.ndarray, segment_starts: np.ndarray | None = None) -> dict[str, float]:
    """Frame and bout agreement of two label vectors (1/0/-1) over the same rows."""
    a, b = np.asarray(a), np.asarray(b)
    both = (a != NOT_SCORED) & (b != NOT_SCORED)
    record = {
        "n_frames": int(both.sum()),
        "prevalence_a": float(np.mean(a[both] == 1)) if both.any() else np.nan,
        "prevalence_b": float(np.mean(b[both] == 1)) if both.any() else np.nan,
        "percent_agreement": float(np.mean(a[both] == b[both])) if both.any() else np.nan,
        "kappa": cohens_kappa(a, b),
    }
    if segment_starts is not None:
        segment_starts = np.asarray(segment_starts, dtype=bool)[both]
        segment_starts[1:] |= np.diff(np.flatnonzero(both)) != 1
    bouts = bout_scores(a[both] == 1, b[both] == 1, segment_starts)
    record.update({k: bouts[k] for k in ("bout_precision", "bout_recall", "bout_f1")})
    return record


def agreement_report(trainset: TrainingSet, behaviors: list[str] | None = None) -> pd.DataFrame:
    """Agreement of every annotator pair in every session both scored, per behavior.

    Parameters
    ----------
    trainset
        A training set; its :attr:`~TrainingSet.annotator_labels` are compared.
    behaviors
        Behaviors to report (default: all).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AGREEMENT_COLUMNS`; a ``session`` of ``"(all)"`` pools the sessions.
        Empty when no session has two annotators.
    """
    behaviors = behaviors or trainset.behaviors
    all_rows = np.arange(trainset.n_rows)
    starts = trainset.segment_starts(all_rows)
    records = []
    for behavior in behaviors:
        column = trainset.behavior_index(behavior)
        for first, second in itertools.combinations(sorted(trainset.annotator_labels), 2):
            a = trainset.annotator_labels[first][:, column]
            b = trainset.annotator_labels[second][:, column]
            shared = (a != NOT_SCORED) & (b != NOT_SCORED)
            if not shared.any():
                continue
            sessions = pd.unique(trainset.session[shared])
            for session in [*sessions, "(all)"]:
                rows = all_rows if session == "(all)" else np.flatnonzero(trainset.session == session)
                if session == "(all)" and len(sessions) == 1:
                    continue
                record = pair_agreement(a[rows], b[rows], starts[rows])
                records.append(
                    {"behavior": behavior, "session": str(session), "annotator_a": first, "annotator_b": second}
                    | record
                )
    return pd.DataFrame(records, columns=list(AGREEMENT_COLUMNS))
