"""Write pose datasets as SLEAP analysis ``.h5`` files (``sleap export`` / "Export Analysis HDF5").

Layout as SLEAP writes it: arrays built in (frames, ...) order and stored
transposed for MATLAB, gzip level 9, no file attributes:

- ``tracks`` (tracks, 2, nodes, frames) float64, NaN where missing;
- ``track_occupancy`` (frames, tracks) uint8, 1 where the track has any point;
- ``point_scores`` (tracks, nodes, frames), ``instance_scores`` and
  ``tracking_scores`` (tracks, frames) float64, NaN where unknown;
- ``track_names``, ``node_names`` (fixed-length bytes), ``edge_names``
  (edges, 2) bytes and ``edge_inds`` (edges, 2) int32;
- ``video_path``, ``labels_path``, ``provenance`` (JSON) strings and
  ``video_ind`` int32 scalars.

Frames run from 0 to the dataset's last frame (SLEAP's "all frames"), so
column ``f`` of every array is video frame ``f``. Confidence goes to
``point_scores``; an ``instance_score`` (time, individual) variable, as the
SLEAP reader makes, goes to ``instance_scores``. 2-D poses only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from etholake.errors import ExportError
from etholake.output_files import output_path
from etholake.schema.pose import validate_pose

_COMPRESSION = {"compression": "gzip", "compression_opts": 9}


def _edges(ds: xr.Dataset, keypoints: list[str], edges: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    edges = edges if edges is not None else ds.attrs.get("skeleton_edges") or []
    pairs = [(str(a), str(b)) for a, b in edges]
    unknown = sorted({name for pair in pairs for name in pair} - set(keypoints))
    if unknown:
        raise ExportError(f"skeleton edges name keypoints {unknown} that the dataset does not have")
    return pairs


def _by_frame(values: np.ndarray, frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Place rows of ``values`` at their frame index in a NaN-filled float64 array of ``n_frames`` rows."""
    out = np.full((n_frames, *values.shape[1:]), np.nan, dtype=np.float64)
    out[frames] = values
    return out


def export_sleap_analysis(
    ds: xr.Dataset,
    path: str | Path,
    *,
    edges: Sequence[tuple[str, str]] | None = None,
    video_path: str | None = None,
) -> Path:
    """Write a pose dataset as a SLEAP analysis HDF5 file.

    Parameters
    ----------
    ds
        Canonical 2-D pose dataset.
    path
        Output ``.h5`` file.
    edges
        Skeleton edges as (keypoint, keypoint) pairs; defaults to the
        ``skeleton_edges`` attribute, else none.
    video_path
        Video the poses belong to; defaults to the ``video_path`` attribute.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    validate_pose(ds)
    if ds.sizes["space"] != 2:
        raise ExportError("SLEAP analysis files hold 2-D poses; this dataset is 3-D")
    keypoints = [str(k) for k in ds["keypoint"].values]
    individuals = [str(i) for i in ds["individual"].values]
    pairs = _edges(ds, keypoints, edges)
    frames = ds["frame"].values.astype(np.int64)
    if frames.size and frames.min() < 0:
        raise ExportError("frame numbers must be >= 0")
    path = output_path(path)
    n_frames = int(frames.max()) + 1 if frames.size else 0

    position = ds["position"].transpose("time", "keypoint", "space", "individual").values
    locations = _by_frame(position, frames, n_frames)
    point_scores = _by_frame(ds["confidence"].transpose("time", "keypoint", "individual").values, frames, n_frames)
    if "instance_score" in ds.data_vars:
        instance_values = ds["instance_score"].transpose("time", "individual").values
        instance_scores = _by_frame(instance_values, frames, n_frames)
    else:
        instance_scores = np.full((n_frames, len(individuals)), np.nan)
    occupancy = np.any(np.isfinite(locations), axis=(1, 2)).astype(np.uint8)

    arrays = {
        "tracks": locations,
        "track_occupancy": occupancy.T,
        "point_scores": point_scores,
        "instance_scores": instance_scores,
        "tracking_scores": np.full((n_frames, len(individuals)), np.nan),
    }
    provenance = {"source_software": ds.attrs.get("source_software"), "source_file": ds.attrs.get("source_file")}
    with h5py.File(path, "w") as handle:
        for name, values in arrays.items():
            handle.create_dataset(name, data=np.transpose(values), **_COMPRESSION)
        handle.create_dataset("track_names", data=np.array([i.encode() for i in individuals], dtype="S"))
        handle.create_dataset("node_names", data=np.array([k.encode() for k in keypoints], dtype="S"))
        handle.create_dataset(
            "edge_names", data=np.array([[a.encode(), b.encode()] for a, b in pairs], dtype="S").reshape(-1, 2)
        )
        handle.create_dataset(
            "edge_inds",
            data=np.array([[keypoints.index(a), keypoints.index(b)] for a, b in pairs], dtype=np.int32).reshape(-1, 2),
        )
        handle.create_dataset("video_path", data=video_path or str(ds.attrs.get("video_path") or ""))
        handle.create_dataset("video_ind", data=np.int32(0))
        handle.create_dataset("labels_path", data="")
        handle.create_dataset("provenance", data=json.dumps(provenance))
    return path
