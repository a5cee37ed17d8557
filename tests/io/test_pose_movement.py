"""Our pose datasets hand over to movement: its validators and kinematics accept them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from etholake.io import read_pose
from etholake.schema import from_movement, to_movement

pytest.importorskip("movement")


@pytest.mark.parametrize(
    ("name", "fps"),
    [("pose/dlc_single_openfield_m3v1mp4.predictions.h5", 30.0), ("pose/dlc_multi_deepof_madlc.predictions.h5", 25.0)],
)
def test_movement_validates_and_computes_velocity(shared_data, name, fps):
    from movement.kinematics import compute_velocity
    from movement.validators.datasets import ValidPosesInputs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = read_pose(shared_data(name), fps=fps)
    handed = to_movement(ds)
    ValidPosesInputs.validate(handed)
    position = handed["position"].transpose("time", "space", "keypoints", "individuals")
    rebuilt = ValidPosesInputs(
        position_array=position.values,
        confidence_array=handed["confidence"].transpose("time", "keypoints", "individuals").values,
        individual_names=[str(i) for i in handed["individuals"].values],
        keypoint_names=[str(k) for k in handed["keypoints"].values],
        fps=handed.attrs["fps"],
        source_software=handed.attrs["source_software"],
    ).to_dataset()
    np.testing.assert_allclose(rebuilt["time"].values, ds["time"].values)

    velocity = compute_velocity(handed["position"]).transpose("time", "space", "keypoints", "individuals")
    assert velocity.shape == position.shape
    x = ds["position"].values[:, 0, 0, 0].astype(np.float64)
    expected, actual = np.gradient(x, 1 / fps), velocity.values[:, 0, 0, 0]
    both = np.isfinite(expected) & np.isfinite(actual)
    assert both.sum() >= 50 and np.all(np.isnan(actual[np.isnan(x)]))
    np.testing.assert_allclose(actual[both], expected[both], rtol=1e-4, atol=1e-3)

    back = from_movement(handed)
    np.testing.assert_array_equal(back["position"].values, ds["position"].values)


def test_a_dataset_without_fps_reaches_movement_in_frames_and_serialises(shared_data, tmp_path):
    from movement.kinematics import compute_velocity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = read_pose(shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5"))
    handed = to_movement(ds)
    assert handed.attrs["time_unit"] == "frames" and "fps" not in handed.attrs
    np.testing.assert_array_equal(handed["time"].values, ds["frame"].values)
    velocity = compute_velocity(handed["position"]).transpose("time", "space", "keypoints", "individuals")
    x = ds["position"].values[:, 0, 0, 0].astype(np.float64)
    both = np.isfinite(np.gradient(x)) & np.isfinite(velocity.values[:, 0, 0, 0])
    assert both.sum() >= 50
    np.testing.assert_allclose(velocity.values[both, 0, 0, 0], np.gradient(x)[both], rtol=1e-4, atol=1e-3)
    handed.to_netcdf(tmp_path / "frames.nc")
    back = from_movement(handed)
    np.testing.assert_array_equal(back["frame"].values, ds["frame"].values)
    assert back["time"].isnull().all()
