"""Hand-over to and from the ``movement`` package.

etholake uses movement's current singular dimension names (``keypoint``,
``individual``); movement 0.15, the newest release installable here, still
expects ``keypoints`` and ``individuals`` and requires ``time`` in seconds with
``fps`` and ``source_software`` attributes.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from etholake.schema.pose import make_pose_dataset

_TO_PLURAL = {"keypoint": "keypoints", "individual": "individuals"}


def _movement_uses_plural() -> bool:
    """Whether the installed movement names its dimensions ``keypoints``/``individuals`` (0.15 and older)."""
    try:
        from movement.validators.datasets import ValidPosesInputs
    except ImportError:
        return True
    return "keypoints" in getattr(ValidPosesInputs, "DIM_NAMES", ("keypoints",))


def to_movement(ds: xr.Dataset) -> xr.Dataset:
    """Return ``ds`` as the installed ``movement`` expects a poses dataset.

    Parameters
    ----------
    ds
        A canonical etholake pose dataset.

    Returns
    -------
    xarray.Dataset
        ``position`` and ``confidence`` with movement's dimension names, no
        ``frame`` or ``image_path`` coordinates and attributes that serialise
        (none is None). When a time is unknown (no fps), ``time`` holds the
        frame numbers and ``time_unit`` is ``"frames"``, as movement does.
    """
    times, time_unit = movement_time(ds)
    out = ds.drop_vars([c for c in ("frame", "image_path") if c in ds.coords]).assign_coords(time=times)
    if _movement_uses_plural():
        out = out.rename({k: v for k, v in _TO_PLURAL.items() if k in out.dims})
    attrs = {
        "fps": ds.attrs.get("fps"),
        "source_software": ds.attrs.get("source_software"),
        "source_file": ds.attrs.get("source_file"),
        "ds_type": "poses",
        "time_unit": time_unit,
    }
    out.attrs = {name: value for name, value in attrs.items() if value is not None}
    return out


def movement_time(ds: xr.Dataset) -> tuple[np.ndarray, str]:
    """The time coordinate movement gets and its ``time_unit``: seconds when every time is known, else frame numbers."""
    times = ds["time"].values
    if np.all(np.isfinite(times)):
        return times, "seconds"
    return ds["frame"].values.astype(np.int64), "frames"


def from_movement(ds: xr.Dataset, *, units: str = "px") -> xr.Dataset:
    """Build a canonical pose dataset from a movement poses dataset.

    A ``time_unit`` of ``"frames"`` makes the time coordinate the frame numbers
    (times are then frames / fps, or NaN without one).
    """
    renamed = ds.rename({v: k for k, v in _TO_PLURAL.items() if v in ds.dims})
    position = renamed["position"].transpose("time", "space", "keypoint", "individual")
    confidence = renamed["confidence"].transpose("time", "keypoint", "individual")
    fps = renamed.attrs.get("fps")
    in_frames = renamed.attrs.get("time_unit") == "frames"
    if in_frames:
        frames = renamed["time"].values.round().astype("int64")
    else:
        frames = (renamed["time"].values * fps).round().astype("int64") if fps else None
    return make_pose_dataset(
        position.values,
        confidence=confidence.values,
        keypoints=[str(k) for k in renamed["keypoint"].values],
        individuals=[str(i) for i in renamed["individual"].values],
        space=[str(s) for s in renamed["space"].values],
        fps=fps,
        frames=frames,
        times=renamed["time"].values if fps is None and not in_frames else None,
        source_software=str(renamed.attrs.get("source_software") or "movement"),
        source_file=str(renamed.attrs.get("source_file") or ""),
        confidence_kind="probability",
        units=units,
    )
