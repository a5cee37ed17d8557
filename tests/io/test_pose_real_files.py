"""Every real pose file reads, and matches what the producing tool's own reader gives.

References: pandas for DeepLabCut / LightningPose tables, h5py for SLEAP analysis
and sleap-anipose arrays, sleap-io for ``.slp`` and pynwb (``load_namespaces=True``,
in a fresh interpreter so no installed ndx-pose class interferes) for NWB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from etholake.io import read_pose
from etholake.schema import validate_pose

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RAT_FILES = sorted(p.name for p in (SHARED / "rat_dyad" / "pose").glob("*.csv")) or ["1DLC_missing.csv"]


def read(path: Path, **options) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_pose(path, **options)


def dlc_reference(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None, list[str], list[str]]:
    """(position, confidence, keypoints, individuals) of a DeepLabCut frame, 0,0,0 points as NaN."""
    names = list(frame.columns.names)
    if "individuals" not in names:
        frame = pd.concat({"individual_0": frame}, axis=1, names=["individuals"]).reorder_levels([1, 0, 2, 3], axis=1)
    individuals = list(dict.fromkeys(frame.columns.get_level_values(1)))
    keypoints = list(dict.fromkeys(frame.columns.get_level_values(2)))
    coords = set(frame.columns.get_level_values(3))
    n = len(frame)
    position = np.full((n, 2, len(keypoints), len(individuals)), np.nan)
    confidence = np.full((n, len(keypoints), len(individuals)), np.nan) if "likelihood" in coords else None
    for (_, ind, kp, coord), values in frame.items():
        i, k = individuals.index(ind), keypoints.index(kp)
        if coord in ("x", "y"):
            position[:, "xy".index(coord), k, i] = values.to_numpy(dtype=float)
        else:
            confidence[:, k, i] = values.to_numpy(dtype=float)
    zero = np.all(position == 0, axis=1)
    if confidence is not None:
        zero &= (confidence == 0) | np.isnan(confidence)
        confidence[zero] = np.nan
    position[np.broadcast_to(zero[:, None], position.shape)] = np.nan
    return position, confidence, keypoints, individuals


def pandas_csv(path: Path, n_header: int) -> pd.DataFrame:
    """A DeepLabCut CSV read by pandas, header rows and values separately.

    ``pd.read_csv(header=[0, 1, 2, 3], index_col=0)`` takes a first data row
    whose cells are all empty (frame 0 of the rat files) for the index-name row
    and drops it, so values are read with ``header=None``.
    """
    header = pd.read_csv(path, header=None, nrows=n_header, index_col=0, dtype=str)
    values = pd.read_csv(path, header=None, skiprows=n_header, index_col=0)
    values.columns = pd.MultiIndex.from_arrays(header.to_numpy(), names=list(header.index))
    values.index.name = None
    return values


def assert_matches(ds, position, confidence, keypoints, individuals) -> None:
    validate_pose(ds)
    assert ds["position"].shape == position.shape
    assert [str(k) for k in ds["keypoint"].values] == [str(k) for k in keypoints]
    assert [str(i) for i in ds["individual"].values] == [str(i) for i in individuals]
    assert int(ds["position"].isnull().sum()) == int(np.isnan(position).sum())
    np.testing.assert_allclose(ds["position"].values, position.astype(np.float32), rtol=1e-6, equal_nan=True)
    if confidence is None:
        assert ds.attrs["confidence_kind"] == "none"
        assert bool(ds["confidence"].isnull().all())
    else:
        np.testing.assert_allclose(ds["confidence"].values, confidence.astype(np.float32), rtol=1e-6, equal_nan=True)


DLC_H5 = [
    ("dlc_single_openfield_m3v1mp4.predictions.h5", (2330, 2, 4, 1), False),
    ("dlc_multi_deepof_madlc.predictions.h5", (100, 2, 14, 2), False),
    ("dlc_single_deepof.predictions.h5", (100, 2, 14, 1), False),
    ("dlc_single_labels_openfield_CollectedData_Pranav.h5", (116, 2, 4, 1), True),
    ("dlc_multi_labels_montblanc_CollectedData_Daniel.h5", (42, 2, 4, 8), True),
]


@pytest.mark.parametrize(("name", "shape", "labelled"), DLC_H5)
def test_dlc_h5_matches_pandas(shared_data, name, shape, labelled):
    path = shared_data(f"pose/{name}")
    ds = read(path, fps=30)
    frame = pd.read_hdf(path)
    assert_matches(ds, *dlc_reference(frame))
    assert ds["position"].shape == shape
    assert ds.attrs["source_format"] == "dlc_h5"
    assert ds.attrs["source_software"] == "DeepLabCut"
    assert ("image_path" in ds.coords) is labelled
    if labelled:
        assert [str(p) for p in ds["image_path"].values] == [str(i) for i in frame.index]
    else:
        np.testing.assert_array_equal(ds["frame"].values, frame.index.to_numpy())
        np.testing.assert_allclose(ds["time"].values, frame.index.to_numpy() / 30)
        assert ds.attrs["confidence_kind"] == "probability"


def test_zero_points_of_deepof_file_become_nan(shared_data):
    path = shared_data("pose/dlc_multi_deepof_madlc.predictions.h5")
    with pytest.warns(UserWarning, match="700 point"):
        ds = read_pose(path)
    frame = pd.read_hdf(path)
    zeros = int((frame.to_numpy().reshape(len(frame), -1, 3) == 0).all(axis=2).sum())
    assert zeros == 700
    assert not bool((ds["position"] == 0).all("space").any())


DLC_CSV = [
    ("dlc_single_deepof.predictions.csv", 3, (97, 2, 14, 1)),
    ("dlc_single_labels_openfield_CollectedData_Pranav.csv", 3, (116, 2, 4, 1)),
    ("dlc_multi_labels_montblanc_CollectedData_Daniel.csv", 4, (42, 2, 4, 8)),
    ("lp_aind_mouseface_bottom.predictions.csv", 3, (3276, 2, 17, 1)),
    ("lp_mirror_mouse_labels_CollectedData.csv", 3, (90, 2, 17, 1)),
]


@pytest.mark.parametrize(("name", "n_header", "shape"), DLC_CSV)
def test_dlc_style_csv_matches_pandas(shared_data, name, n_header, shape):
    path = shared_data(f"pose/{name}")
    ds = read(path)
    frame = pandas_csv(path, n_header)
    assert_matches(ds, *dlc_reference(frame))
    assert ds["position"].shape == shape
    expected_software = "LightningPose" if name.startswith("lp_aind") else "DeepLabCut"
    assert ds.attrs["source_software"] == expected_software
    if frame.index.dtype.kind in "iu":
        np.testing.assert_array_equal(ds["frame"].values, frame.index.to_numpy())
    else:
        assert [str(p) for p in ds["image_path"].values] == list(frame.index)


def test_labelled_frames_keep_image_paths_and_frame_numbers(shared_data):
    ds = read(shared_data("pose/dlc_multi_labels_montblanc_CollectedData_Daniel.h5"))
    assert str(ds["image_path"].values[1]) == "labeled-data/montblanc/img0047.png"
    assert ds["frame"].values[:3].tolist() == [0, 47, 48]
    assert ds.attrs["labelled_frames"] is True


@pytest.mark.parametrize("name", RAT_FILES)
def test_rat_dyad_csv_matches_pandas(shared_data, name):
    path = shared_data(f"rat_dyad/pose/{name}")
    ds = read(path)
    frame = pandas_csv(path, 4)
    assert_matches(ds, *dlc_reference(frame))
    np.testing.assert_array_equal(ds["frame"].values, frame.index.to_numpy())
    assert ds.sizes["individual"] == 2 and ds.sizes["keypoint"] == 5
    assert [str(k) for k in ds["keypoint"].values] == ["top", "body", "tail", "tail-m", "tail-e"]
    assert ds.attrs["fps"] is None and bool(ds["time"].isnull().all())
    assert 13_000 <= ds.sizes["time"] <= 15_500


def test_rat_dyad_first_frame_is_kept(shared_data):
    path = shared_data(f"rat_dyad/pose/{RAT_FILES[0]}")
    ds = read(path)
    with_multirow_header = pd.read_csv(path, header=[0, 1, 2, 3], index_col=0)
    assert int(ds["frame"].values[0]) == 0
    assert int(with_multirow_header.index[0]) == 1
    assert ds.sizes["time"] == len(with_multirow_header) + 1


SLEAP_H5 = [
    ("sleap_deepof_single.analysis.h5", (101, 2, 14, 1)),
    ("sleap_anipose_minimal_top_proofread.analysis.h5", (120, 2, 15, 1)),
]


@pytest.mark.parametrize(("name", "shape"), SLEAP_H5)
def test_sleap_analysis_matches_h5py(shared_data, name, shape):
    path = shared_data(f"pose/{name}")
    ds = read(path)
    with h5py.File(path) as handle:
        tracks = handle["tracks"][()]
        scores = handle["point_scores"][()]
        instance_scores = handle["instance_scores"][()]
        nodes = [n.decode() for n in handle["node_names"][()]]
        track_names = [n.decode() for n in handle["track_names"][()]]
    position = tracks.transpose(3, 1, 2, 0)
    confidence = scores.transpose(2, 1, 0)
    assert ds["position"].shape == shape
    assert_matches(ds, position, confidence, nodes, track_names)
    np.testing.assert_allclose(ds["instance_score"].values, instance_scores.T, rtol=1e-6, equal_nan=True)
    assert ds.attrs["confidence_kind"] == "score"
    assert float(ds["confidence"].max()) > 1


@pytest.mark.parametrize(
    ("name", "n_frames", "individuals", "fps"),
    [
        ("sleap_deepof_single.predictions.slp", 101, ["track_0"], None),
        ("sleap_nn_centered_pair_small.predictions.slp", 10, ["untracked_0", "untracked_1"], 15.0),
    ],
)
def test_sleap_slp_matches_sleap_io(shared_data, name, n_frames, individuals, fps):
    import sleap_io

    path = shared_data(f"pose/{name}")
    labels = sleap_io.load_slp(str(path))
    ds = read(path)
    assert ds.sizes["time"] == n_frames
    assert [str(i) for i in ds["individual"].values] == individuals
    assert [str(k) for k in ds["keypoint"].values] == [n.name for n in labels.skeletons[0].nodes]
    assert ds.attrs["fps"] == fps
    n_instances = 0
    for frame in labels.labeled_frames:
        row = int(np.flatnonzero(ds["frame"].values == frame.frame_idx)[0])
        ours = {
            tuple(np.round(ds["position"].values[row, :, :, i].T.ravel(), 3)) for i in range(ds.sizes["individual"])
        }
        for instance in frame.instances:
            points = instance.numpy()
            assert tuple(np.round(points.astype(np.float32).ravel(), 3)) in ours
            n_instances += 1
    assert n_instances == int(np.isfinite(ds["instance_score"].values).sum())


def test_untracked_slp_instances_are_all_kept_with_warning(shared_data):
    with pytest.warns(UserWarning, match="no track"):
        ds = read_pose(shared_data("pose/sleap_nn_centered_pair_small.predictions.slp"))
    assert int(ds["position"].notnull().all(["space", "keypoint"]).sum()) == 20


def test_anipose_points_match_h5py(shared_data):
    path = shared_data("pose/sleap_anipose_minimal_points3d.h5")
    with h5py.File(shared_data("pose/sleap_anipose_minimal_top_proofread.analysis.h5")) as handle:
        nodes = [n.decode() for n in handle["node_names"][()]]
    ds = read(path, keypoints=nodes, fps=30)
    with h5py.File(path) as handle:
        tracks = handle["tracks"][()]
    assert_matches(ds, tracks.transpose(0, 3, 2, 1), None, nodes, ["track_0"])
    assert [str(s) for s in ds["space"].values] == ["x", "y", "z"]
    assert ds.attrs["units"] == "mm"


NWB_FILES = [
    "pose/dlc2nwb_openfield_m3v1mp4.nwb",
    "pose/ndxpose_0.3.0_poseestimation_two_cameras.nwb",
    "neural/ndxpose_0.3.0_poseestimation_one_camera.nwb",
]

PYNWB_DUMP = """
import json, sys, numpy as np, pynwb
out = {}
for path in sys.argv[1:]:
    with pynwb.NWBHDF5IO(path, "r", load_namespaces=True) as io:
        nwb = io.read()
        found = {}
        for obj in nwb.objects.values():
            if type(obj).__name__ != "PoseEstimation":
                continue
            series = {}
            for name, s in obj.pose_estimation_series.items():
                series[name] = {
                    "data": np.asarray(s.data[:]).tolist(),
                    "confidence": np.asarray(s.confidence[:]).tolist(),
                    "timestamps": np.asarray(s.timestamps[:]).tolist(),
                    "description": s.description,
                }
            nodes = list(obj.nodes[:]) if getattr(obj, "nodes", None) is not None else None
            if nodes is None and getattr(obj, "skeleton", None) is not None:
                nodes = list(obj.skeleton.nodes[:])
            found[obj.name] = {"series": series, "nodes": nodes, "software": obj.source_software}
        out[path] = found
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pynwb_reference():
    paths = [SHARED / name for name in NWB_FILES if (SHARED / name).exists()]
    if not paths:
        pytest.skip("no NWB files in ../shared/data")
    result = subprocess.run(
        [sys.executable, "-c", PYNWB_DUMP, *map(str, paths)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", NWB_FILES)
def test_nwb_matches_pynwb(shared_data, pynwb_reference, name):
    path = shared_data(name)
    ds = read(path)
    (estimation,) = pynwb_reference[str(path)].values()
    nodes = estimation["nodes"] or list(estimation["series"])
    series = [estimation["series"][n] for n in nodes]
    position = np.stack([np.asarray(s["data"]) for s in series], axis=-1)[..., None]
    confidence = np.stack([np.asarray(s["confidence"]) for s in series], axis=-1)[..., None]
    keypoints = [str(k) for k in ds["keypoint"].values]
    assert len(keypoints) == len(nodes) and all(n.endswith(k) for n, k in zip(nodes, keypoints))
    np.testing.assert_allclose(ds["position"].values, position.astype(np.float32), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(ds["confidence"].values, confidence.astype(np.float32), rtol=1e-6, equal_nan=True)
    timestamps = np.asarray(series[0]["timestamps"])
    assert ds.attrs["source_software"] == estimation["software"]
    assert all(isinstance(v, str | int | float | bool | list | type(None)) for v in ds.attrs.values())
    if "dlc2nwb" in name:
        assert str(ds["individual"].values[0]) == "ind1"
        np.testing.assert_array_equal(ds["frame"].values, timestamps.astype(int))
        assert bool(ds["time"].isnull().all())
    else:
        np.testing.assert_allclose(ds["time"].values, timestamps)
        assert ds.attrs["fps"] == pytest.approx(1 / np.median(np.diff(timestamps)))


def test_dlc2nwb_with_fps_gives_frame_times(shared_data):
    with pytest.warns(UserWarning, match="frame numbers"):
        ds = read_pose(shared_data("pose/dlc2nwb_openfield_m3v1mp4.nwb"), fps=30)
    np.testing.assert_allclose(ds["time"].values[:3], [0, 1 / 30, 2 / 30])
