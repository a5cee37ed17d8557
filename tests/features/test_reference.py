"""Hand-checkable reference values: two animals on known trajectories.

At 10 fps with 2 px/mm: animal 1 is a 40 x 20 px rectangle of keypoints (nose at the
front) moving along +x at 30 px/frame = 150 mm/s, heading 0; animal 2 stands still at
(400, 100) px facing +y (down on screen).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from etholake.features import compute_features
from etholake.features.body import convex_hull
from etholake.schema import make_pose_dataset

FPS, PX_PER_MM, N = 10.0, 2.0, 12
KEYPOINTS = ["nose", "left", "right", "centroid", "tail_base"]
SPEC = {
    "featureset_version": 1,
    "name": "reference",
    "version": "1",
    "roles": {"nose": ["nose"], "centroid": ["centroid"], "tail_base": ["tail_base"]},
    "families": {
        "kinematics": {"keypoints": ["nose", "centroid"], "acceleration": True, "difference": "central"},
        "body": {
            "distances": [["left", "right"]],
            "hull": True,
            "heading": True,
            "angular_velocity": True,
            "bends": [["tail_base", "centroid", "nose"]],
        },
        "social": {"distances": [["nose", "nose"], ["nose", "tail_base"]], "egocentric": ["nose"]},
        "arena": {"wall_distance": ["centroid"]},
        "quality": {"thresholds": [0.5]},
    },
    "identity": {"symmetric_stats": ["min", "max", "mean"]},
    "windows": [
        {
            "select": ["a1.speed.centroid", "pair.dist.nose-nose"],
            "windows_ms": [500],
            "stats": ["mean", "std", "min", "max", "median", "integral", "change"],
        }
    ],
}


def two_animals() -> xr.Dataset:
    frames = np.arange(N)
    #                   nose      left       right     centroid   tail_base   (dx, dy) from the centre
    layout_1 = np.array([[20, 0], [-20, -10], [-20, 10], [0, 0], [-20, 0]], dtype=float)
    layout_2 = np.array([[0, 20], [10, -20], [-10, -20], [0, 0], [0, -20]], dtype=float)
    position = np.zeros((N, 2, len(KEYPOINTS), 2))
    position[:, 0, :, 0] = 100 + 30 * frames[:, None] + layout_1[:, 0]
    position[:, 1, :, 0] = 100 + layout_1[:, 1]
    position[:, 0, :, 1] = 400 + layout_2[:, 0]
    position[:, 1, :, 1] = 100 + layout_2[:, 1]
    confidence = np.full((N, len(KEYPOINTS), 2), 0.9)
    confidence[:, 1, 1] = 0.2
    return make_pose_dataset(position, keypoints=KEYPOINTS, individuals=["one", "two"], confidence=confidence, fps=FPS)


@pytest.fixture(scope="module")
def features():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = compute_features(two_animals(), SPEC, px_per_mm=PX_PER_MM, arena_bounds_px=(0, 0, 1000, 300))
    return dataset["features"].to_pandas()


FRAME = 5
NOSE_1_X = 100 + 30 * FRAME + 20


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("a1.speed.nose", 150.0),
        ("a1.speed.centroid", 150.0),
        ("a2.speed.centroid", 0.0),
        ("a1.accel.nose", 0.0),
        ("a1.body_length", 20.0),
        ("a2.body_length", 20.0),
        ("a1.dist.left-right", 10.0),
        ("a1.hull_area", 40 * 20 / 2 / PX_PER_MM**2),
        ("a1.hull_perimeter", (20 + 2 * np.hypot(40, 10)) / PX_PER_MM),
        ("a1.heading", 0.0),
        ("a2.heading", np.pi / 2),
        ("a1.angular_velocity", 0.0),
        ("a1.bend.tail_base-centroid-nose", 0.0),
        ("a1>a2.dist.nose-nose", np.hypot(400 - NOSE_1_X, 120 - 100) / PX_PER_MM),
        ("a1>a2.dist.nose-tail_base", np.hypot(400 - NOSE_1_X, 80 - 100) / PX_PER_MM),
        ("a2>a1.dist.nose-tail_base", np.hypot(400 - (NOSE_1_X - 40), 120 - 100) / PX_PER_MM),
        ("a1>a2.distance_rate", -150.0),
        ("a1>a2.approach_speed", 150.0),
        ("a2>a1.approach_speed", 0.0),
        ("a1>a2.facing_angle", 0.0),
        ("a2>a1.facing_angle", np.pi / 2),
        ("a1>a2.relative_heading", np.pi / 2),
        ("a1>a2.ego.nose.x", (400 - (100 + 30 * FRAME)) / PX_PER_MM),
        ("a1>a2.ego.nose.y", -20 / PX_PER_MM),
        ("a2>a1.ego.nose.x", 0.0),
        ("a2>a1.ego.nose.y", (NOSE_1_X - 400) / PX_PER_MM),
        ("a1.wall_distance.centroid", 100 / PX_PER_MM),
        ("a2.wall_distance.centroid", 100 / PX_PER_MM),
        ("a1.confidence_mean", 0.9),
        ("a2.confidence_mean", (4 * 0.9 + 0.2) / 5),
        ("a2.low_confidence.0.5", 1.0),
        ("frame.low_confidence.0.5", 1.0),
        ("all.speed.centroid.max", 150.0),
        ("all.speed.centroid.min", 0.0),
        ("all.speed.centroid.mean", 75.0),
        ("pair.dist.nose-nose", np.hypot(400 - NOSE_1_X, 20) / PX_PER_MM),
        ("pair.facing_angle.max", np.pi / 2),
        ("a1.speed.centroid.mean_500ms", 150.0),
        ("a1.speed.centroid.std_500ms", 0.0),
        ("a1.speed.centroid.integral_500ms", 75.0),
        ("a1.speed.centroid.change_500ms", 0.0),
    ],
)
def test_reference_value(features, feature, expected):
    assert features[feature].iloc[FRAME] == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_window_statistics_of_a_changing_distance(features):
    distance = np.hypot(400 - (100 + 30 * np.arange(N) + 20), 20) / PX_PER_MM
    window = distance[FRAME - 2 : FRAME + 3]
    for stat, expected in [
        ("mean", window.mean()),
        ("std", window.std()),
        ("min", window.min()),
        ("max", window.max()),
        ("median", np.median(window)),
        ("change", window[-1] - window[0]),
    ]:
        assert features[f"pair.dist.nose-nose.{stat}_500ms"].iloc[FRAME] == pytest.approx(expected, rel=1e-5), stat


def test_edges_are_nan_not_zero(features):
    assert np.isnan(features["a1.speed.nose"].iloc[0])
    assert np.isnan(features["a1.speed.nose"].iloc[-1])
    assert np.isnan(features["a1.accel.nose"].iloc[0])


@pytest.mark.parametrize(
    ("points", "area", "perimeter"),
    [
        ([(0, 0), (4, 0), (4, 3), (0, 3), (2, 1)], 12.0, 14.0),
        ([(0, 0), (1, 1), (2, 2), (3, 3)], 0.0, 2 * np.hypot(3, 3)),
        ([(0, 0), (2, 0), (1, 0), (1, 2), (1, 2)], 2.0, 2 + 2 * np.hypot(1, 2)),
        ([(5, 5), (5, 5), (5, 5)], 0.0, 0.0),
    ],
)
def test_convex_hull_is_a_real_area(points, area, perimeter):
    coordinates = np.array(points, dtype=np.float32)
    result_area, result_perimeter = convex_hull(coordinates[:, 0, None], coordinates[:, 1, None])
    assert result_area[0] == pytest.approx(area, abs=1e-5)
    assert result_perimeter[0] == pytest.approx(perimeter, rel=1e-5)


def test_hull_is_nan_when_a_keypoint_is_missing():
    coordinates = np.array([(0, 0), (4, 0), (np.nan, np.nan), (0, 3)], dtype=np.float32)
    area, perimeter = convex_hull(coordinates[:, 0, None], coordinates[:, 1, None])
    assert np.isnan(area[0]) and np.isnan(perimeter[0])
