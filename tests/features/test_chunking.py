"""Chunked (dask) features equal unchunked features bitwise, whatever the chunk boundaries."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from feature_poses import random_pose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etholake.features import compute_features, load_spec, make_plan
from etholake.features.engine import merge_small_chunks

EVERYTHING = {
    "featureset_version": 1,
    "name": "everything",
    "version": "1",
    "preprocess": {
        "confidence_threshold": 0.05,
        "outliers": {"k": 1.0, "window_ms": 170, "body_length_window_ms": 400},
        "interpolate_max_gap_ms": 100,
        "smooth": {"method": "savgol", "window_ms": 170, "polyorder": 2},
    },
    "families": {
        "kinematics": {"keypoints": "all", "acceleration": True, "difference": "central"},
        "body": {
            "distances": [["nose", "tail_base"], ["left_ear", "right_ear"]],
            "distance_stats": True,
            "hull": True,
            "heading": True,
            "angular_velocity": True,
            "bends": [["tail_base", "centroid", "nose"]],
        },
        "social": {"distances": [["nose", "nose"], ["nose", "tail_base"]], "egocentric": ["nose"]},
        "arena": {"wall_distance": ["centroid"]},
        "quality": {"thresholds": [0.1, 0.5]},
    },
    "identity": {"individual_features": True, "symmetric_stats": ["min", "max", "mean"]},
    "scale_free": {"select": ["pair.dist.*", "all.speed.*"], "body_length_window_ms": 300},
    "windows": [
        {
            "select": ["*"],
            "windows_ms": [100, 330],
            "stats": ["mean", "std", "min", "max", "median", "integral", "change"],
        },
        {
            "select": ["pair.*", "a1.speed.nose"],
            "windows_ms": [70, 270],
            "stats": ["mean", "median", "change"],
            "alignment": "causal",
            "min_coverage": 0.0,
        },
    ],
}
MEDIAN_SMOOTHING = {**EVERYTHING, "preprocess": {"smooth": {"method": "median", "window_ms": 170}}}


def chunked(pose, boundaries):
    sizes = np.diff(np.concatenate([[0], boundaries, [pose.sizes["time"]]])).tolist()
    return pose.chunk({"time": tuple(int(s) for s in sizes if s > 0)})


def assert_bitwise_equal(left, right):
    a, b = np.asarray(left), np.asarray(right)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    assert same.all(), f"{(~same).sum()} values differ, first at {np.argwhere(~same)[0]}"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    missing=st.sampled_from([0.0, 0.05, 0.3]),
    cuts=st.lists(st.integers(1, 899), min_size=1, max_size=6, unique=True),
    spec=st.sampled_from([EVERYTHING, MEDIAN_SMOOTHING]),
)
def test_chunked_equals_unchunked_bitwise(seed, missing, cuts, spec):
    pose = random_pose(900, seed=seed, missing=missing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = compute_features(pose, spec, px_per_mm=2.5, arena_bounds_px=(0, 0, 640, 480))
        pieces = compute_features(chunked(pose, sorted(cuts)), spec, px_per_mm=2.5, arena_bounds_px=(0, 0, 640, 480))
    assert pieces["features"].chunks is not None
    assert_bitwise_equal(whole["features"].values, pieces["features"].values)


def test_chunks_really_split_the_session():
    pose = random_pose(900)
    plan = make_plan(pose, load_spec(EVERYTHING))
    chunks = merge_small_chunks((300, 300, 300), plan.depth)
    assert len(chunks) == 3, f"halo {plan.depth} frames would merge the test's chunks; the property test splits nothing"


@pytest.mark.parametrize("name", ["default", "simba", "jaaba"])
def test_builtin_sets_chunked_on_real_data(rat_pose, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = compute_features(rat_pose, name)
        pieces = compute_features(rat_pose.chunk({"time": 2500}), name)
    assert_bitwise_equal(whole["features"].values, pieces["features"].values)


@pytest.mark.parametrize(
    ("chunks", "minimum", "expected"),
    [((5, 5, 5), 3, (5, 5, 5)), ((2, 2, 9), 3, (4, 9)), ((9, 1), 3, (10,)), ((1,), 3, (1,))],
)
def test_merge_small_chunks(chunks, minimum, expected):
    assert merge_small_chunks(chunks, minimum) == expected
