"""Triangulated 3-D points of sleap-anipose / Anipose (``points3d.h5``).

sleap-anipose writes one dataset ``tracks`` of shape (frames, tracks, nodes, 3)
(x, y, z in the calibration board's units, usually millimetres) and nothing
else: node names live in the per-view SLEAP files, so pass them as
``keypoints=`` (without them the nodes are named ``node_0``, ``node_1``, ...
with a warning). Triangulation gives no per-point confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import open_hdf5, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import build_pose, mask_zero_points


def read_anipose_h5(
    path: str | Path,
    *,
    fps: float | None = None,
    keypoints: Sequence[str] | None = None,
    units: str = "mm",
) -> xr.Dataset:
    """Read a sleap-anipose ``points3d.h5`` file.

    Parameters
    ----------
    path
        The HDF5 file with a (frames, tracks, nodes, 3) ``tracks`` dataset.
    fps
        Frame rate of the synchronised videos.
    keypoints
        Node names, in file order.
    units
        Units of the calibration (``"mm"`` or ``"px"``).

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset with space x, y, z and ``confidence_kind`` ``"none"``.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the 3-D points"):
        if "tracks" not in handle:
            raise InputFileError(path, "has no 'tracks' dataset, so it is not a sleap-anipose points3d file")
        tracks = handle["tracks"][()]
    if tracks.ndim == 3:
        tracks = tracks[:, None]
    if tracks.ndim != 4 or tracks.shape[-1] != 3:
        raise InputFileError(path, f"'tracks' has shape {tracks.shape}, expected (frames, tracks, nodes, 3)")
    _, n_tracks, n_nodes, _ = tracks.shape
    names = _keypoint_names(path, keypoints, n_nodes)
    position = np.ascontiguousarray(tracks.transpose(0, 3, 2, 1), dtype=np.float32)
    mask_zero_points(path, position, None)
    return build_pose(
        path,
        position,
        None,
        keypoints=names,
        individuals=[f"track_{i}" for i in range(n_tracks)],
        space=["x", "y", "z"],
        source_software="sleap-anipose",
        confidence_kind="none",
        fps=fps,
        units=units,
    )


def _keypoint_names(path: Path, keypoints: Sequence[str] | None, n_nodes: int) -> list[str]:
    if keypoints is None:
        warn_fixup(path, f"the file does not name its {n_nodes} nodes; named them node_0.. (pass keypoints=)")
        return [f"node_{i}" for i in range(n_nodes)]
    if len(keypoints) != n_nodes:
        raise InputFileError(path, f"holds {n_nodes} nodes but {len(keypoints)} keypoint names were given")
    return list(keypoints)
