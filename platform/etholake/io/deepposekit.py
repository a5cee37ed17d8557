"""DeepPoseKit ``.h5`` files: annotation sets and saved predictions.

An annotation set (``deepposekit.io.DataGenerator``) holds ``images`` (n,
height, width, channels), ``annotations`` (n, keypoints, 2), ``annotated``
(n, keypoints) booleans and ``skeleton`` (keypoints, 2: parent, swap index).
Its rows are images, so the result keeps ``image_path`` (``images/<i>``) and
``frame`` is the image index; only images with at least one annotated
keypoint are kept and unannotated keypoints are NaN.

Predictions (``model.predict`` output saved as a ``predictions`` dataset of
shape (frames, keypoints, 3): x, y, confidence) have one row per frame; the
confidence is the peak of a confidence map (0-1).

Neither layout stores keypoint names (they live in the skeleton CSV used to
build the set): pass ``keypoints=``, else they are named ``keypoint_0``, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import open_hdf5, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import build_pose, mask_zero_points


def read_deepposekit_h5(
    path: str | Path, *, fps: float | None = None, keypoints: Sequence[str] | None = None
) -> xr.Dataset:
    """Read a DeepPoseKit annotation set or predictions ``.h5``.

    Parameters
    ----------
    path
        The HDF5 file.
    fps
        Frame rate of the video the frames came from.
    keypoints
        Keypoint names, in file order.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"probability"`` for
        predictions, ``"none"`` for annotations).
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the DeepPoseKit arrays"):
        if isinstance(handle.get("predictions"), h5py.Dataset):
            return _predictions(path, handle["predictions"][()], fps, keypoints)
        if not {"annotations", "annotated"} <= set(handle):
            raise InputFileError(
                path, "has neither 'predictions' nor 'annotations'+'annotated', so it is not DeepPoseKit"
            )
        annotations = handle["annotations"][()]
        annotated = handle["annotated"][()].astype(bool)
    if annotations.ndim != 3 or annotations.shape[2] != 2 or annotated.shape != annotations.shape[:2]:
        raise InputFileError(
            path,
            f"'annotations' {annotations.shape} and 'annotated' {annotated.shape} are not "
            "(n, keypoints, 2) and (n, keypoints)",
        )
    rows = np.flatnonzero(annotated.any(axis=1))
    if rows.size == 0:
        raise InputFileError(path, "no image of the annotation set is annotated")
    position = np.where(annotated[rows, :, None], annotations[rows], np.nan).transpose(0, 2, 1)[..., None]
    return build_pose(
        path,
        position.astype(np.float32),
        None,
        keypoints=_keypoint_names(path, keypoints, annotations.shape[1]),
        individuals=["individual_0"],
        source_software="DeepPoseKit",
        confidence_kind="none",
        fps=fps,
        frames=rows.astype(np.int64),
        image_paths=[f"images/{i}" for i in rows],
    )


def _predictions(path: Path, predictions: np.ndarray, fps: float | None, keypoints: Sequence[str] | None) -> xr.Dataset:
    if predictions.ndim != 3 or predictions.shape[2] != 3:
        raise InputFileError(path, f"'predictions' has shape {predictions.shape}, expected (frames, keypoints, 3)")
    position = np.ascontiguousarray(predictions[:, :, :2].transpose(0, 2, 1)[..., None], dtype=np.float32)
    confidence = np.ascontiguousarray(predictions[:, :, 2:], dtype=np.float32)
    mask_zero_points(path, position, confidence)
    return build_pose(
        path,
        position,
        confidence,
        keypoints=_keypoint_names(path, keypoints, predictions.shape[1]),
        individuals=["individual_0"],
        source_software="DeepPoseKit",
        confidence_kind="probability",
        fps=fps,
    )


def _keypoint_names(path: Path, keypoints: Sequence[str] | None, n_keypoints: int) -> list[str]:
    if keypoints is None:
        warn_fixup(
            path, f"the file does not name its {n_keypoints} keypoints; named them keypoint_0.. (pass keypoints=)"
        )
        return [f"keypoint_{i}" for i in range(n_keypoints)]
    if len(keypoints) != n_keypoints:
        raise InputFileError(path, f"holds {n_keypoints} keypoints but {len(keypoints)} names were given")
    return list(keypoints)
