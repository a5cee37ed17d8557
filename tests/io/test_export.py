"""Pose exporters: files laid out as the tools write them, and lossless round trips through read_pose."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from ndx_pose import PoseEstimation
from pynwb import NWBHDF5IO

from etholake import to_movement
from etholake.io import read_pose
from etholake.io.export import EXPORTERS, export_pose
from etholake.io.export.netcdf import ATTRS_JSON
from etholake.io.video import frame_timestamps, probe_video

# real pose file -> fps to read it with
SOURCES = {
    "pose/dlc_single_openfield_m3v1mp4.predictions.h5": 30.0,
    "pose/dlc_multi_deepof_madlc.predictions.h5": 25.0,
    "pose/dlc_single_deepof.predictions.csv": 25.0,
    "pose/sleap_anipose_minimal_top_proofread.analysis.h5": 30.0,
    "pose/dlc2nwb_openfield_m3v1mp4.nwb": 30.0,
    "pose/sleap_nn_centered_pair_small.predictions.slp": 15.0,
}
# format -> (file name, export options)
TARGETS = {
    "dlc_h5": ("out.h5", "dlc", {"multi_animal": True}),
    "dlc_csv": ("out.csv", "dlc", {"multi_animal": True}),
    "sleap": ("out.analysis.h5", "sleap", {}),
    "nwb": ("out.nwb", "nwb", {"session_start_time": datetime(2024, 5, 2, 10, tzinfo=UTC)}),
    "netcdf": ("out.nc", "netcdf", {}),
}


def read_source(shared_data, relative):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_pose(shared_data(relative), fps=SOURCES[relative])


def export_quietly(ds, path, format, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return export_pose(ds, path, format, **options)


def assert_same_pose(back: xr.Dataset, ds: xr.Dataset, *, confidence: bool = True) -> None:
    np.testing.assert_array_equal(back["position"].values, ds["position"].values)
    if confidence:
        np.testing.assert_array_equal(back["confidence"].values, ds["confidence"].values)
    for coord in ("keypoint", "individual", "space", "frame"):
        assert list(back[coord].values) == list(ds[coord].values), coord
    np.testing.assert_allclose(back["time"].values, ds["time"].values, rtol=0, atol=1e-9)


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_export_then_read_pose_gives_the_same_dataset(shared_data, tmp_path, source, target):
    ds = read_source(shared_data, source)
    name, format, options = TARGETS[target]
    path = export_quietly(ds, tmp_path / name, format, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        back = read_pose(path, fps=SOURCES[source])
    assert_same_pose(back, ds)
    if "instance_score" in ds and format == "sleap":
        np.testing.assert_array_equal(back["instance_score"].values, ds["instance_score"].values)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_individuals_keep_their_order_when_it_is_not_alphabetical(shared_data, tmp_path, target):
    source = "pose/dlc_multi_deepof_madlc.predictions.h5"
    ds = read_source(shared_data, source).isel(individual=[1, 0])
    assert list(ds["individual"].values) != sorted(ds["individual"].values)
    name, format, options = TARGETS[target]
    path = export_quietly(ds, tmp_path / name, format, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_same_pose(read_pose(path, fps=SOURCES[source]), ds)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_netcdf_round_trip_is_exact(shared_data, tmp_path, source):
    ds = read_source(shared_data, source)
    path = export_pose(ds, tmp_path / "out.nc", "netcdf")
    with xr.open_dataset(path) as stored:
        back = stored.load().rename({"keypoints": "keypoint", "individuals": "individual"})
    assert_same_pose(back, ds)
    assert back.attrs["ds_type"] == "poses"
    assert back.attrs["time_unit"] == "seconds"
    assert json.loads(back.attrs[ATTRS_JSON]) == json.loads(json.dumps(ds.attrs, default=str))


PROVENANCE = ("source_file", "source_sha256", "source_format")


@pytest.mark.parametrize(
    ("source", "fps"),
    [
        ("pose/sleap_anipose_minimal_points3d.h5", None),
        ("pose/sleap_deepof_single.analysis.h5", 30.0),
        ("pose/dlc_multi_labels_montblanc_CollectedData_Daniel.h5", None),
        ("pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb", None),
    ],
)
def test_read_pose_of_a_netcdf_export_gives_back_the_exported_dataset(shared_data, tmp_path, source, fps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = read_pose(shared_data(source), fps=fps)
        back = read_pose(export_pose(ds, tmp_path / "out.nc", "netcdf"))
    assert back.attrs["source_format"] == "netcdf"
    assert back.attrs["source_file"] == str((tmp_path / "out.nc").resolve())
    assert {k: v for k, v in back.attrs.items() if k not in PROVENANCE} == {
        k: v for k, v in ds.attrs.items() if k not in PROVENANCE
    }
    assert_same_pose(back, ds)
    np.testing.assert_array_equal(np.isnan(back["time"].values), np.isnan(ds["time"].values))
    assert set(back.variables) == set(ds.variables)
    for name in set(ds.data_vars) - {"position", "confidence"}:
        np.testing.assert_array_equal(back[name].values, ds[name].values)
    if "image_path" in ds.coords:
        assert list(back["image_path"].values) == list(ds["image_path"].values)


@pytest.mark.parametrize("engine", ["netcdf4", "scipy"])
@pytest.mark.parametrize("fps", [25.0, None])
def test_a_netcdf_file_movement_wrote_is_read_with_its_time_unit(shared_data, tmp_path, fps, engine):
    source = "pose/dlc_multi_deepof_madlc.predictions.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = read_pose(shared_data(source), fps=fps)
        to_movement(ds).to_netcdf(tmp_path / "movement.nc", engine=engine)
        back = read_pose(tmp_path / "movement.nc")
    assert back.attrs["fps"] == fps
    assert back.attrs["source_software"] == "DeepLabCut"
    assert_same_pose(back, ds)


def test_single_animal_dlc_h5_matches_the_deeplabcut_file_exactly(shared_data, tmp_path):
    source = shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5")
    ds = read_pose(source, fps=30)
    path = export_pose(ds, tmp_path / "m3v1mp4DLC.h5", "dlc")
    original = pd.read_hdf(source, "df_with_missing")
    written = pd.read_hdf(path, "df_with_missing")
    pd.testing.assert_frame_equal(written, original)
    with h5py.File(path) as handle:
        assert list(handle) == ["df_with_missing"]
        assert "table" in handle["df_with_missing"]


def test_multi_animal_dlc_csv_has_four_header_rows(shared_data, tmp_path):
    ds = read_source(shared_data, "pose/dlc_multi_deepof_madlc.predictions.h5")
    path = export_pose(ds, tmp_path / "multi.csv", "dlc")
    lines = path.read_text().splitlines()
    assert [line.split(",")[0] for line in lines[:5]] == ["scorer", "individuals", "bodyparts", "coords", "0"]
    assert lines[1].split(",")[1] == "mouse_black_tail"
    assert lines[3].split(",")[1:4] == ["x", "y", "likelihood"]
    assert len(lines) == 4 + 100
    table = pd.read_csv(path, header=[0, 1, 2, 3], index_col=0)
    assert table.shape == (100, 2 * 14 * 3)


def test_single_animal_dlc_csv_matches_deeplabcut_header(shared_data, tmp_path):
    source = shared_data("pose/dlc_single_deepof.predictions.csv")
    path = export_pose(read_pose(source, fps=25), tmp_path / "single.csv", "dlc")
    assert path.read_text().splitlines()[:4] == source.read_text().splitlines()[:4]


def test_dlc_rejects_several_individuals_in_the_single_animal_layout(shared_data, tmp_path):
    ds = read_source(shared_data, "pose/dlc_multi_deepof_madlc.predictions.h5")
    with pytest.raises(ValueError, match="single-animal DeepLabCut layout holds one individual"):
        export_pose(ds, tmp_path / "x.h5", "dlc", multi_animal=False)
    with pytest.raises(ValueError, match=r"end in \.h5 or \.csv"):
        export_pose(ds, tmp_path / "x.txt", "dlc")


def test_sleap_scores_in_dlc_likelihood_are_announced(shared_data, tmp_path):
    ds = read_source(shared_data, "pose/sleap_anipose_minimal_top_proofread.analysis.h5")
    with pytest.warns(UserWarning, match="unbounded score"):
        export_pose(ds, tmp_path / "x.h5", "dlc")


def test_labelled_frames_keep_their_image_paths_in_dlc_files(shared_data, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = read_pose(shared_data("pose/dlc_multi_labels_montblanc_CollectedData_Daniel.h5"))
        back = read_pose(export_pose(ds, tmp_path / "CollectedData.h5", "dlc"))
    assert list(back["image_path"].values) == list(ds["image_path"].values)
    assert_same_pose(back, ds)
    assert back.attrs["confidence_kind"] == "none"
    assert "likelihood" not in pd.read_hdf(tmp_path / "CollectedData.h5").columns.get_level_values("coords")


def test_sleap_analysis_file_matches_sleaps_layout(shared_data, tmp_path):
    source = shared_data("pose/sleap_anipose_minimal_top_proofread.analysis.h5")
    ds = read_pose(source, fps=30)
    path = export_pose(ds, tmp_path / "top.analysis.h5", "sleap", edges=[("Nose", "Head"), ("Head", "Neck")])
    with h5py.File(source) as original, h5py.File(path) as written:
        assert set(written) == set(original)
        for name in ("tracks", "point_scores", "instance_scores", "track_occupancy"):
            assert written[name].shape == original[name].shape
            assert written[name].dtype == original[name].dtype
            assert written[name].compression == "gzip"
            np.testing.assert_array_equal(written[name][()], original[name][()])
        assert list(written["node_names"][()]) == list(original["node_names"][()])
        assert written["track_names"][()].tolist() == [b"track_0"]
        assert written["edge_names"][()].tolist() == [[b"Nose", b"Head"], [b"Head", b"Neck"]]
        assert written["edge_inds"][()].tolist() == [[0, 5], [5, 14]]
        assert written["video_path"][()] == original["video_path"][()]


def test_sleap_refuses_3d_poses(shared_data, tmp_path):
    ds = read_pose(shared_data("pose/sleap_anipose_minimal_points3d.h5"), keypoints=[f"node_{i}" for i in range(15)])
    with pytest.raises(ValueError, match="2-D poses"):
        export_pose(ds, tmp_path / "x.h5", "sleap")


def test_nwb_file_uses_ndx_pose_with_the_videos_real_timestamps(shared_data, tmp_path):
    ds = read_pose(shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5"))
    video = shared_data("pose/video_openfield_m3v1mp4.mp4")
    times = frame_timestamps(video)
    path = export_pose(
        ds,
        tmp_path / "openfield.nwb",
        "nwb",
        timestamps=times,
        session_start_time=datetime(2018, 10, 30, tzinfo=UTC),
        subject={"subject_id": "m3", "species": "Mus musculus"},
        edges=[("snout", "leftear"), ("snout", "rightear")],
        video=probe_video(video),
    )
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        estimation = nwbfile.processing["behavior"]["PoseEstimation"]
        assert isinstance(estimation, PoseEstimation)
        assert set(estimation.pose_estimation_series) == {"snout", "leftear", "rightear", "tailbase"}
        snout = estimation.pose_estimation_series["snout"]
        assert snout.timestamps is None and snout.starting_time == 0.0
        assert snout.rate == pytest.approx(30.0003, abs=1e-6), "regular times are a rate, as NWB best practice asks"
        np.testing.assert_array_equal(snout.data[:], ds["position"].sel(keypoint="snout", individual="individual_0"))
        assert snout.unit == "pixels"
        assert list(estimation.skeleton.nodes[:]) == ["snout", "leftear", "rightear", "tailbase"]
        assert estimation.skeleton.edges[:].tolist() == [[0, 1], [0, 2]]
        assert estimation.skeleton.subject.subject_id == "m3"
        assert estimation.source_software == "DeepLabCut"
        assert estimation.scorer == "DLC_resnet50_openfieldAug20shuffle1_30000"
        assert nwbfile.processing["behavior"]["Skeletons"] is not None
        assert estimation.source_video.external_file[:].tolist() == [str(video)]
        assert estimation.source_video.num_samples == 2330
        assert estimation.device.name == "camera"
    back = read_pose(path, fps=30.0003)
    np.testing.assert_allclose(back["time"].values, times, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(back["frame"].values, ds["frame"].values)


def test_nwb_needs_known_times_and_warns_about_an_unknown_start(shared_data, tmp_path):
    ds = read_pose(shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5"))
    with pytest.raises(ValueError, match="pass timestamps="):
        export_pose(ds, tmp_path / "x.nwb", "nwb")
    with pytest.raises(ValueError, match="timestamps has 5 entries"):
        export_pose(ds, tmp_path / "x.nwb", "nwb", timestamps=np.arange(5.0))
    with pytest.warns(UserWarning, match="session start time unknown"):
        export_pose(ds.assign_coords(time=ds["frame"].values / 30.0), tmp_path / "x.nwb", "nwb")


def test_netcdf_is_a_valid_movement_poses_dataset(shared_data, tmp_path):
    from movement.validators.datasets import ValidPosesInputs

    ds = read_source(shared_data, "pose/dlc_multi_deepof_madlc.predictions.h5")
    with xr.open_dataset(export_pose(ds, tmp_path / "multi.nc", "netcdf")) as stored:
        ValidPosesInputs.validate(stored)
        assert set(stored.dims) == {"time", "space", "keypoints", "individuals"}
        assert stored.attrs["fps"] == 25.0
        assert stored.attrs["source_software"] == "DeepLabCut"


def test_netcdf_without_fps_stores_frame_numbers_as_time(shared_data, tmp_path):
    ds = read_pose(shared_data("pose/dlc_single_deepof.predictions.csv"))
    with xr.open_dataset(export_pose(ds, tmp_path / "frames.nc", "netcdf")) as stored:
        assert stored.attrs["time_unit"] == "frames"
        np.testing.assert_array_equal(stored["time"].values, ds["frame"].values)
        assert "fps" not in stored.attrs


def test_unknown_export_format_raises(shared_data, tmp_path):
    ds = read_source(shared_data, "pose/dlc_single_deepof.predictions.csv")
    with pytest.raises(ValueError, match="unknown pose export format 'xlsx'"):
        export_pose(ds, tmp_path / "x.xlsx", "xlsx")
    assert set(EXPORTERS) == {"dlc", "sleap", "nwb", "netcdf"}


@pytest.mark.parametrize(
    ("name", "format"),
    [("p.h5", "dlc"), ("p.csv", "dlc"), ("p.analysis.h5", "sleap"), ("p.nwb", "nwb"), ("p.nc", "netcdf")],
)
def test_every_exporter_makes_the_missing_folders_of_its_output(tmp_path, name, format):
    from pipeline_helpers import synthetic_pose

    ds = synthetic_pose(frames=50)
    written = export_quietly(ds, tmp_path / "new" / "nested" / name, format)
    assert written == tmp_path / "new" / "nested" / name and written.is_file()
    if format == "netcdf":
        with xr.open_dataset(written) as stored:
            back = stored.load().rename({"keypoints": "keypoint", "individuals": "individual"})
    else:
        back = read_pose(written, fps=30.0)
    # NWB keeps individuals as named objects, which readers list by name
    assert_same_pose(back.sel(individual=ds["individual"].values), ds)


def test_an_output_that_cannot_be_written_is_one_clear_error(tmp_path):
    from pipeline_helpers import synthetic_pose

    from etholake.errors import ExportError

    ds = synthetic_pose(frames=50)
    (tmp_path / "taken.h5").write_text("a file")
    with pytest.raises(ExportError, match=r"cannot export to .*taken\.h5/p\.h5: .*taken\.h5 is a file, not a folder"):
        export_pose(ds, tmp_path / "taken.h5" / "p.h5", "dlc")
    with pytest.raises(ExportError, match=r"cannot export to .*: it is a folder; give a file name"):
        export_pose(ds, tmp_path, "netcdf")
    with pytest.raises(ExportError, match=r"DeepLabCut files end in \.h5 or \.csv, got 'p\.txt'"):
        export_pose(ds, tmp_path / "missing" / "p.txt", "dlc")
    with pytest.raises(ExportError, match=r"skeleton edges name keypoints \['tail'\] that the dataset does not have"):
        export_pose(ds, tmp_path / "missing" / "p.analysis.h5", "sleap", edges=[("nose", "tail")])
    with pytest.raises(ExportError, match=r"frame numbers must be >= 0"):
        export_pose(ds.assign_coords(frame=ds["frame"] - 1), tmp_path / "missing" / "p.analysis.h5", "sleap")
    assert not (tmp_path / "missing").exists()
    assert (tmp_path / "taken.h5").read_text() == "a file"


def test_regular_times_get_the_round_rate_that_rebuilds_them():
    from etholake.io.export.nwb import series_timing

    for n_frames in (12, 100, 1499):
        assert series_timing(np.arange(n_frames) / 30.0) == {"starting_time": 0.0, "rate": 30.0}
    ntsc = 30000 / 1001
    times = 5.0 + np.arange(1_000_000) / ntsc
    timing = series_timing(times)
    rebuilt = timing["starting_time"] + np.arange(times.size) / timing["rate"]
    assert np.abs(rebuilt - times).max() < 1e-9
    assert "timestamps" in series_timing(np.array([0.0, 0.1, 0.3, 0.4]))


def test_an_nwb_export_at_30_fps_reads_back_at_exactly_30_fps(shared_data, tmp_path):
    ds = read_pose(shared_data("pose/dlc_single_deepof.predictions.csv"), fps=30.0).isel(time=slice(0, 12))
    path = export_quietly(ds, tmp_path / "out.nwb", "nwb", session_start_time=datetime(2024, 5, 2, 10, tzinfo=UTC))
    with NWBHDF5IO(str(path), "r") as io:
        estimation = next(o for o in io.read().objects.values() if isinstance(o, PoseEstimation))
        assert {s.rate for s in estimation.pose_estimation_series.values()} == {30.0}
    assert read_pose(path).attrs["fps"] == 30.0


@pytest.mark.parametrize("name", ["out.h5", "out.csv"])
def test_a_single_named_individual_keeps_its_name_through_a_dlc_file(shared_data, tmp_path, name):
    ds = read_source(shared_data, "pose/sleap_anipose_minimal_top_proofread.analysis.h5")
    assert list(ds["individual"].values) == ["track_0"]
    back = read_pose(
        export_quietly(ds, tmp_path / name, "dlc"), fps=SOURCES["pose/sleap_anipose_minimal_top_proofread.analysis.h5"]
    )
    assert list(back["individual"].values) == ["track_0"]
    single = read_pose(export_quietly(ds, tmp_path / f"single_{name}", "dlc", multi_animal=False), fps=30.0)
    assert list(single["individual"].values) == ["individual_0"]
