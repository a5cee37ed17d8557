"""Is the ``default`` feature set at least as accurate as ``simba``? Leave-videos-out on the 16 rat videos.

For each feature set separately, the same nested evaluation: random forest (the
project's default estimator), outer folds hold out whole videos, and smoothing,
threshold, merge gap and minimum bout are chosen by inner grouped CV on the training
videos only. The held-out videos are touched once. Prints, for aggression and each set,
pooled and per-fold F1 (at the threshold chosen by inner CV) and threshold-free PR-AUC,
their per-fold differences (same folds for both sets), and the feature counts.

    .venv/bin/python bench/feature_sets.py [--outer 4] [--inner 2] [--stride 4] [--sets default simba]
"""

from __future__ import annotations

import argparse
import time
import warnings

from rat_aggression import evaluate_aggression, load_sessions, video_ids

from etholake.models.estimators import EstimatorSpec
from etholake.models.evaluation import Candidate
from etholake.models.trainset import build_training_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outer", type=int, default=4, help="outer folds (videos held out together)")
    parser.add_argument("--inner", type=int, default=2, help="inner folds over the training videos")
    parser.add_argument("--stride", type=int, default=4, help="keep every n-th training frame per class")
    parser.add_argument("--sets", nargs="+", default=["default", "simba"], help="built-in feature sets to compare")
    args = parser.parse_args()

    start = time.perf_counter()
    videos = video_ids()
    sessions = load_sessions({name: name for name in args.sets}, videos)
    print(f"{len(videos)} videos; features of {len(args.sets)} sets in {time.perf_counter() - start:.0f} s")
    results = {}
    for name in args.sets:
        trainset = build_training_set(sessions[name], ["aggression"])
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            candidates = [Candidate(f"{name}+forest", trainset, EstimatorSpec("random_forest"))]
            evaluation = evaluate_aggression(candidates, args, random_split=False)
        results[name] = evaluation
        pooled = evaluation.pooled
        print(
            f"{name:>8}: {len(trainset.feature_names)} features; leave-videos-out F1 {pooled['f1']:.3f} "
            f"(precision {pooled['precision']:.3f}, recall {pooled['recall']:.3f}, PR-AUC {pooled['pr_auc']:.3f}); "
            f"per fold F1 {', '.join(f'{f:.3f}' for f in evaluation.folds['f1'])}, "
            f"PR-AUC {', '.join(f'{f:.3f}' for f in evaluation.folds['pr_auc'])} "
            f"[{time.perf_counter() - start:.0f} s]"
        )
    first, *others = args.sets
    for other in others:
        for metric, label in (("f1", "F1"), ("pr_auc", "PR-AUC")):
            differences = results[first].folds[metric].to_numpy() - results[other].folds[metric].to_numpy()
            print(
                f"{first} - {other}: pooled {label} "
                f"{results[first].pooled[metric] - results[other].pooled[metric]:+.3f}; "
                f"per fold {', '.join(f'{d:+.3f}' for d in differences)} "
                f"({(differences >= 0).sum()} of {differences.size} folds at least as good)"
            )


if __name__ == "__main__":
    main()
