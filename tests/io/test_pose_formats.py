"""Layouts without a real sample file, built in tmp_path as each tool documents them."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from etholake.io import count_pose_frames, detect_pose_format, read_pose

RNG = np.random.default_rng(7)


def dlc_frame(individuals=("a1", "a2"), bodyparts=("nose", "tail"), coords=("x", "y", "likelihood"), n=6, index=None):
    columns = pd.MultiIndex.from_product(
        [["DLC_scorer"], list(individuals), list(bodyparts), list(coords)],
        names=["scorer", "individuals", "bodyparts", "coords"],
    )
    values = RNG.uniform(1, 100, (n, len(columns)))
    likelihoods = columns.get_level_values("coords") == "likelihood"
    values[:, likelihoods] = RNG.uniform(0, 1, (n, likelihoods.sum()))
    return pd.DataFrame(values, columns=columns, index=index)


def test_dlc_three_level_image_index_csv_and_h5(tmp_path):
    index = pd.MultiIndex.from_tuples([("labeled-data", "v1", f"img{i:04d}.png") for i in (3, 9, 12)])
    frame = dlc_frame(coords=("x", "y"), n=3, index=index)
    frame.to_csv(tmp_path / "CollectedData_me.csv")
    frame.to_hdf(tmp_path / "CollectedData_me.h5", key="keypoints", mode="w")
    for name in ("CollectedData_me.csv", "CollectedData_me.h5"):
        ds = read_pose(tmp_path / name)
        assert [str(p) for p in ds["image_path"].values] == [f"labeled-data/v1/img{i:04d}.png" for i in (3, 9, 12)]
        assert ds["frame"].values.tolist() == [3, 9, 12]
        assert ds.attrs["confidence_kind"] == "none"
        np.testing.assert_allclose(ds["position"].values[:, 0, 1, 1], frame[("DLC_scorer", "a2", "tail", "x")])


def test_a_file_without_a_frame_rate_read_without_fps_warns_that_time_is_nan(tmp_path):
    dlc_frame().to_csv(tmp_path / "videoDLC.csv")
    with pytest.warns(UserWarning, match=r"videoDLC.csv: the file states no frame rate, so 'time' is NaN"):
        ds = read_pose(tmp_path / "videoDLC.csv")
    assert ds["time"].isnull().all() and ds["frame"].values.tolist() == list(range(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_pose(tmp_path / "videoDLC.csv", fps=30.0)["time"].values[1] == pytest.approx(1 / 30)


@pytest.mark.parametrize("key", ["df_with_missing", "tracks", "predictions", "df", "poses"])
def test_dlc_h5_any_key_table_and_fixed(tmp_path, key):
    frame = dlc_frame()
    for layout in ("table", "fixed"):
        path = tmp_path / f"{layout}.h5"
        frame.to_hdf(path, key=key, format=layout, mode="w")
        assert detect_pose_format(path) == "dlc_h5"
        ds = read_pose(path)
        np.testing.assert_allclose(ds["confidence"].values[:, 0, 1], frame[("DLC_scorer", "a2", "nose", "likelihood")])


def test_dlc_h5_several_keys_warns_and_key_chooses(tmp_path):
    path = tmp_path / "two.h5"
    dlc_frame(n=4).to_hdf(path, key="df_with_missing", mode="w")
    dlc_frame(n=9).to_hdf(path, key="other", mode="a")
    with pytest.warns(UserWarning, match="several pandas tables"):
        assert read_pose(path).sizes["time"] == 4
    assert read_pose(path, key="other").sizes["time"] == 9


def test_dlc_multi_animal_with_unique_bodyparts(tmp_path):
    animals = dlc_frame(individuals=("m1", "m2"), bodyparts=("nose", "tail"))
    single = dlc_frame(individuals=("single",), bodyparts=("port",))
    path = tmp_path / "ma.h5"
    pd.concat([animals, single], axis=1).to_hdf(path, key="df_with_missing", format="table", mode="w")
    ds = read_pose(path)
    assert [str(k) for k in ds["keypoint"].values] == ["nose", "tail", "port"]
    assert [str(i) for i in ds["individual"].values] == ["m1", "m2", "single"]
    assert bool(ds["position"].sel(individual="single", keypoint="nose").isnull().all())
    assert bool(ds["position"].sel(individual="m1", keypoint="port").isnull().all())


def test_dlc_csv_duplicate_suffixed_header_and_zero_points(tmp_path):
    path = tmp_path / "suffixed.csv"
    path.write_text(
        "scorer,DLC_s,DLC_s.1,DLC_s.2,DLC_s.3,DLC_s.4,DLC_s.5\n"
        "bodyparts,nose,nose.1,nose.2,tail,tail.1,tail.2\n"
        "coords,x,y,likelihood,x,y,likelihood\n"
        "0,1.5,2.5,0.9,0,0,0\n"
        "1,,,,3,4,0.2\n"
    )
    with pytest.warns(UserWarning) as record:
        ds = read_pose(path)
    messages = " ".join(str(w.message) for w in record)
    assert "duplicate suffixes" in messages and "1 point(s) stored as 0,0" in messages
    assert [str(k) for k in ds["keypoint"].values] == ["nose", "tail"]
    assert int(ds["position"].isnull().sum()) == 4
    assert float(ds["position"].values[1, 1, 1, 0]) == 4.0


def test_unsorted_frames_are_sorted_with_warning(tmp_path):
    frame = dlc_frame(index=[3, 1, 2, 0, 5, 4])
    frame.to_hdf(tmp_path / "unsorted.h5", key="df_with_missing", format="table", mode="w")
    with pytest.warns(UserWarning, match="sorted by frame index"):
        ds = read_pose(tmp_path / "unsorted.h5", fps=10)
    assert ds["frame"].values.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(ds["time"].values, np.arange(6) / 10)


def test_lightningpose_set_column_is_left_out(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text(
        "scorer,heatmap_tracker,heatmap_tracker,heatmap_tracker,heatmap_tracker\n"
        "bodyparts,nose,nose,nose,set\n"
        "coords,x,y,likelihood,set\n"
        "labeled-data/img03.png,1,2,0.5,train\n"
    )
    assert detect_pose_format(path) == "lightningpose_csv"
    with pytest.warns(UserWarning, match="non-coordinate column"):
        ds = read_pose(path)
    assert ds.attrs["source_software"] == "LightningPose"
    assert ds["position"].values[0, :, 0, 0].tolist() == [1.0, 2.0]


def simba_columns() -> list[str]:
    return [f"{bp}_{animal}_{c}" for animal in (1, 2) for bp in ("Nose", "Tail_base") for c in "xyp"]


@pytest.mark.parametrize("multi_row_header", [True, False])
def test_simba_input_csv(tmp_path, multi_row_header):
    values = RNG.uniform(1, 100, (5, 12))
    values[2, 6:9] = 0
    frame = pd.DataFrame(values, columns=simba_columns())
    if multi_row_header:
        frame.columns = pd.MultiIndex.from_tuples(
            [("IMPORTED_POSE", "IMPORTED_POSE", c) for c in simba_columns()], names=("scorer", "bodypart", "coords")
        )
    path = tmp_path / "Video_1.csv"
    frame.to_csv(path)
    assert detect_pose_format(path) == "simba_csv"
    with pytest.warns(UserWarning, match="1 point"):
        ds = read_pose(path, fps=30, individuals=["resident", "intruder"])
    assert [str(k) for k in ds["keypoint"].values] == ["Nose", "Tail_base"]
    assert [str(i) for i in ds["individual"].values] == ["resident", "intruder"]
    assert ds.attrs["original_individuals"] == ["Animal_1", "Animal_2"]
    np.testing.assert_allclose(ds["position"].values[4, :, 1, 1], values[4, 9:11].astype(np.float32))
    assert bool(ds["position"].values[2, :, 0, 1].tolist() == [pytest.approx(np.nan, nan_ok=True)] * 2)
    assert ds.attrs["source_software"] == "SimBA"


@pytest.mark.parametrize("annotated_rows", [[0, 2, 3], [1]])
def test_deepposekit_annotation_set(tmp_path, annotated_rows):
    path = tmp_path / "annotation_set.h5"
    annotations = RNG.uniform(0, 64, (5, 3, 2))
    annotated = np.zeros((5, 3), dtype=bool)
    annotated[annotated_rows] = True
    annotated[annotated_rows[0], 2] = False
    with h5py.File(path, "w") as handle:
        handle["images"] = np.zeros((5, 8, 8, 1), dtype=np.uint8)
        handle["annotations"] = annotations
        handle["annotated"] = annotated
        handle["skeleton"] = np.array([[-1, -1], [0, -1], [1, -1]], dtype=np.int32)
    assert detect_pose_format(path) == "deepposekit_h5"
    ds = read_pose(path, keypoints=["head", "thorax", "abdomen"])
    assert ds["frame"].values.tolist() == annotated_rows
    assert [str(p) for p in ds["image_path"].values] == [f"images/{i}" for i in annotated_rows]
    assert bool(ds["position"].isel(time=0).sel(keypoint="abdomen").isnull().all())
    np.testing.assert_allclose(ds["position"].values[-1, :, 1, 0], annotations[annotated_rows[-1], 1])


def test_deepposekit_predictions(tmp_path):
    path = tmp_path / "predictions.h5"
    predictions = np.concatenate([RNG.uniform(0, 64, (7, 4, 2)), RNG.uniform(0, 1, (7, 4, 1))], axis=2)
    with h5py.File(path, "w") as handle:
        handle["predictions"] = predictions
    with pytest.warns(UserWarning, match="keypoint_0"):
        ds = read_pose(path, fps=100)
    assert ds.attrs["confidence_kind"] == "probability"
    np.testing.assert_allclose(ds["confidence"].values[:, :, 0], predictions[:, :, 2].astype(np.float32))


def test_leap_predictions(tmp_path):
    path = tmp_path / "box_preds.h5"
    positions = RNG.integers(0, 192, (6, 2, 5)).astype(np.int32)
    confidence = RNG.uniform(0, 1, (6, 5)).astype(np.float32)
    with h5py.File(path, "w") as handle:
        handle.attrs["model_name"] = "leap_cnn"
        handle.create_dataset("positions_pred", data=positions, compression="gzip")
        handle.create_dataset("conf_pred", data=confidence, compression="gzip")
    assert detect_pose_format(path) == "leap_h5"
    ds = read_pose(path, keypoints=[f"leg{i}" for i in range(5)])
    np.testing.assert_array_equal(ds["position"].values[..., 0], positions.astype(np.float32))
    np.testing.assert_allclose(ds["confidence"].values[..., 0], confidence)
    assert ds.attrs["source_software"] == "LEAP"


def test_sleap_analysis_dims_attribute_is_honoured(shared_data, tmp_path):
    import sleap_io

    labels = sleap_io.load_slp(str(shared_data("pose/sleap_deepof_single.predictions.slp")))
    sleap_io.save_analysis_h5(labels, str(tmp_path / "matlab.h5"), preset="matlab")
    sleap_io.save_analysis_h5(labels, str(tmp_path / "standard.h5"), preset="standard")
    with h5py.File(tmp_path / "standard.h5") as handle:
        assert "dims" in handle["tracks"].attrs
    matlab, standard = read_pose(tmp_path / "matlab.h5"), read_pose(tmp_path / "standard.h5")
    np.testing.assert_array_equal(matlab["position"].values, standard["position"].values)
    np.testing.assert_array_equal(matlab["confidence"].values, standard["confidence"].values)
    np.testing.assert_array_equal(matlab["instance_score"].values, standard["instance_score"].values)
    counts = [count_pose_frames(tmp_path / name, "sleap_h5") for name in ("matlab.h5", "standard.h5")]
    assert counts == [matlab.sizes["time"]] * 2


def test_sleap_analysis_zero_points_and_occupancy(tmp_path):
    path = tmp_path / "zeros.analysis.h5"
    tracks = RNG.uniform(1, 100, (2, 2, 3, 4))
    scores = RNG.uniform(0.5, 1.2, (2, 3, 4))
    tracks[0, :, 1, 2] = 0
    scores[0, 1, 2] = 0
    occupancy = np.ones((4, 2), dtype=np.uint8)
    occupancy[3, 1] = 0
    with h5py.File(path, "w") as handle:
        handle["tracks"] = tracks
        handle["point_scores"] = scores
        handle["instance_scores"] = RNG.uniform(0, 2, (2, 4))
        handle["track_occupancy"] = occupancy
        handle["node_names"] = np.array([b"a", b"b", b"c"])
        handle["track_names"] = np.array([b"fly1", b"fly2"])
    with pytest.warns(UserWarning, match="1 point"):
        ds = read_pose(path)
    assert bool(ds["position"].isel(time=2, keypoint=1, individual=0).isnull().all())
    assert bool(ds["position"].isel(time=3, individual=1).isnull().all())
    assert bool(ds["instance_score"].isel(time=3, individual=1).isnull())
    assert int(ds["position"].isnull().sum()) == 2 + 6


def test_slp_frames_need_not_start_at_zero(shared_data, tmp_path):
    import sleap_io

    labels = sleap_io.load_slp(str(shared_data("pose/sleap_nn_centered_pair_small.predictions.slp")))
    labels.labeled_frames = [lf for lf in labels.labeled_frames if lf.frame_idx >= 4]
    labels.save(str(tmp_path / "late.slp"))
    with pytest.warns(UserWarning, match="no track"):
        ds = read_pose(tmp_path / "late.slp")
    assert ds["frame"].values.tolist() == [4, 5, 6, 7, 8, 9]
    np.testing.assert_allclose(ds["time"].values, ds["frame"].values / 15.0)


NWB_WRITER = """
import datetime, sys
import numpy as np, pynwb
from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons

def write(path, shift):
    nwb = pynwb.NWBFile(session_description="s", identifier="i",
                        session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    behavior = nwb.create_processing_module("behavior", "b")
    animals = ["mouseA", "mouseB"]
    skeletons = [Skeleton(name=f"skeleton_{a}", nodes=["nose", "tail"], edges=np.array([[0, 1]], dtype="uint8"))
                 for a in animals]
    behavior.add(Skeletons(skeletons=skeletons))
    for i, animal in enumerate(animals):
        t = 100.0 + np.arange(5) / 25.0 + (shift if i else 0.0)
        series = [
            PoseEstimationSeries(name=node, description=node, data=np.full((5, 2), 10.0 * i + k), unit="pixels",
                                 reference_frame="top left", timestamps=t, confidence=np.full(5, 1.5))
            for k, node in enumerate(["nose", "tail"])
        ]
        behavior.add(PoseEstimation(name=f"PoseEstimation_{animal}", pose_estimation_series=series,
                                    description="d", source_software="SLEAP", skeleton=skeletons[i]))
    with pynwb.NWBHDF5IO(path, "w") as io:
        io.write(nwb)

for path, shift in zip(sys.argv[1::2], sys.argv[2::2]):
    write(path, float(shift))
"""


@pytest.fixture(scope="module")
def nwb_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nwb")
    paths = {"aligned": folder / "aligned.nwb", "shifted": folder / "shifted.nwb"}
    arguments = [str(paths["aligned"]), "0", str(paths["shifted"]), "0.5"]
    subprocess.run([sys.executable, "-c", NWB_WRITER, *arguments], check=True)
    return paths


def test_nwb_several_pose_estimations_merge_as_individuals(nwb_files):
    ds = read_pose(nwb_files["aligned"])
    assert [str(i) for i in ds["individual"].values] == ["PoseEstimation_mouseA", "PoseEstimation_mouseB"]
    assert ds.attrs["nwb_pose_estimation"] == ["PoseEstimation_mouseA", "PoseEstimation_mouseB"]
    np.testing.assert_allclose(ds["time"].values, 100 + np.arange(5) / 25)
    assert ds.attrs["fps"] == pytest.approx(25.0)
    assert ds.attrs["confidence_kind"] == "score"
    assert ds["position"].values[0, 0, 1, 1] == 11.0


def test_nwb_different_clocks_need_a_choice(nwb_files):
    from etholake.errors import InputFileError

    with pytest.raises(InputFileError, match="different timestamps; choose one with nwb_pose_estimation="):
        read_pose(nwb_files["shifted"])
    ds = read_pose(nwb_files["shifted"], nwb_pose_estimation="PoseEstimation_mouseB")
    np.testing.assert_allclose(ds["time"].values, 100.5 + np.arange(5) / 25)


@pytest.mark.filterwarnings("ignore:.*timestamps are the frame numbers")
def test_zarr_v3_round_trip(shared_data, tmp_path):
    import xarray as xr

    for name in ("pose/dlc2nwb_openfield_m3v1mp4.nwb", "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.csv"):
        ds = read_pose(shared_data(name), fps=30) if name.endswith(".csv") else read_pose(shared_data(name))
        store = tmp_path / f"{Path(name).stem}.zarr"
        ds.to_zarr(store, zarr_format=3, mode="w", consolidated=False)
        back = xr.open_zarr(store, consolidated=False)
        np.testing.assert_array_equal(back["position"].values, ds["position"].values)
        assert back.attrs["source_sha256"] == ds.attrs["source_sha256"]


@pytest.mark.parametrize("name", ["pose.csv", "pose.analysis.h5"])
def test_a_read_without_sha256_hashes_nothing(tmp_path, monkeypatch, name):
    import etholake.io._files as files

    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("scorer,s,s,s\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n0,1,2,0.9\n1,3,4,0.8\n")
    else:
        with h5py.File(path, "w") as handle:
            handle["tracks"] = RNG.uniform(1, 100, (1, 2, 3, 4))
            handle["node_names"] = np.array([b"a", b"b", b"c"])
    hashed = []
    monkeypatch.setattr(files, "_sha256_of", lambda file: hashed.append(file) or "0" * 64)
    quick = read_pose(path, fps=30, sha256=False)
    assert quick.attrs["source_sha256"] == "" and hashed == []
    assert read_pose(path, fps=30).attrs["source_sha256"] == "0" * 64 and len(hashed) == 1


@pytest.mark.parametrize(
    ("name", "stated"),
    [
        ("pose/sleap_nn_centered_pair_small.predictions.slp", "15"),
        ("pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb", "0.9"),
    ],
)
def test_an_fps_that_contradicts_the_files_own_rate_is_used_with_a_warning(shared_data, name, stated):
    with pytest.warns(UserWarning, match=rf"fps=30 given overrides the {stated} fps the file states"):
        ds = read_pose(shared_data(name), fps=30.0)
    assert ds.attrs["fps"] == 30.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_pose(shared_data(name), fps=float(stated))
    assert not [w for w in caught if "overrides" in str(w.message)]
