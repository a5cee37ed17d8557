"""detect_pose_format names each real file's format from its content."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from etholake.io import POSE_FORMATS, detect_pose_format, read_pose

EXPECTED = {
    "pose/dlc_single_openfield_m3v1mp4.predictions.h5": "dlc_h5",
    "pose/dlc_multi_deepof_madlc.predictions.h5": "dlc_h5",
    "pose/dlc_single_deepof.predictions.h5": "dlc_h5",
    "pose/dlc_single_labels_openfield_CollectedData_Pranav.h5": "dlc_h5",
    "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.h5": "dlc_h5",
    "pose/dlc_single_deepof.predictions.csv": "dlc_csv",
    "pose/dlc_single_labels_openfield_CollectedData_Pranav.csv": "dlc_csv",
    "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.csv": "dlc_csv",
    "pose/lp_aind_mouseface_bottom.predictions.csv": "lightningpose_csv",
    "pose/lp_mirror_mouse_labels_CollectedData.csv": "dlc_csv",
    "pose/sleap_deepof_single.analysis.h5": "sleap_h5",
    "pose/sleap_anipose_minimal_top_proofread.analysis.h5": "sleap_h5",
    "pose/sleap_deepof_single.predictions.slp": "sleap_slp",
    "pose/sleap_nn_centered_pair_small.predictions.slp": "sleap_slp",
    "pose/sleap_anipose_minimal_points3d.h5": "anipose_h5",
    "pose/dlc2nwb_openfield_m3v1mp4.nwb": "nwb",
    "pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb": "nwb",
    "rat_dyad/pose/1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv": "dlc_csv",
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_detects_real_files(shared_data, name, expected):
    assert detect_pose_format(shared_data(name)) == expected
    assert expected in POSE_FORMATS


@pytest.mark.parametrize(
    ("name", "new_name", "expected"),
    [
        ("pose/sleap_deepof_single.predictions.slp", "predictions.h5", "sleap_slp"),
        ("pose/dlc_single_openfield_m3v1mp4.predictions.h5", "poses.csv", "dlc_h5"),
        ("pose/dlc2nwb_openfield_m3v1mp4.nwb", "openfield.h5", "nwb"),
    ],
)
def test_content_wins_over_extension(shared_data, tmp_path, name, new_name, expected):
    path = tmp_path / new_name
    shutil.copyfile(shared_data(name), path)
    assert detect_pose_format(path) == expected
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = read_pose(path)
    assert any("but the extension is" in str(w.message) for w in caught)
    assert ds.attrs["source_format"] == expected
    assert Path(ds.attrs["source_file"]) == path.resolve()


def test_format_overrides_detection(shared_data):
    path = shared_data("pose/lp_mirror_mouse_labels_CollectedData.csv")
    ds = read_pose(path, format="lightningpose_csv")
    assert ds.attrs["source_software"] == "LightningPose"
    assert ds.attrs["source_format"] == "lightningpose_csv"
