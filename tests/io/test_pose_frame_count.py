"""Counting a pose file's frames from its row index alone gives what reading the whole file gives."""

import warnings

import pytest

from etholake.errors import InputFileError
from etholake.ingest.labels import session_frames
from etholake.io import count_pose_frames, detect_pose_format, pose_extent, read_pose, stated_pose_fps

INDEXED_FILES = [
    "pose/dlc_multi_deepof_madlc.predictions.h5",
    "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.csv",
    "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.h5",
    "pose/dlc_single_deepof.predictions.csv",
    "pose/dlc_single_deepof.predictions.h5",
    "pose/dlc_single_labels_openfield_CollectedData_Pranav.csv",
    "pose/dlc_single_labels_openfield_CollectedData_Pranav.h5",
    "pose/dlc_single_openfield_m3v1mp4.predictions.h5",
    "rat_dyad/pose/13DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv",
    "pose/lp_aind_mouseface_bottom.predictions.csv",
    "pose/lp_mirror_mouse_labels_CollectedData.csv",
    "pose/sleap_deepof_single.analysis.h5",
    "pose/sleap_anipose_minimal_top_proofread.analysis.h5",
    "pose/sleap_deepof_single.predictions.slp",
    "pose/sleap_nn_centered_pair_small.predictions.slp",
    "pose/dlc2nwb_openfield_m3v1mp4.nwb",
    "pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb",
]


@pytest.mark.parametrize("relative", INDEXED_FILES)
def test_the_index_count_equals_the_frames_of_the_read_file(shared_data, relative):
    path = shared_data(relative)
    name = detect_pose_format(path)
    assert name in ("dlc_h5", "dlc_csv", "lightningpose_csv", "sleap_h5", "sleap_slp", "nwb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pose = read_pose(path, fps=30.0)
        stated = read_pose(path).attrs.get("fps")
    assert count_pose_frames(path, name) == session_frames(pose)
    assert stated_pose_fps(path, name) == stated
    assert pose_extent(path, name) == (session_frames(pose), stated)


def test_unsorted_rows_count_to_the_largest_frame(tmp_path):
    path = tmp_path / "unsortedDLC.csv"
    path.write_text("scorer,s,s,s\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n7,1,2,0.9\n2,1,2,0.9\n5,1,2,0.9\n")
    assert count_pose_frames(path, "dlc_csv") == 8


def test_an_slp_file_counts_to_its_last_frame_with_an_instance(shared_data, tmp_path):
    import sleap_io

    labels = sleap_io.load_slp(str(shared_data("pose/sleap_nn_centered_pair_small.predictions.slp")))
    labels.labeled_frames = [lf for lf in labels.labeled_frames if 2 <= lf.frame_idx <= 6]
    labels.save(str(tmp_path / "middle.slp"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pose = read_pose(tmp_path / "middle.slp")
    assert count_pose_frames(tmp_path / "middle.slp", "sleap_slp") == session_frames(pose) == 7
    with pytest.raises(InputFileError, match="holds no instances for video 1"):
        count_pose_frames(tmp_path / "middle.slp", "sleap_slp", video=1)


def test_formats_without_a_cheap_count_say_so(shared_data):
    assert count_pose_frames(shared_data("pose/sleap_anipose_minimal_points3d.h5"), "anipose_h5") is None


@pytest.mark.parametrize(
    ("relative", "problem"),
    [
        ("pose/dlc_multi_deepof_madlc.predictions.h5", "has no 'tracks' dataset"),
        ("pose/sleap_anipose_minimal_points3d.h5", "has no 'node_names' dataset"),
    ],
)
def test_a_file_of_another_format_is_not_counted_as_a_sleap_analysis_file(shared_data, relative, problem):
    path = shared_data(relative)
    with pytest.raises(InputFileError, match=problem):
        count_pose_frames(path, "sleap_h5")
