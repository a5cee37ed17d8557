"""Reduced rat-dyad aggression experiment on real files (bench/rat_aggression.py runs all 16 videos)."""

from __future__ import annotations

import warnings

from etholake.features import compute_features, load_spec
from etholake.io.dlc import read_dlc_csv
from etholake.io.labels.caltech import read_caltech
from etholake.models.estimators import EstimatorSpec
from etholake.models.evaluation import Candidate, evaluate_behavior
from etholake.models.selection import SelectionGrid
from etholake.models.trainset import Sampling, SessionData, build_training_set

VIDEOS = ("1", "5", "24", "53")
POSE_SUFFIX = "DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv"


def symmetric_context_spec():
    """SimBA's families, identity-swap robust (symmetric stats), with centred context windows."""
    spec = load_spec("simba")
    return spec.replace(
        name="rat-context-test",
        identity={"individual_features": False, "symmetric_stats": ["min", "max", "mean"]},
        windows=[
            {
                "select": ["pair.*", "all.speed.*"],
                "windows_ms": [1000, 3000],
                "stats": ["mean", "std"],
                "alignment": "centred",
                "min_coverage": 0.3,
            }
        ],
    )


def test_leave_videos_out_aggression(shared_data):
    spec = symmetric_context_spec()
    sessions = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for video in VIDEOS:
            pose = read_dlc_csv(shared_data(f"rat_dyad/pose/{video}{POSE_SUFFIX}"), fps=30.0)
            labels = read_caltech(
                shared_data(f"rat_dyad/labels/{video}_annot.txt"),
                stream="S1",
                fps=30.0,
                n_frames=pose.sizes["time"],
                behaviors=["aggression", "social", "nonsocial"],
                window_stream="S1",
                clip=True,
            )
            sessions.append(SessionData(f"rat{video}", compute_features(pose, spec).compute(), [labels]))
        trainset = build_training_set(sessions, ["aggression"])
        evaluation = evaluate_behavior(
            Candidate("context+forest", trainset, EstimatorSpec("random_forest", {"n_estimators": 40})),
            "aggression",
            n_splits=2,
            inner_splits=2,
            grid=SelectionGrid(thresholds=(0.3, 0.4, 0.5, 0.6), smooths=(1, 15), merge_gaps=(0, 30), min_bouts=(1, 20)),
            sampling=Sampling(stride=4),
        )
    assert trainset.n_rows == 48_000
    assert set(evaluation.folds["test_groups"].str.split(", ").sum()) == {f"rat{v}" for v in VIDEOS}
    assert evaluation.pooled["f1"] > 0.45
    assert evaluation.random_split["f1"] > evaluation.pooled["f1"]
