"""Quantile binning in front of histogram gradient boosting."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper

from etholake.models.binning import QuantileBins
from etholake.models.estimators import EstimatorSpec, fit_estimator, positive_probability


@pytest.fixture(scope="module")
def features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.normal(size=4000), rng.exponential(size=4000), rng.integers(0, 5, 4000)])
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 2]) + rng.normal(size=4000) > 2.5).astype(np.int8)
    return x, y


def test_bins_are_the_unweighted_bins_of_scikit_learn(features):
    x, _ = features
    bins = QuantileBins().fit(x)
    reference = _BinMapper(n_bins=256, subsample=None).fit(x)
    for edges, expected in zip(bins.thresholds_, reference.bin_thresholds_, strict=True):
        np.testing.assert_allclose(edges, expected)
    binned = bins.transform(x)
    np.testing.assert_array_equal(np.isnan(binned), np.isnan(x))
    assert binned[:, 2][~np.isnan(x[:, 2])].tolist() == x[:, 2][~np.isnan(x[:, 2])].tolist()
    assert all(np.unique(binned[:, f][~np.isnan(binned[:, f])]).size <= 255 for f in range(3))
    with pytest.raises(ValueError, match=r"expected \(rows, 3\) features"):
        bins.transform(x[:, :2])


def test_binned_boosting_predicts_what_unweighted_boosting_does_on_the_same_bins(features):
    x, y = features
    spec = EstimatorSpec("hist_gradient_boosting", {"max_iter": 30, "random_state": 0, "class_weight": None})
    binned = fit_estimator(spec, x, y)
    plain = HistGradientBoostingClassifier(**spec.resolved_params()).fit(x, y)
    np.testing.assert_allclose(positive_probability(binned, x), plain.predict_proba(x)[:, 1], rtol=1e-6, atol=1e-9)
