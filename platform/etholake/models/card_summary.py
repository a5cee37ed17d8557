"""A model card as a few labelled lines and one row per behavior, for people rather than scripts."""

from __future__ import annotations

import pandas as pd

BEHAVIOR_COLUMNS = [
    "behavior",
    "positive_frames",
    "scored_frames",
    "threshold",
    "smooth",
    "min_bout",
    "merge_gap",
    "grouped_f1",
    "precision",
    "recall",
    "pr_auc",
    "bout_f1",
    "leaky_random_split_f1",
]
_METRICS = {
    "grouped_f1": "pooled_f1",
    "precision": "pooled_precision",
    "recall": "pooled_recall",
    "pr_auc": "pooled_pr_auc",
    "bout_f1": "pooled_bout_f1",
    "leaky_random_split_f1": "random_split_f1",
}
_POSTPROCESSING = ("threshold", "smooth", "min_bout", "merge_gap")
NOT_RECORDED = "not recorded (trained outside etholake train)"


def _listed(names: list[str], shown: int = 6) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def card_overview(card: dict) -> list[tuple[str, str]]:
    """Summarise a model card as (field, text) pairs.

    Parameters
    ----------
    card
        A model card (``card.json``) with the catalog's ``version``, ``stage`` and ``asset_id`` added.

    Returns
    -------
    list of tuple of str
        The model, who made it, the estimator, the features, what it was trained and evaluated on,
        and the library versions.
    """
    training = card.get("training", {})
    policy = training.get("label_policy") or training.get("policy")
    sources = training.get("sources", [])
    subjects = sorted({source["subject"] for source in sources})
    labs = sorted({source["lab"] for source in sources})
    params = ", ".join(f"{key}={value}" for key, value in sorted(card["estimator"].get("params", {}).items()))
    metrics = [m for m in card.get("metrics", {}).values() if isinstance(m, dict)]
    evaluated = (
        f"grouped by {metrics[0]['group_by']}, {metrics[0]['n_folds']} outer folds" if metrics else "not evaluated"
    )
    return [
        ("model", f"{card['name']} v{card['version']} ({card['stage']})"),
        ("asset", card["asset_id"]),
        ("created", f"by {card.get('created_by') or 'unknown'} at {card.get('created_at') or 'an unknown time'}"),
        ("estimator", f"{card['estimator']['kind']} ({params})" if params else card["estimator"]["kind"]),
        ("features", f"{len(card['feature_names'])} of feature set {card['feature_set_hash'][:12]}"),
        (
            "trained on",
            f"{training.get('n_sessions', len(sources))} session(s) of {len(subjects)} subject(s) in "
            f"{_listed(labs)}; {training.get('n_rows', 0):,} frames"
            if sources
            else NOT_RECORDED,
        ),
        (
            "labels",
            f"policy {policy}, annotators {_listed(training.get('annotators', []))}" if policy else NOT_RECORDED,
        ),
        ("evaluation", evaluated),
        ("libraries", ", ".join(f"{name} {version}" for name, version in card.get("library_versions", {}).items())),
        ("artifact", f"{card['artifact']['file']} sha256 {card['artifact']['sha256']}"),
    ]


def card_behaviors(card: dict) -> pd.DataFrame:
    """One row per behavior: training frames, post-processing and held-out grouped scores.

    The random-frame split's F1, which leaks neighbouring frames into training, is shown for comparison.

    Parameters
    ----------
    card
        A model card (``card.json``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BEHAVIOR_COLUMNS`; a score the card does not hold is missing (NaN).
    """
    training = card.get("training", {})
    rows = []
    for behavior in card["behaviors"]:
        postprocessing = card.get("postprocessing", {}).get(behavior, {})
        metrics = card.get("metrics", {}).get(behavior) or {}
        rows.append(
            {
                "behavior": behavior,
                "positive_frames": training.get("positive_frames", {}).get(behavior),
                "scored_frames": training.get("scored_frames", {}).get(behavior),
                **{key: postprocessing.get(key) for key in _POSTPROCESSING},
                **{column: metrics.get(key) for column, key in _METRICS.items()},
            }
        )
    return pd.DataFrame(rows, columns=BEHAVIOR_COLUMNS)
