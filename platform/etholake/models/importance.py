"""Feature importance: impurity (from the fitted trees) and permutation (on held-out groups)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.inspection import permutation_importance


def impurity_importance(estimator: ClassifierMixin, n_features: int) -> np.ndarray:
    """Mean decrease in impurity per feature; NaN for estimators that do not expose it."""
    values = getattr(estimator, "feature_importances_", None)
    return np.full(n_features, np.nan) if values is None else np.asarray(values, dtype=np.float64)


def heldout_permutation_importance(
    estimator: ClassifierMixin,
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_repeats: int = 3,
    max_rows: int = 5000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Drop in average precision when each feature is shuffled, on held-out rows.

    Parameters
    ----------
    estimator
        A classifier fitted on other groups than those of ``x``.
    x, y
        Held-out rows (row, feature) and their 0/1 labels.
    n_repeats
        Shuffles per feature.
    max_rows
        At most this many rows are used (a seeded random subset), to bound the cost.
    seed
        Seed of the subset and the shuffles.

    Returns
    -------
    mean, std : numpy.ndarray
        Importance per feature (NaN when ``y`` holds a single class).
    """
    y = np.asarray(y)
    if np.unique(y).size < 2:
        nan = np.full(x.shape[1], np.nan)
        return nan, nan.copy()
    rng = np.random.default_rng(seed)
    if y.size > max_rows:
        subset = np.sort(rng.choice(y.size, size=max_rows, replace=False))
        x, y = x[subset], y[subset]
    result = permutation_importance(
        estimator, x, y, scoring="average_precision", n_repeats=n_repeats, random_state=seed, n_jobs=1
    )
    return result.importances_mean, result.importances_std


def importance_table(
    feature_names: Sequence[str], impurity: Sequence[np.ndarray], permutation: Sequence[np.ndarray]
) -> pd.DataFrame:
    """Average fold importances into one table sorted by permutation (then impurity) importance.

    Parameters
    ----------
    feature_names
        Names of the features.
    impurity, permutation
        One array per fold (permutation may be empty).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``impurity``, ``impurity_std``, ``permutation``, ``permutation_std``.
    """
    n = len(feature_names)

    def stack(arrays: Sequence[np.ndarray]) -> np.ndarray:
        return np.vstack(arrays) if len(arrays) else np.full((1, n), np.nan)

    imp, perm = stack(impurity), stack(permutation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = pd.DataFrame(
            {
                "feature": list(feature_names),
                "impurity": np.nanmean(imp, axis=0),
                "impurity_std": np.nanstd(imp, axis=0),
                "permutation": np.nanmean(perm, axis=0),
                "permutation_std": np.nanstd(perm, axis=0),
            }
        )
    return table.sort_values(["permutation", "impurity"], ascending=False, na_position="last").reset_index(drop=True)
