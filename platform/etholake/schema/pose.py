"""The canonical pose model: one dataset per video, every tool's output mapped onto it.

``position`` (time, space, keypoint, individual) float32 in ``units`` (px or mm),
``confidence`` (time, keypoint, individual) float32, NaN where the tool gave none.
Coordinates: ``time`` (s, video clock), ``frame`` (int64 video frame index),
``space``, ``keypoint``, ``individual``; labelled-frame files add ``image_path``.
Missing points are NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.schema.checks import (
    as_string_coord,
    described,
    require_dims,
    require_dtype,
    require_schema_attrs,
    require_time_axis,
    require_unique_strings,
)

POSE_SCHEMA = "etholake.pose/1"
CONFIDENCE_KINDS = ("probability", "score", "none")
POSE_DIMS = ("time", "space", "keypoint", "individual")
POSE_ATTRS_SCHEMA = "pose.v1.json"


def make_pose_dataset(
    position: np.ndarray,
    *,
    keypoints: Sequence[str],
    individuals: Sequence[str],
    confidence: np.ndarray | None = None,
    fps: float | None = None,
    frames: np.ndarray | None = None,
    times: np.ndarray | None = None,
    space: Sequence[str] | None = None,
    source_software: str = "unknown",
    source_file: str = "",
    source_sha256: str = "",
    confidence_kind: str = "probability",
    units: str = "px",
    image_paths: Sequence[str] | None = None,
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Build a canonical pose dataset.

    Parameters
    ----------
    position
        Array (time, space, keypoint, individual); converted to float32.
    keypoints, individuals
        Names along the keypoint and individual dimensions.
    confidence
        Array (time, keypoint, individual), or None when the tool gives no score.
    fps
        Frame rate of the video; None if unknown (then ``time`` is NaN unless given).
    frames
        Video frame index of each row; defaults to 0, 1, 2, ...
    times
        Time of each row in seconds on the video clock; defaults to ``frames / fps``.
    space
        Names of the spatial axes; defaults to x, y (and z for 3-D data).
    source_software, source_file, source_sha256
        Provenance of the data.
    confidence_kind
        ``"probability"`` (0-1, DeepLabCut, LightningPose), ``"score"`` (unbounded,
        SLEAP) or ``"none"``.
    units
        ``"px"`` or ``"mm"``.
    image_paths
        For labelled-frame files: the image each row was labelled on.
    extra_attrs
        More attributes to keep (tool-specific metadata).

    Returns
    -------
    xarray.Dataset
        A dataset that passes :func:`validate_pose`.
    """
    position = np.asarray(position, dtype=np.float32)
    if position.ndim != 4:
        raise SchemaError(f"position must be 4-D (time, space, keypoint, individual), got shape {position.shape}")
    n_time, n_space, n_keypoints, n_individuals = position.shape
    if confidence is None:
        confidence = np.full((n_time, n_keypoints, n_individuals), np.nan, dtype=np.float32)
        if confidence_kind != "none":
            confidence_kind = "none"
    confidence = np.asarray(confidence, dtype=np.float32)
    frames = np.arange(n_time, dtype=np.int64) if frames is None else np.asarray(frames, dtype=np.int64)
    if times is None:
        times = frames / float(fps) if fps else np.full(n_time, np.nan)
    space = list(space) if space is not None else ["x", "y", "z"][:n_space]
    coords: dict[str, tuple | np.ndarray] = {
        "time": np.asarray(times, dtype=np.float64),
        "frame": ("time", frames),
        "space": as_string_coord(space),
        "keypoint": as_string_coord(keypoints),
        "individual": as_string_coord(individuals),
    }
    if image_paths is not None:
        coords["image_path"] = ("time", as_string_coord(image_paths))
    attrs = {
        "fps": float(fps) if fps else None,
        "source_software": source_software,
        "source_file": str(source_file),
        "source_sha256": source_sha256,
        "confidence_kind": confidence_kind,
        "units": units,
        "schema": POSE_SCHEMA,
    }
    attrs.update(extra_attrs or {})
    ds = xr.Dataset(
        {
            "position": (POSE_DIMS, position),
            "confidence": (("time", "keypoint", "individual"), confidence),
        },
        coords=coords,
        attrs=attrs,
    )
    validate_pose(ds)
    return ds


def validate_pose(ds: xr.Dataset) -> xr.Dataset:
    """Check that ``ds`` follows the canonical pose model; return it unchanged.

    Raises
    ------
    SchemaError
        With a message that says exactly which part is wrong.
    """
    what = described(ds, "pose")
    if not isinstance(ds, xr.Dataset):
        raise SchemaError(f"expected an xarray.Dataset, got {type(ds).__name__}")
    require_dims(ds, "position", POSE_DIMS, what)
    require_dims(ds, "confidence", ("time", "keypoint", "individual"), what)
    require_dtype(ds, "position", "f", what)
    require_dtype(ds, "confidence", "f", what)
    require_time_axis(ds, what)
    for coord in ("space", "keypoint", "individual"):
        require_unique_strings(ds, coord, what)
    space = [str(s) for s in ds["space"].values]
    if space not in (["x", "y"], ["x", "y", "z"]):
        raise SchemaError(f"{what}: space must be ['x', 'y'] or ['x', 'y', 'z'], got {space}")
    require_schema_attrs(ds, POSE_ATTRS_SCHEMA, what)
    return ds
