"""Training the model that gets registered: post-processing chosen by grouped CV, then one fit on all groups."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from sklearn.base import ClassifierMixin

from etholake.inference.bouts import BoutSettings
from etholake.models.bundle import ModelBundle
from etholake.models.estimators import EstimatorSpec, fit_estimator
from etholake.models.evaluation import fit_predict, group_folds, run_tasks
from etholake.models.selection import SelectionGrid, choose_settings
from etholake.models.trainset import Sampling, TrainingSet, sample_rows


def fit_rows(
    x: np.ndarray, y: np.ndarray, train: np.ndarray, spec: EstimatorSpec, sampling: Sampling
) -> ClassifierMixin:
    """Fit ``spec`` on rows ``train`` (after sampling) and return the estimator."""
    rows = train[sample_rows(y[train], sampling)]
    return fit_estimator(spec, x[rows], y[rows])


def train_model(
    trainset: TrainingSet,
    *,
    name: str,
    behaviors: Sequence[str] | None = None,
    spec: EstimatorSpec | None = None,
    sampling: Sampling | None = None,
    group_by: str = "session",
    inner_splits: int | None = 3,
    grid: SelectionGrid | None = None,
    metrics: dict | None = None,
    client=None,
    created_by: str | None = None,
) -> ModelBundle:
    """Fit one classifier per behavior on every row and choose its post-processing by grouped CV.

    Parameters
    ----------
    trainset
        The training rows.
    name
        Model name.
    behaviors
        Behaviors to model (default: all of the training set).
    spec, sampling
        Estimator spec and training-row sampling.
    group_by
        Grouping of the cross-validation that chooses the post-processing.
    inner_splits
        Folds of that cross-validation; None skips it and keeps :class:`BoutSettings` defaults.
    grid
        Post-processing candidates.
    metrics
        Held-out figures to record (for example ``Evaluation.summary()`` per behavior).
    client
        Optional ``distributed.Client``; each fit is one task.
    created_by
        Recorded author (default: the current user).

    Returns
    -------
    ModelBundle
    """
    spec = spec or EstimatorSpec()
    sampling = sampling or Sampling()
    behaviors = list(behaviors or trainset.behaviors)
    estimators, settings = {}, {}
    for behavior in behaviors:
        rows = trainset.scored_rows(behavior)
        y = trainset.y[rows, trainset.behavior_index(behavior)].astype(np.int8)
        shared = {"x": trainset.X[rows], "y": y}
        folds = [] if inner_splits is None else group_folds(trainset.groups(group_by)[rows], inner_splits)
        probability_calls = [(train, test, spec, sampling, 0) for train, test in folds]
        results = run_tasks(fit_predict, probability_calls, client, shared)
        estimators[behavior] = run_tasks(fit_rows, [(np.arange(rows.size), spec, sampling)], client, shared)[0]
        if folds:
            oof = np.full(rows.size, np.nan)
            for (_, test), result in zip(folds, results, strict=True):
                oof[test] = result["probability"]
            settings[behavior] = choose_settings(oof, y, trainset.segment_starts(rows), grid)[0]
        else:
            settings[behavior] = BoutSettings()
    fps_values = {f for f in trainset.fps.values() if f}
    return ModelBundle(
        name=name,
        behaviors=behaviors,
        estimators=estimators,
        feature_names=list(trainset.feature_names),
        feature_set_hash=trainset.feature_set_hash,
        settings=settings,
        spec=spec,
        training={**trainset.describe(), "sampling": sampling.to_dict(), "group_by": group_by},
        metrics=dict(metrics or {}),
        fps=fps_values.pop() if len(fps_values) == 1 else None,
        created_by=created_by if created_by is not None else getpass.getuser(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
