"""Quantile binning of features before histogram gradient boosting.

scikit-learn (1.9 and later) computes a histogram gradient-boosting model's bin edges
from weighted percentiles whenever the fit has sample weights, and ``class_weight=
"balanced"`` always gives it some. Below 200,000 rows it then sorts every feature once
per bin edge, which made fits on behavior data (a few thousand labelled frames, a few
hundred features) 30 to 60 times slower than without weights. :class:`QuantileBins`
computes the unweighted edges once, as LightGBM and scikit-learn before 1.9 did, and
hands the model bin numbers; with at most ``max_bins`` distinct values per feature the
model's own binning keeps them as they are, and class weights still weight the loss.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

MAX_BINS = 255


class QuantileBins(TransformerMixin, BaseEstimator):
    """Replace each feature value by its quantile bin number (NaN stays NaN).

    Parameters
    ----------
    max_bins
        Most bins per feature (a histogram gradient-boosting model's ``max_bins``).

    Attributes
    ----------
    thresholds_
        Per feature, the increasing bin edges: a value ``v`` falls in bin ``i`` when
        ``thresholds_[i - 1] < v <= thresholds_[i]``.
    n_features_in_
        Number of features seen in ``fit``.
    """

    def __init__(self, max_bins: int = MAX_BINS) -> None:
        self.max_bins = max_bins

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> QuantileBins:
        """Find each feature's bin edges from its finite values.

        A feature with at most ``max_bins`` distinct values gets the midpoints between
        them; another gets the ``max_bins - 1`` interior quantiles (averaged inverted CDF).
        """
        x = np.asarray(x, dtype=np.float64)
        self.thresholds_ = [_edges(column[np.isfinite(column)], self.max_bins) for column in x.T]
        self.n_features_in_ = x.shape[1]
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Bin numbers (float32, NaN where the value is NaN) of ``x`` (row, feature)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.n_features_in_:
            raise ValueError(f"expected (rows, {self.n_features_in_}) features, got shape {x.shape}")
        binned = np.empty(x.shape, dtype=np.float32)
        for feature, edges in enumerate(self.thresholds_):
            column = x[:, feature]
            binned[:, feature] = np.where(np.isnan(column), np.nan, np.searchsorted(edges, column, side="left"))
        return binned


def _edges(values: np.ndarray, max_bins: int) -> np.ndarray:
    distinct = np.unique(values)
    if distinct.size <= max_bins:
        return (distinct[:-1] + distinct[1:]) / 2.0
    percentiles = np.linspace(0, 100, max_bins + 1)[1:-1]
    return np.unique(np.percentile(values, percentiles, method="averaged_inverted_cdf"))
