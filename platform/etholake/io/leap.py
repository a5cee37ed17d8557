"""LEAP prediction ``.h5`` files (``leap.predict_box`` output).

``positions_pred`` is (samples, 2, joints) — x (column), y (row) of each
joint's confidence-map peak — and ``conf_pred`` (samples, joints) the peak
value in [0, 1] (a probability-like score). MATLAB's (joints x [x y] x frames)
arrays land on disk in this same order, so both writers read alike.
Joint names are not stored (they are in the skeleton of the labels ``.mat``):
pass ``keypoints=``, else they are named ``joint_0``, ``joint_1``, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import open_hdf5, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import build_pose


def read_leap_h5(path: str | Path, *, fps: float | None = None, keypoints: Sequence[str] | None = None) -> xr.Dataset:
    """Read a LEAP predictions ``.h5``.

    Parameters
    ----------
    path
        The HDF5 file with ``positions_pred`` and ``conf_pred``.
    fps
        Frame rate of the video the boxes were cut from.
    keypoints
        Joint names, in file order.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"probability"``).
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the LEAP predictions"):
        if "positions_pred" not in handle:
            raise InputFileError(path, "has no 'positions_pred' dataset, so it is not a LEAP predictions file")
        positions = handle["positions_pred"][()]
        confidence = handle["conf_pred"][()] if "conf_pred" in handle else None
    if positions.ndim != 3 or positions.shape[1] != 2:
        raise InputFileError(path, f"'positions_pred' has shape {positions.shape}, expected (samples, 2, joints)")
    if confidence is not None and confidence.shape != (positions.shape[0], positions.shape[2]):
        raise InputFileError(path, f"'conf_pred' {confidence.shape} does not match 'positions_pred' {positions.shape}")
    n_joints = positions.shape[2]
    if keypoints is None:
        warn_fixup(path, f"the file does not name its {n_joints} joints; named them joint_0.. (pass keypoints=)")
        keypoints = [f"joint_{i}" for i in range(n_joints)]
    elif len(keypoints) != n_joints:
        raise InputFileError(path, f"holds {n_joints} joints but {len(keypoints)} names were given")
    return build_pose(
        path,
        positions[..., None].astype(np.float32),
        None if confidence is None else confidence[..., None].astype(np.float32),
        keypoints=list(keypoints),
        individuals=["individual_0"],
        source_software="LEAP",
        confidence_kind="probability" if confidence is not None else "none",
        fps=fps,
    )
