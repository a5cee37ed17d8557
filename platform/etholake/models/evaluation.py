"""Grouped (nested) cross-validation of behavior classifiers.

Evaluation splits by session, subject or lab, never by random frames: neighbouring frames are
near copies of each other, so a random split puts the test frames' twins in the training set and
overstates accuracy. A random split can be shown *beside* the grouped figure, with a warning.

For each outer fold the settings are chosen on the training groups only: inner grouped folds
give out-of-fold probabilities for every candidate (feature set x estimator), and the candidate
and its post-processing (smoothing, threshold, merge gap, minimum bout) with the best inner F1 are
then fitted on all training groups and scored once on the held-out groups.

Fits run as tasks on a Dask ``distributed.Client`` when one is given (the feature matrix is
scattered once, each fold is one task) and in this process otherwise.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

from etholake.errors import SchemaError
from etholake.inference.bouts import BoutSettings
from etholake.models.audit import annotator_breakdown, breakdown
from etholake.models.bout_metrics import bout_scores
from etholake.models.estimators import EstimatorSpec, fit_estimator, positive_probability
from etholake.models.importance import heldout_permutation_importance, importance_table, impurity_importance
from etholake.models.selection import SelectionGrid, choose_settings, frame_scores, postprocess_segments
from etholake.models.trainset import Sampling, TrainingSet, sample_rows

LOW_HELDOUT_F1 = 0.2
"""Pooled held-out F1 under which an evaluation warns that the behavior is barely found."""
LEAKAGE_WARNING = (
    "random-frame split: neighbouring frames of the same session fall on both sides of the split, "
    "so this figure overstates accuracy on unseen sessions; report the grouped figure"
)


@dataclass(frozen=True)
class Candidate:
    """One way to build a classifier: a feature set (as a training set) and an estimator spec."""

    name: str
    trainset: TrainingSet
    spec: EstimatorSpec = field(default_factory=EstimatorSpec)


@dataclass
class Evaluation:
    """Held-out evaluation of one behavior.

    Attributes
    ----------
    behavior, group_by
        What was evaluated and how rows were grouped.
    folds
        One row per outer fold: test groups, chosen candidate and settings, frame and bout scores.
    pooled
        Scores over all held-out rows together (each row is held out exactly once).
    heldout
        Per-row held-out predictions: session, subject, lab, frame, fold, y_true, probability, predicted.
    random_split
        Frame-level scores of a random-frame split (leaky) at threshold 0.5 without post-processing,
        with ``grouped_f1_same_rule``: the grouped held-out probabilities scored by that same rule; or None.
    importance
        Impurity and held-out permutation importance averaged over folds.
    learning_curve
        Held-out F1 by number of training sessions, or None.
    lab_breakdown, annotator_breakdown
        Per-lab and per-annotator held-out scores with flags.
    pr_curve
        Pooled precision-recall curve (precision, recall, threshold).
    confusion
        Pooled 2x2 confusion matrix after post-processing (rows truth 0/1, columns predicted 0/1).
    """

    behavior: str
    group_by: str
    folds: pd.DataFrame
    pooled: dict
    heldout: pd.DataFrame
    random_split: dict | None
    importance: pd.DataFrame
    learning_curve: pd.DataFrame | None
    lab_breakdown: pd.DataFrame | None
    annotator_breakdown: pd.DataFrame | None
    pr_curve: pd.DataFrame
    confusion: np.ndarray
    feature_names: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready headline figures (for model cards)."""
        record = {
            "behavior": self.behavior,
            "group_by": self.group_by,
            "n_folds": len(self.folds),
            **{f"pooled_{k}": _json_number(v) for k, v in self.pooled.items()},
            "fold_f1_mean": _json_number(self.folds["f1"].mean()),
            "fold_f1_std": _json_number(self.folds["f1"].std()),
        }
        if self.random_split is not None:
            record["random_split_f1"] = _json_number(self.random_split["f1"])
        return record


def _json_number(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def run_tasks(function: Callable, calls: Sequence[tuple], client=None, shared: dict | None = None) -> list:
    """Run ``function(*shared_values, *call)`` for each call, on ``client`` if given.

    Parameters
    ----------
    function
        A module-level function (picklable by Dask).
    calls
        Positional arguments of each call.
    client
        A ``distributed.Client``; None runs the calls here, one after another.
    shared
        Large arguments passed first to every call, scattered to the workers once.

    Returns
    -------
    list
        The results in the order of ``calls``.
    """
    shared_values = list((shared or {}).values())
    if client is None:
        return [function(*shared_values, *call) for call in calls]
    scattered = [client.scatter(value, broadcast=True) for value in shared_values]
    futures = [client.submit(function, *scattered, *call, pure=False) for call in calls]
    return client.gather(futures)


def fit_predict(
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    spec: EstimatorSpec,
    sampling: Sampling,
    permutation_repeats: int = 0,
) -> dict:
    """Fit on rows ``train`` and return test probabilities (and importances when asked).

    Parameters
    ----------
    x, y
        All rows and their 0/1 labels.
    train, test
        Row indices.
    spec, sampling
        What to fit, and which training rows to use.
    permutation_repeats
        When > 0, also compute permutation importance on the test rows.

    Returns
    -------
    dict
        ``probability`` (test rows), ``impurity`` and, when asked, ``permutation`` importances.
    """
    rows = train[sample_rows(y[train], sampling)]
    estimator = fit_estimator(spec, x[rows], y[rows])
    result = {
        "probability": positive_probability(estimator, x[test]),
        "impurity": impurity_importance(estimator, x.shape[1]),
    }
    if permutation_repeats:
        result["permutation"] = heldout_permutation_importance(
            estimator, x[test], y[test], n_repeats=permutation_repeats
        )[0]
    return result


def group_folds(groups: np.ndarray, n_splits: int | None, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test row indices holding whole groups out: leave-one-group-out when ``n_splits`` is None."""
    n_groups = np.unique(groups).size
    if n_groups < 2:
        raise SchemaError(f"grouped cross-validation needs at least 2 groups, got {n_groups}")
    splitter = (
        LeaveOneGroupOut()
        if n_splits is None or n_splits >= n_groups
        else GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    )
    return [(train, test) for train, test in splitter.split(np.zeros(groups.size), groups=groups)]


def _require_inner_groups(
    groups: np.ndarray, outer: list[tuple[np.ndarray, np.ndarray]], group_by: str, behavior: str
) -> None:
    """Refuse outer folds whose training part has fewer than 2 groups for the inner folds."""
    names = np.unique(groups)
    smallest = min((np.unique(groups[train]).size for train, _ in outer), default=0)
    if smallest >= 2:
        return
    listed = ", ".join(str(n) for n in names[:5]) + (f" and {names.size - 5} more" if names.size > 5 else "")
    advice = (
        f"use {names.size} outer folds (leave one {group_by} out)"
        if names.size >= 3
        else f"nested grouped evaluation needs at least 3 {group_by}s: group by a finer unit or add sessions"
    )
    raise SchemaError(
        f"grouping by {group_by}, the frames scored for {behavior!r} come from {names.size} {group_by}(s) ({listed}); "
        f"{'an outer fold trains on ' + str(smallest) if outer else 'there is nothing to hold out'}, and the inner "
        f"folds that choose the post-processing need 2 {group_by}s to train on; {advice}"
    )


def frame_metrics(
    y_true: np.ndarray, probability: np.ndarray, predicted: np.ndarray, segment_starts: np.ndarray
) -> dict:
    """Precision, recall, F1, PR-AUC and bout-level precision/recall of one prediction."""
    precision, recall, f1 = frame_scores(y_true, predicted)
    finite = np.isfinite(probability)
    pr_auc = (
        float(average_precision_score(y_true[finite], probability[finite]))
        if np.unique(y_true[finite]).size == 2
        else np.nan
    )
    record = {"precision": precision, "recall": recall, "f1": f1, "pr_auc": pr_auc}
    record.update(bout_scores(y_true == 1, predicted, segment_starts))
    return record


def _check_candidates(candidates: Sequence[Candidate], behavior: str) -> np.ndarray:
    reference = candidates[0].trainset
    rows = reference.scored_rows(behavior)
    for candidate in candidates[1:]:
        other = candidate.trainset
        if not (np.array_equal(other.frame, reference.frame) and np.array_equal(other.session, reference.session)):
            raise SchemaError(f"candidate {candidate.name!r} has other rows than {candidates[0].name!r}")
        if not np.array_equal(other.scored_rows(behavior), rows):
            raise SchemaError(f"candidate {candidate.name!r} has other labels than {candidates[0].name!r}")
    return rows


def evaluate_behavior(
    candidates: Candidate | Sequence[Candidate],
    behavior: str,
    *,
    group_by: str = "session",
    n_splits: int | None = 5,
    inner_splits: int = 3,
    grid: SelectionGrid | None = None,
    sampling: Sampling | None = None,
    random_split: bool = True,
    learning_curve: Sequence[int] = (),
    permutation_repeats: int = 0,
    client=None,
    seed: int = 0,
) -> Evaluation:
    """Nested grouped cross-validation of one behavior.

    Parameters
    ----------
    candidates
        One or more candidates (same rows, other features or estimators); the inner folds pick one.
    behavior
        Behavior to evaluate.
    group_by
        ``"session"``, ``"subject"`` or ``"lab"``: rows of one group are never split.
    n_splits
        Outer folds (None: leave one group out).
    inner_splits
        Inner folds over the training groups, used to choose candidate and post-processing.
    grid
        Post-processing settings to choose from.
    sampling
        Training-row sampling (class balance, stride).
    random_split
        Also score a random-frame split of the first candidate (threshold 0.5, no
        post-processing), shown beside the grouped figure with a leakage warning.
    learning_curve
        Numbers of training sessions for a learning curve (empty: none).
    permutation_repeats
        Shuffles per feature for held-out permutation importance (0: impurity only).
    client
        Optional ``distributed.Client`` for the fits.
    seed
        Seed of fold assignment and subsets.

    Returns
    -------
    Evaluation
    """
    candidates = [candidates] if isinstance(candidates, Candidate) else list(candidates)
    sampling = sampling or Sampling()
    grid = grid or SelectionGrid()
    rows = _check_candidates(candidates, behavior)
    reference = candidates[0].trainset
    column = reference.behavior_index(behavior)
    y = reference.y[rows, column].astype(np.int8)
    groups = reference.groups(group_by)[rows]
    segment_starts = reference.segment_starts(rows)
    outer = group_folds(groups, n_splits, seed) if np.unique(groups).size > 1 else []
    _require_inner_groups(groups, outer, group_by, behavior)
    inner = [
        [(train[a], train[b]) for a, b in group_folds(groups[train], inner_splits, seed + 1)] for train, _ in outer
    ]
    calls, keys = [], []
    for c, candidate in enumerate(candidates):
        for o, (train, test) in enumerate(outer):
            for i, (inner_train, inner_test) in enumerate(inner[o]):
                calls.append((inner_train, inner_test, candidate.spec, sampling, 0))
                keys.append((c, o, i))
            calls.append((train, test, candidate.spec, sampling, permutation_repeats))
            keys.append((c, o, None))
    results = {}
    for c, candidate in enumerate(candidates):
        mine = [k for k in range(len(keys)) if keys[k][0] == c]
        shared = {"x": candidate.trainset.X[rows], "y": y}
        for k, result in zip(mine, run_tasks(fit_predict, [calls[k] for k in mine], client, shared), strict=True):
            results[keys[k]] = result

    fold_records = []
    probability = np.full(rows.size, np.nan)
    predicted = np.zeros(rows.size, dtype=bool)
    fold_of_row = np.zeros(rows.size, dtype=int)
    chosen: list[tuple[int, BoutSettings]] = []
    for o, (train, test) in enumerate(outer):
        best = None
        for c in range(len(candidates)):
            oof = np.full(rows.size, np.nan)
            for i, (_, inner_test) in enumerate(inner[o]):
                oof[inner_test] = results[(c, o, i)]["probability"]
            settings, scores = choose_settings(oof[train], y[train], reference.segment_starts(rows[train]), grid)
            inner_f1 = float(scores["f1"].max())
            if best is None or inner_f1 > best[0]:
                best = (inner_f1, c, settings)
        inner_f1, c, settings = best
        chosen.append((c, settings))
        test_probability = results[(c, o, None)]["probability"]
        test_starts = reference.segment_starts(rows[test])
        test_predicted = postprocess_segments(test_probability, test_starts, settings)
        probability[test], predicted[test], fold_of_row[test] = test_probability, test_predicted, o
        record = {
            "fold": o,
            "test_groups": ", ".join(map(str, pd.unique(groups[test]))),
            "n_test_frames": int(test.size),
            "candidate": candidates[c].name,
            "inner_f1": inner_f1,
            **settings.to_dict(),
        }
        record.update(frame_metrics(y[test], test_probability, test_predicted, test_starts))
        fold_records.append(record)
    folds = pd.DataFrame(fold_records)
    pooled = frame_metrics(y, probability, predicted, segment_starts)
    if pooled["f1"] < LOW_HELDOUT_F1:
        warnings.warn(
            f"{behavior}: held-out F1 {pooled['f1']:.2f} (precision {pooled['precision']:.2f}, recall "
            f"{pooled['recall']:.2f}) on unseen {group_by}s: the model barely finds this behavior and its bouts will "
            "be mostly wrong; more labelled bouts or other features may help",
            stacklevel=2,
        )

    heldout = pd.DataFrame(
        {
            "session": reference.session[rows],
            "subject": reference.subject[rows],
            "lab": reference.lab[rows],
            "frame": reference.frame[rows],
            "fold": fold_of_row,
            "y_true": y,
            "probability": probability,
            "predicted": predicted,
        }
    )
    main = Counter(c for c, _ in chosen).most_common(1)[0][0]
    main_results = [results[(main, o, None)] for o in range(len(outer))]
    importance = importance_table(
        candidates[main].trainset.feature_names,
        [result["impurity"] for result in main_results],
        [result["permutation"] for result in main_results if "permutation" in result],
    )
    curve = (
        _learning_curve(candidates, rows, y, outer, chosen, learning_curve, sampling, client, seed)
        if learning_curve
        else None
    )
    labs = reference.lab[rows]
    lab_table = (
        breakdown(y, predicted, probability, labs, what="lab", behavior=behavior)
        if np.all(labs != "") and np.unique(labs).size > 1
        else None
    )
    annotator_table = (
        annotator_breakdown(
            {a: labels[rows, column] for a, labels in reference.annotator_labels.items()},
            predicted,
            probability,
            behavior=behavior,
        )
        if len(reference.annotator_labels) > 1
        else None
    )
    finite = np.isfinite(probability)
    curve_precision, curve_recall, curve_threshold = precision_recall_curve(y[finite], probability[finite])
    pr_curve = pd.DataFrame(
        {"precision": curve_precision[:-1], "recall": curve_recall[:-1], "threshold": curve_threshold}
    )
    return Evaluation(
        behavior=behavior,
        group_by=group_by,
        folds=folds,
        pooled=pooled,
        heldout=heldout,
        random_split=(
            _random_split(candidates[0], rows, y, sampling, len(outer), client, seed)
            | {"grouped_f1_same_rule": frame_scores(y, probability >= 0.5)[2]}
            if random_split
            else None
        ),
        importance=importance,
        learning_curve=curve,
        lab_breakdown=lab_table,
        annotator_breakdown=annotator_table,
        pr_curve=pr_curve,
        confusion=confusion_matrix(y, predicted.astype(np.int8), labels=[0, 1]),
        feature_names=list(candidates[main].trainset.feature_names),
    )


def _random_split(
    candidate: Candidate, rows: np.ndarray, y: np.ndarray, sampling: Sampling, n_splits: int, client, seed: int
) -> dict:
    """Frame-level scores of a random-frame K-fold split (leaky; for contrast only)."""
    splits = list(KFold(n_splits=max(n_splits, 2), shuffle=True, random_state=seed).split(rows))
    shared = {"x": candidate.trainset.X[rows], "y": y}
    results = run_tasks(fit_predict, [(tr, te, candidate.spec, sampling, 0) for tr, te in splits], client, shared)
    probability = np.full(rows.size, np.nan)
    for (_, test), result in zip(splits, results, strict=True):
        probability[test] = result["probability"]
    precision, recall, f1 = frame_scores(y, probability >= 0.5)
    warnings.warn(LEAKAGE_WARNING, stacklevel=3)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "pr_auc": float(average_precision_score(y, probability)) if np.unique(y).size == 2 else np.nan,
        "warning": LEAKAGE_WARNING,
    }


def _learning_curve(
    candidates: Sequence[Candidate],
    rows: np.ndarray,
    y: np.ndarray,
    outer: list,
    chosen: list[tuple[int, BoutSettings]],
    sizes: Sequence[int],
    sampling: Sampling,
    client,
    seed: int,
) -> pd.DataFrame:
    """Held-out F1 when each outer fold trains on only ``n`` of its training sessions."""
    reference = candidates[0].trainset
    sessions = reference.session[rows]
    rng = np.random.default_rng(seed)
    calls, keys = {}, []
    for o, (train, test) in enumerate(outer):
        available = pd.unique(sessions[train])
        for n in sizes:
            if n > available.size:
                continue
            subset = rng.choice(available, size=n, replace=False)
            part = train[np.isin(sessions[train], subset)]
            if np.unique(y[part]).size < 2:
                continue
            calls.setdefault(chosen[o][0], []).append((part, test, candidates[chosen[o][0]].spec, sampling, 0))
            keys.append((chosen[o][0], o, n))
    results = {}
    for c, call_list in calls.items():
        shared = {"x": candidates[c].trainset.X[rows], "y": y}
        mine = [k for k in keys if k[0] == c]
        for key, result in zip(mine, run_tasks(fit_predict, call_list, client, shared), strict=True):
            results[key] = result
    records = []
    for c, o, n in keys:
        test = outer[o][1]
        predicted = postprocess_segments(
            results[(c, o, n)]["probability"], reference.segment_starts(rows[test]), chosen[o][1]
        )
        records.append({"n_train_sessions": n, "fold": o, "f1": frame_scores(y[test], predicted)[2]})
    return pd.DataFrame(records, columns=["n_train_sessions", "fold", "f1"])
