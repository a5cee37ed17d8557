"""DeepLabCut ``.h5`` files read in row blocks by h5py match pandas' own reading, value for value.

Each file is written by pandas (``to_hdf``, table and fixed format) and read
back twice: by ``read_pose`` (h5py, stored dtype, row blocks) and by
``pd.read_hdf``, turned into pose arrays column by column. Small block sizes
make files span many blocks, the last one partial; compressed files are
stored in chunks.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from etholake.io import dlc, read_pose
from etholake.io._pandas_hdf import read_pandas_frame

RNG = np.random.default_rng(11)


def pose_frame(
    n: int,
    individuals: tuple[str, ...] | None = ("m1", "m2"),
    bodyparts: tuple[str, ...] = ("snout", "ear", "tail"),
    index: object = None,
) -> pd.DataFrame:
    """A DeepLabCut table (4 column levels, or 3 without individuals) with NaN and 0,0,0 points."""
    levels = [["DLC_scorer"], *([list(individuals)] if individuals else []), list(bodyparts), ["x", "y", "likelihood"]]
    names = ["scorer", *(["individuals"] if individuals else []), "bodyparts", "coords"]
    columns = pd.MultiIndex.from_product(levels, names=names)
    values = RNG.uniform(1, 640, (n, len(columns)))
    values[:, 2::3] = RNG.uniform(0, 1, (n, len(columns) // 3))
    points = values.reshape(n, len(columns) // 3, 3)
    points[RNG.random(points.shape[:2]) < 0.05] = np.nan
    points[RNG.random(points.shape[:2]) < 0.02] = 0.0
    return pd.DataFrame(values, columns=columns, index=index)


def pandas_pose(path: Path) -> dict[str, object]:
    """Pose arrays from ``pd.read_hdf``: float32, rows sorted by frame, 0,0,0 points as NaN."""
    frame = pd.read_hdf(path)
    if frame.columns.nlevels == 3:
        frame = pd.concat({"individual_0": frame}, axis=1, names=["individuals"]).reorder_levels([1, 0, 2, 3], axis=1)
    if frame.index.dtype.kind in "iu":
        frame = frame.sort_index()
    individuals = list(dict.fromkeys(frame.columns.get_level_values(1)))
    keypoints = list(dict.fromkeys(frame.columns.get_level_values(2)))
    position = np.full((len(frame), 2, len(keypoints), len(individuals)), np.nan, dtype=np.float32)
    confidence = np.full((len(frame), len(keypoints), len(individuals)), np.nan, dtype=np.float32)
    for (_, individual, keypoint, coord), column in frame.items():
        where = (keypoints.index(keypoint), individuals.index(individual))
        values = column.to_numpy(dtype=np.float64).astype(np.float32)
        if coord == "likelihood":
            confidence[:, where[0], where[1]] = values
        else:
            position[:, "xy".index(coord), where[0], where[1]] = values
    zero = np.all(position == 0, axis=1) & ((confidence == 0) | np.isnan(confidence))
    position[np.broadcast_to(zero[:, None], position.shape)] = np.nan
    confidence[zero] = np.nan
    return {
        "position": position,
        "confidence": confidence,
        "keypoints": keypoints,
        "individuals": individuals,
        "index": frame.index,
    }


def read_quietly(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_pose(path, fps=25)


def assert_same_pose(path: Path) -> None:
    ds, reference = read_quietly(path), pandas_pose(path)
    np.testing.assert_array_equal(ds["position"].values, reference["position"])
    np.testing.assert_array_equal(ds["confidence"].values, reference["confidence"])
    assert [str(k) for k in ds["keypoint"].values] == reference["keypoints"]
    assert [str(i) for i in ds["individual"].values] == reference["individuals"]
    if "image_path" in ds.coords:
        assert [str(p) for p in ds["image_path"].values] == [str(label) for label in reference["index"]]
    else:
        np.testing.assert_array_equal(ds["frame"].values, reference["index"].to_numpy())
    assert ds.attrs["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=[97, 1 << 22], ids=["tiny_blocks", "default_blocks"])
def block_bytes(request, monkeypatch):
    monkeypatch.setattr(dlc, "H5_BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("layout", ["table", "fixed"])
@pytest.mark.parametrize("individuals", [("m1", "m2"), None], ids=["multi_animal", "single_animal"])
@pytest.mark.parametrize("complevel", [0, 5], ids=["plain", "zlib"])
def test_blocks_match_pandas(tmp_path, block_bytes, layout, individuals, complevel):
    path = tmp_path / f"{layout}.h5"
    frame = pose_frame(1003, individuals, index=np.arange(5, 1008))
    frame.to_hdf(path, key="df_with_missing", format=layout, mode="w", complevel=complevel, complib="zlib")
    assert_same_pose(path)


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_several_value_blocks_match_pandas(tmp_path, block_bytes, layout):
    """An int64 column makes pandas store two value blocks, which are merged back into column order."""
    frame = pose_frame(1003)
    column = ("DLC_scorer", "m2", "ear", "x")
    frame[column] = np.where(np.isnan(frame[column]), 7.0, np.round(frame[column])).astype(np.int64)
    path = tmp_path / f"{layout}.h5"
    frame.to_hdf(path, key="df_with_missing", format=layout, mode="w")
    assert_same_pose(path)


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_columns_out_of_nesting_order_match_pandas(tmp_path, block_bytes, layout):
    frame = pose_frame(1003)
    path = tmp_path / f"{layout}.h5"
    frame.iloc[:, RNG.permutation(frame.shape[1])].to_hdf(path, key="df_with_missing", format=layout, mode="w")
    assert_same_pose(path)


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_unsorted_frames_over_several_blocks_match_pandas(tmp_path, block_bytes, layout):
    path = tmp_path / f"{layout}.h5"
    pose_frame(1003, index=RNG.permutation(1003)).to_hdf(path, key="df_with_missing", format=layout, mode="w")
    assert_same_pose(path)


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_image_path_index_matches_pandas(tmp_path, block_bytes, layout):
    index = [f"labeled-data/v1/img{i:04d}.png" for i in range(0, 3009, 3)]
    path = tmp_path / f"CollectedData_{layout}.h5"
    pose_frame(len(index), index=index).to_hdf(path, key="df_with_missing", format=layout, mode="w")
    assert_same_pose(path)
    assert read_quietly(path)["frame"].values.tolist() == list(range(0, 3009, 3))


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_row_blocks_cover_every_row_once_in_whole_chunks(tmp_path, layout):
    path = tmp_path / f"{layout}.h5"
    frame = pose_frame(1003)
    frame.to_hdf(path, key="df_with_missing", format=layout, mode="w")
    with h5py.File(path) as handle:
        stored = read_pandas_frame(handle["df_with_missing"])
        dataset = handle["df_with_missing/table" if layout == "table" else "df_with_missing/block0_values"]
        chunk_rows = dataset.chunks[0] if dataset.chunks else 1
        blocks = [(block.start, len(block.values), block.values.copy()) for block in stored.iter_blocks(3000)]
    assert len(blocks) > 1
    assert [start for start, _, _ in blocks] == list(np.cumsum([0] + [n for _, n, _ in blocks[:-1]]))
    assert all(n % chunk_rows == 0 for _, n, _ in blocks[:-1])
    np.testing.assert_array_equal(np.concatenate([values for _, _, values in blocks]), frame.to_numpy())
