"""Estimator specs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.pipeline import Pipeline

from etholake.models.estimators import EstimatorSpec, fit_estimator, make_estimator, positive_probability


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("random_forest", RandomForestClassifier), ("hist_gradient_boosting", HistGradientBoostingClassifier)],
)
def test_spec_builds_the_estimator(kind, cls):
    spec = EstimatorSpec(kind, {"random_state": 3})
    estimator = make_estimator(spec)
    model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    assert isinstance(model, cls)
    assert model.get_params()["class_weight"] == "balanced"
    assert isinstance(estimator, Pipeline) == (kind == "hist_gradient_boosting")
    assert EstimatorSpec.from_dict(spec.to_dict()).resolved_params() == spec.resolved_params()


@pytest.mark.parametrize(("kind", "params"), [("svm", {}), ("random_forest", {"max_iter": 3})])
def test_bad_specs_are_refused(kind, params):
    with pytest.raises(ValueError):
        EstimatorSpec(kind, params)


def test_missing_values_and_single_class():
    x = np.random.default_rng(0).normal(size=(200, 3))
    x[::4, 0] = np.nan
    y = (np.nan_to_num(x[:, 1]) > 0).astype(np.int8)
    for kind in ("random_forest", "hist_gradient_boosting"):
        estimator = fit_estimator(EstimatorSpec(kind, {"random_state": 0}), x, y)
        assert np.all(np.isfinite(positive_probability(estimator, x)))
    only_negative = fit_estimator(EstimatorSpec(), x, np.zeros(200, dtype=np.int8))
    assert np.all(positive_probability(only_negative, x) == 0)


@pytest.mark.parametrize("order", ["C", "F"])
def test_forest_probability_equals_scikit_learn_with_missing_values(order):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3000, 40)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 5]) > 0.2).astype(np.int8)
    forest = fit_estimator(EstimatorSpec("random_forest", {"n_estimators": 20, "n_jobs": 1}), x, y)
    expected = forest.predict_proba(x)[:, 1]
    np.testing.assert_array_equal(positive_probability(forest, np.asarray(x, order=order)), expected)
    with pytest.raises(ValueError, match="expected"):
        positive_probability(forest, x[:, :39])
