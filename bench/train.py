"""Time training on all 16 rat videos: features, post-processing chosen by grouped CV, final fit.

Baseline in the same process: SimBA's random forest (2000 trees, full bootstrap, min leaf 1)
on the same rows, timed on 100 trees and scaled to 2000 (fitting time is linear in trees).

    .venv/bin/python bench/train.py [--stride 4] [--inner 2]
"""

from __future__ import annotations

import argparse
import time
import warnings

from rat_aggression import context_spec, load_sessions, video_ids

from etholake.models.estimators import EstimatorSpec, fit_estimator
from etholake.models.training import train_model
from etholake.models.trainset import Sampling, build_training_set, sample_rows

SIMBA_TREES = 2000
BASELINE_TREES = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, default=4, help="keep every n-th training frame per class")
    parser.add_argument("--inner", type=int, default=2, help="grouped folds that choose the post-processing")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)

    start = time.perf_counter()
    videos = video_ids()
    sessions = load_sessions({"context": context_spec()}, videos)["context"]
    trainset = build_training_set(sessions, ["aggression"])
    load_seconds = time.perf_counter() - start
    n_frames = sum(s.features.sizes["time"] for s in sessions)
    print(
        f"{len(videos)} videos, {n_frames:,} frames ({trainset.n_rows:,} scored), {len(trainset.feature_names)} "
        f"features: read + features in {load_seconds:.1f} s"
    )

    sampling = Sampling(stride=args.stride)
    start, cpu_start = time.perf_counter(), time.process_time()
    bundle = train_model(trainset, name="rat-aggression", sampling=sampling, inner_splits=args.inner)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"train_model ({args.inner} grouped inner folds to choose post-processing + final fit, stride {args.stride}): "
        f"{train_seconds:.1f} s wall, {train_cpu:.1f} s CPU -> {bundle.settings['aggression']}"
    )

    y = trainset.y[:, 0]
    rows = sample_rows(y, sampling)
    start = time.perf_counter()
    fit_estimator(EstimatorSpec(), trainset.X[rows], y[rows])
    fit_seconds = time.perf_counter() - start
    print(f"final fit alone (default random forest, {rows.size:,} rows): {fit_seconds:.1f} s")

    simba = EstimatorSpec(
        "random_forest",
        {"n_estimators": BASELINE_TREES, "min_samples_leaf": 1, "max_samples": None, "max_features": "sqrt"},
        class_weight=None,
    )
    start = time.perf_counter()
    fit_estimator(simba, trainset.X, y)
    baseline_seconds = (time.perf_counter() - start) * SIMBA_TREES / BASELINE_TREES
    print(
        f"baseline SimBA forest ({SIMBA_TREES} trees, all {trainset.n_rows:,} rows, scaled from "
        f"{BASELINE_TREES}): {baseline_seconds:.0f} s"
    )
    total = load_seconds + train_seconds
    print(
        f"total read + features + train: {total:.1f} s (target < 60 s); "
        f"train_model is {baseline_seconds / train_seconds:.1f}x faster than the SimBA forest fit"
    )


if __name__ == "__main__":
    main()
