"""Fit time of class-balanced histogram gradient boosting, with and without etholake's quantile bins.

Data: the 16 real rat videos (context features, Caltech aggression labels). The first 12
videos train, the last 4 are held out. Both fits use the same estimator parameters and
``class_weight="balanced"``; the baseline is scikit-learn's ``HistGradientBoostingClassifier``
alone, which (scikit-learn 1.9 and later) bins every feature by weighted percentiles when
it has sample weights. Printed: fit seconds of each, their ratio, and held-out average
precision of each (the bins change the edges, not the model's quality).

    .venv/bin/python bench/hgb_binning.py [--rows 20000] [--max-iter 100]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from rat_aggression import context_spec, load_sessions, video_ids
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score

from etholake.models.estimators import EstimatorSpec, fit_estimator, positive_probability
from etholake.models.trainset import build_training_set

HELD_OUT_VIDEOS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="training rows (a seeded random subset)")
    parser.add_argument("--max-iter", type=int, default=100, help="boosting iterations")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)

    sessions = load_sessions({"context": context_spec()}, video_ids())["context"]
    train = build_training_set(sessions[:-HELD_OUT_VIDEOS], ["aggression"])
    test = build_training_set(sessions[-HELD_OUT_VIDEOS:], ["aggression"])
    rows = np.random.default_rng(0).choice(train.n_rows, size=min(args.rows, train.n_rows), replace=False)
    x, y = train.X[rows], train.y[rows, 0]
    spec = EstimatorSpec("hist_gradient_boosting", {"max_iter": args.max_iter})
    print(f"{x.shape[0]:,} training rows x {x.shape[1]} features ({int(y.sum()):,} positive); {test.n_rows:,} held out")

    start = time.perf_counter()
    baseline = HistGradientBoostingClassifier(**spec.resolved_params()).fit(x, y)
    baseline_seconds = time.perf_counter() - start
    start = time.perf_counter()
    binned = fit_estimator(spec, x, y)
    binned_seconds = time.perf_counter() - start

    baseline_ap = average_precision_score(test.y[:, 0], baseline.predict_proba(test.X)[:, 1])
    binned_ap = average_precision_score(test.y[:, 0], positive_probability(binned, test.X))
    print(f"scikit-learn alone (weighted binning): {baseline_seconds:.1f} s, held-out AP {baseline_ap:.3f}")
    print(f"etholake (QuantileBins + the same model): {binned_seconds:.1f} s, held-out AP {binned_ap:.3f}")
    print(f"ratio: {baseline_seconds / binned_seconds:.1f}x faster")


if __name__ == "__main__":
    main()
