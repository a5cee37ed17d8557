"""compute_features: output conventions, units, animals, roles, missing data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from feature_poses import random_pose

from etholake.errors import SchemaError
from etholake.features import compute_features
from etholake.schema import make_pose_dataset

SMALL = {
    "featureset_version": 1,
    "name": "small",
    "version": "2",
    "families": {
        "kinematics": {"keypoints": ["nose"]},
        "body": {"hull": True},
        "social": {"distances": [["nose", "nose"]]},
    },
    "windows": [{"select": ["a1.speed.nose"], "windows_ms": [200], "stats": ["mean"]}],
}


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def test_output_conventions():
    pose = random_pose(120)
    features = quiet(compute_features, pose, SMALL, px_per_mm=4.0)
    data = features["features"]
    assert data.dims == ("time", "feature") and data.dtype == np.float32
    assert features["frame"].dtype == np.int64 and features["time"].dtype == np.float64
    for coord in ("feature", "feature_unit", "feature_family"):
        assert features[coord].dtype == object and features[coord].dims == ("feature",)
    assert features["feature_window_ms"].dtype == np.float64
    window = features.sel(feature="a1.speed.nose.mean_200ms")
    assert float(window["feature_window_ms"]) == 200.0
    assert window["feature_unit"].item() == "mm/s"
    assert window["feature_family"].item() == "kinematics"
    assert np.isnan(features.sel(feature="a1.speed.nose")["feature_window_ms"])
    assert features.attrs["feature_set"] == "small"
    assert features.attrs["feature_set_version"] == "2"
    assert len(features.attrs["feature_set_hash"]) == 64
    assert features.attrs["units_basis"] == "mm"
    assert features.attrs["individuals"] == ["mouse0", "mouse1"]


def test_dataset_writes_to_zarr(tmp_path):
    features = quiet(compute_features, random_pose(100).chunk({"time": 50}), SMALL)
    features.to_zarr(tmp_path / "features.zarr", consolidated=False)
    back = xr.open_zarr(tmp_path / "features.zarr", consolidated=False)
    assert list(back["feature"].values) == list(features["feature"].values)


@pytest.mark.parametrize(("px_per_mm", "basis", "factor"), [(None, "px", 1.0), (2.0, "mm", 0.5)])
def test_units_follow_the_calibration(px_per_mm, basis, factor):
    pose = random_pose(60, missing=0.0)
    in_px = quiet(compute_features, pose, SMALL)["features"]
    features = quiet(compute_features, pose, SMALL, px_per_mm=px_per_mm)
    assert features.attrs["units_basis"] == basis
    assert features.sel(feature="a1.hull_area")["feature_unit"].item() == f"{basis}^2"
    np.testing.assert_allclose(
        features["features"].sel(feature="a1.speed.nose"), in_px.sel(feature="a1.speed.nose") * factor, rtol=1e-5
    )
    np.testing.assert_allclose(
        features["features"].sel(feature="a1.hull_area"), in_px.sel(feature="a1.hull_area") * factor**2, rtol=1e-5
    )


def test_calibration_from_pose_attrs():
    pose = random_pose(40)
    pose.attrs["px_per_mm"] = 5.0
    assert quiet(compute_features, pose, SMALL).attrs["units_basis"] == "mm"


def test_speeds_do_not_depend_on_frame_rate():
    t = np.arange(0, 4, 1 / 60)
    position = np.zeros((t.size, 2, 1, 1))
    position[:, 0, 0, 0] = 100 * t
    fast = make_pose_dataset(position, keypoints=["nose"], individuals=["m"], fps=60)
    slow = make_pose_dataset(position[::2], keypoints=["nose"], individuals=["m"], fps=30)
    spec = {**SMALL, "families": {"kinematics": {"keypoints": ["nose"], "centroid": False}}}
    speed_fast = quiet(compute_features, fast, spec)["features"].sel(feature="a1.speed.nose.mean_200ms")
    speed_slow = quiet(compute_features, slow, spec)["features"].sel(feature="a1.speed.nose.mean_200ms")
    np.testing.assert_allclose(speed_fast[10:-10], 100, rtol=1e-4)
    np.testing.assert_allclose(speed_slow[10:-10], 100, rtol=1e-4)


@pytest.mark.parametrize("n_individuals", [1, 2, 3])
def test_any_number_of_animals(n_individuals):
    features = quiet(compute_features, random_pose(80, n_individuals=n_individuals), "default")
    names = list(features["feature"].values)
    assert any(name.startswith(("all.", "a1.")) for name in names)
    social = [name for name in names if name.startswith(("pair.", "a1>"))]
    assert (len(social) > 0) == (n_individuals > 1)


def test_three_animals_cover_all_ordered_pairs():
    spec = {**SMALL, "families": {"social": {"distances": [["nose", "tail_base"]], "facing_angle": True}}}
    names = set(quiet(compute_features, random_pose(50, n_individuals=3), spec)["feature"].values)
    for first, second in [(1, 2), (2, 1), (1, 3), (3, 1), (2, 3), (3, 2)]:
        assert f"a{first}>a{second}.dist.nose-tail_base" in names
        assert f"a{first}>a{second}.facing_angle" in names


def test_role_map_makes_labs_comparable():
    pose = random_pose(60, missing=0.0)
    renamed = pose.assign_coords(
        keypoint=np.array(
            ["Snout", "ear-L", "ear-R", "Center", "side_L", "side_R", "TailBase", "tail_tip"], dtype=object
        )
    )
    spec = {
        **SMALL,
        "roles": {
            "nose": ["nose", "snout"],
            "tail_base": ["tail_base", "tailbase"],
            "centroid": ["centroid", "center"],
        },
    }
    ours = quiet(compute_features, pose, spec)
    theirs = quiet(compute_features, renamed, spec)
    assert list(ours["feature"].values) == list(theirs["feature"].values)
    np.testing.assert_array_equal(ours["features"].values, theirs["features"].values)


def test_missing_role_gives_nan_and_a_warning():
    pose = random_pose(30).isel(keypoint=[1, 2, 3])
    with pytest.warns(UserWarning, match="nose"):
        features = compute_features(pose, SMALL)
    assert np.isnan(features["features"].sel(feature="a1.speed.nose")).all()


def test_missing_data_stays_nan_never_zero():
    pose = random_pose(200, missing=0.0)
    position = pose["position"].values.copy()
    position[50:60, :, :, 0] = np.nan
    pose = pose.assign(position=(pose["position"].dims, position))
    features = quiet(compute_features, pose, "simba")["features"].to_pandas()
    per_frame = features[
        [
            n
            for n in features.columns
            if n.startswith("a1.") and "_" not in n.split(".")[-1] and not n.startswith("a1.low")
        ]
    ]
    assert per_frame.iloc[52:58].isna().all().all()
    assert not (per_frame.iloc[52:58] == 0).any().any()


def test_interpolation_fills_only_short_gaps():
    pose = random_pose(200, missing=0.0)
    position = pose["position"].values.copy()
    position[50:52, :, 0, 0] = np.nan
    position[100:140, :, 0, 0] = np.nan
    pose = pose.assign(position=(pose["position"].dims, position))
    spec = {**SMALL, "preprocess": {"interpolate_max_gap_ms": 100}}
    speed = quiet(compute_features, pose, spec)["features"].sel(feature="a1.speed.nose").values
    assert np.isfinite(speed[49:53]).all()
    assert np.isnan(speed[101:139]).all()


def test_arena_without_bounds_is_nan_with_a_warning():
    spec = {**SMALL, "families": {"arena": {"wall_distance": ["centroid"]}}}
    with pytest.warns(UserWarning, match="arena"):
        features = compute_features(random_pose(30), spec)
    assert np.isnan(features["features"].values).all()
    with_bounds = quiet(compute_features, random_pose(30), spec, arena_bounds_px=(0, 0, 1000, 1000))
    assert np.isfinite(with_bounds["features"].values).any()


def test_bad_calibration_is_rejected():
    with pytest.raises(SchemaError, match="px_per_mm"):
        compute_features(random_pose(20), SMALL, px_per_mm=-1)


def test_pose_without_a_frame_rate_says_how_to_give_one():
    pose = random_pose(20)
    pose = pose.assign_coords(time=np.full(pose.sizes["time"], np.nan)).assign_attrs(fps=None)
    with pytest.raises(SchemaError, match=r"no fps attribute.*read_pose\(path, fps=\.\.\.\)"):
        compute_features(pose, SMALL)


def test_outliers_are_removed():
    pose = random_pose(300, missing=0.0, n_individuals=1)
    position = pose["position"].values.copy()
    position[150, :, 0, 0] += 500
    pose = pose.assign(position=(pose["position"].dims, position))
    spec = {**SMALL, "preprocess": {"outliers": {"k": 2.0}}}
    speed = quiet(compute_features, pose, spec)["features"].sel(feature="a1.speed.nose").values
    assert np.isnan(speed[[149, 151]]).all()
    raw_speed = quiet(compute_features, pose, SMALL)["features"].sel(feature="a1.speed.nose").values
    assert raw_speed[149] > 1000


@pytest.mark.parametrize(("skip_missing", "expected_finite"), [(False, False), (True, True)])
def test_symmetric_statistics_with_one_animal_missing(skip_missing, expected_finite):
    pose = random_pose(100, missing=0.0)
    position = pose["position"].values.copy()
    position[40:60, :, :, 1] = np.nan
    pose = pose.assign(position=(pose["position"].dims, position))
    spec = {**SMALL, "identity": {"symmetric_stats": ["min", "max", "mean"], "skip_missing": skip_missing}}
    features = quiet(compute_features, pose, spec)["features"]
    for stat in ("min", "max", "mean"):
        values = features.sel(feature=f"all.speed.nose.{stat}").values[45:55]
        assert np.isfinite(values).all() == expected_finite
    if skip_missing:
        np.testing.assert_array_equal(
            features.sel(feature="all.speed.nose.max").values[45:55],
            features.sel(feature="a1.speed.nose").values[45:55],
        )


def test_a_single_animal_keeps_the_default_sets_windows_and_scale_free_copies():
    names = [str(name) for name in quiet(compute_features, random_pose(400, n_individuals=1), "default").feature.values]
    windowed_animal = [name for name in names if name.startswith("all.") and name.endswith("_1000ms")]
    assert any(name.startswith("all.bend.") for name in windowed_animal), names
    assert any(name.startswith("all.speed.") and ".bl." in name for name in windowed_animal), names
    assert not any(name.startswith("a1.") for name in names)


def test_a_pose_without_times_whose_fps_is_set_afterwards_gives_the_same_features():
    timed = random_pose(300)
    untimed = timed.assign_coords(time=np.full(timed.sizes["time"], np.nan))
    untimed.attrs["fps"] = timed.attrs["fps"]
    expected = quiet(compute_features, timed, "simba", px_per_mm=2.0)
    features = quiet(compute_features, untimed, "simba", px_per_mm=2.0)
    np.testing.assert_array_equal(features["features"].values, expected["features"].values)
    np.testing.assert_array_equal(features["time"].values, expected["time"].values)


def test_arena_bounds_in_px_are_converted_for_a_pose_already_in_mm():
    in_px = random_pose(200)
    in_mm = in_px.copy()
    in_mm["position"] = in_px["position"] / 2.0
    in_mm.attrs["units"] = "mm"
    spec = {"featureset_version": 1, "name": "ar", "version": "1", "families": {"arena": {"wall_distance": ["nose"]}}}
    bounds = (-100.0, -100.0, 900.0, 900.0)

    def wall_distance(pose):
        features = quiet(compute_features, pose, spec, px_per_mm=2.0, arena_bounds_px=bounds)
        return features["features"].sel(feature="a1.wall_distance.nose").values

    np.testing.assert_allclose(wall_distance(in_mm), wall_distance(in_px), rtol=1e-5)
