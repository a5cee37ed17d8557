"""Estimator specs: a JSON-ready description turned into a scikit-learn classifier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.pipeline import Pipeline

from etholake.errors import OptionError
from etholake.models.binning import MAX_BINS, QuantileBins

ESTIMATOR_KINDS = {
    "random_forest": RandomForestClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
}

DEFAULT_PARAMS: dict[str, dict] = {
    "random_forest": {
        "n_estimators": 100,
        "max_features": "sqrt",
        "min_samples_leaf": 5,
        "max_samples": 0.2,
        "n_jobs": -1,
    },
    "hist_gradient_boosting": {
        "max_iter": 200,
        "learning_rate": 0.1,
        "max_leaf_nodes": 31,
        "min_samples_leaf": 40,
        "l2_regularization": 1.0,
        "early_stopping": False,
    },
}


@dataclass(frozen=True)
class EstimatorSpec:
    """What to fit for each behavior.

    Attributes
    ----------
    kind
        ``"random_forest"`` (default) or ``"hist_gradient_boosting"``.
    params
        Hyper-parameters overriding :data:`DEFAULT_PARAMS` for ``kind``.
    class_weight
        ``"balanced"`` to weight classes inversely to their frequency, or None.
    random_state
        Seed of the estimator.
    """

    kind: str = "random_forest"
    params: Mapping = field(default_factory=dict)
    class_weight: str | None = "balanced"
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ESTIMATOR_KINDS:
            raise OptionError(f"estimator kind must be one of {', '.join(ESTIMATOR_KINDS)}, got {self.kind!r}")
        allowed = set(ESTIMATOR_KINDS[self.kind]().get_params())
        unknown = sorted(set(self.params) - allowed)
        if unknown:
            raise OptionError(f"unknown {self.kind} parameter(s): {', '.join(unknown)}")

    def resolved_params(self) -> dict:
        """Every parameter the estimator is built with."""
        params = {**DEFAULT_PARAMS[self.kind], **dict(self.params)}
        params.setdefault("random_state", self.random_state)
        params.setdefault("class_weight", self.class_weight)
        return params

    def to_dict(self) -> dict:
        """JSON-ready record (with the defaults filled in)."""
        return {"kind": self.kind, "params": self.resolved_params()}

    @classmethod
    def from_dict(cls, record: Mapping) -> EstimatorSpec:
        """Inverse of :meth:`to_dict`."""
        params = dict(record.get("params", {}))
        class_weight = params.pop("class_weight", "balanced")
        random_state = params.pop("random_state", 0)
        return cls(record.get("kind", "random_forest"), params, class_weight, random_state)


def make_estimator(spec: EstimatorSpec) -> ClassifierMixin:
    """Build the unfitted scikit-learn classifier described by ``spec``.

    A histogram gradient-boosting model comes behind :class:`~etholake.models.binning.QuantileBins`
    (as a two-step pipeline), which finds its bin edges without the class weights.
    """
    params = spec.resolved_params()
    estimator = ESTIMATOR_KINDS[spec.kind](**params)
    if spec.kind != "hist_gradient_boosting":
        return estimator
    return Pipeline([("bins", QuantileBins(max_bins=params.get("max_bins", MAX_BINS))), ("model", estimator)])


def fit_estimator(spec: EstimatorSpec, x: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    """Fit a classifier of ``spec`` on features ``x`` (row, feature) and 0/1 targets ``y``."""
    estimator = make_estimator(spec)
    estimator.fit(x, np.asarray(y, dtype=np.int8))
    return estimator


def positive_probability(estimator: ClassifierMixin, x: np.ndarray) -> np.ndarray:
    """Probability of class 1 for each row (0 everywhere if the fit never saw a positive).

    A random forest's trees read ``x`` in column-major order: one tree visits the same
    few features for many rows in turn, which on wide feature tables is about 3x faster
    than row-major. They are averaged here as scikit-learn averages them on one thread
    (same values, same order), without its per-tree input checks.
    """
    classes = list(estimator.classes_)
    if 1 not in classes:
        return np.zeros(x.shape[0], dtype=np.float64)
    positive = classes.index(1)
    if not isinstance(estimator, RandomForestClassifier):
        return estimator.predict_proba(x)[:, positive].astype(np.float64)
    x = np.asfortranarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != estimator.n_features_in_:
        raise ValueError(f"expected (rows, {estimator.n_features_in_}) features, got shape {x.shape}")
    total = np.zeros((x.shape[0], len(classes)), dtype=np.float64)
    for tree in estimator.estimators_:
        total += tree.predict_proba(x, check_input=False)
    total /= len(estimator.estimators_)
    return total[:, positive]
