"""movement poses netCDF files: etholake's own ``export pose --format netcdf`` and movement's ``ds.to_netcdf``.

A movement poses dataset has ``position`` (time, space, keypoints, individuals)
and ``confidence`` (time, keypoints, individuals), root attribute ``ds_type``
``"poses"`` and ``time_unit`` ``"seconds"`` or ``"frames"`` (the time
coordinate then holds frame numbers). Files etholake wrote also hold the
``frame`` (and ``image_path``) coordinates, other data variables, and every
attribute exactly as JSON in ``etholake_attrs``: they read back as the dataset
that was exported. A file from movement has no confidence kind or units:
confidences are taken as probabilities (movement's own loaders store
DeepLabCut likelihoods and SLEAP scores alike), units as pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import is_hdf5, require_readable_file, wrap_errors
from etholake.io._layout import build_pose
from etholake.io.export.netcdf import ATTRS_JSON, PLURAL_DIMS

NETCDF3_SIGNATURES = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
"""The first bytes of a netCDF3 file (classic, 64-bit offset, 64-bit data); netCDF4 files are HDF5."""

PROVENANCE_ATTRS = ("fps", "source_file", "source_sha256", "source_format", "schema", "ds_type", "time_unit")
"""Attributes that describe the file being read, set anew rather than restored."""


def read_netcdf_pose(path: str | Path, *, fps: float | None = None) -> xr.Dataset:
    """Read a movement poses netCDF file.

    Parameters
    ----------
    path
        The ``.nc`` file (netCDF4/HDF5 or netCDF3).
    fps
        Frame rate, for a file that states none; overrides the one it states.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset.
    """
    path = require_readable_file(path)
    with open(path, "rb") as handle:
        signature = handle.read(4)
    if signature not in NETCDF3_SIGNATURES and not is_hdf5(path):
        raise InputFileError(path, "is not a netCDF file (neither netCDF4/HDF5 nor netCDF3)")
    with wrap_errors(path, "cannot read the netCDF file"), xr.open_dataset(path) as stored:
        stored = stored.load()
    if "position" not in stored.data_vars:
        raise InputFileError(path, "holds no 'position' variable, so it is not a movement poses file")
    renamed = stored.rename({plural: singular for singular, plural in PLURAL_DIMS.items() if plural in stored.dims})
    exact = _exact_attrs(path, stored.attrs)
    fps = fps or exact.get("fps") or stored.attrs.get("fps") or None
    frames, times = _frames_and_times(path, renamed, fps)
    position = renamed["position"].transpose("time", "space", "keypoint", "individual").values
    has_confidence = "confidence" in renamed.data_vars
    confidence = renamed["confidence"].transpose("time", "keypoint", "individual").values if has_confidence else None
    kind = exact.get("confidence_kind", "probability" if has_confidence else "none")
    ds = build_pose(
        path,
        position,
        confidence,
        keypoints=[str(name) for name in renamed["keypoint"].values],
        individuals=[str(name) for name in renamed["individual"].values],
        space=[str(name) for name in renamed["space"].values],
        source_software=str(exact.get("source_software") or stored.attrs.get("source_software") or "movement"),
        confidence_kind=kind,
        fps=fps,
        frames=frames,
        times=times,
        units=str(exact.get("units", "px")),
        image_paths=[str(p) for p in renamed["image_path"].values] if "image_path" in renamed.coords else None,
        extra_attrs={name: value for name, value in exact.items() if name not in PROVENANCE_ATTRS},
    )
    for name, variable in renamed.data_vars.items():
        if name not in ("position", "confidence") and "time" in variable.dims:
            ds[name] = (variable.dims, variable.values)
    return ds


def _exact_attrs(path: Path, attrs: dict) -> dict:
    """The attributes etholake stored as JSON, or none for a file another tool wrote."""
    if ATTRS_JSON not in attrs:
        return {}
    try:
        exact = json.loads(attrs[ATTRS_JSON])
    except json.JSONDecodeError as error:
        raise InputFileError(path, f"attribute {ATTRS_JSON!r} is not valid JSON ({error})") from error
    if not isinstance(exact, dict):
        raise InputFileError(path, f"attribute {ATTRS_JSON!r} is not a JSON object")
    return exact


def _frames_and_times(path: Path, ds: xr.Dataset, fps: float | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Frame numbers and times (None: frames / fps) from the ``frame`` coordinate or movement's ``time_unit``."""
    time_unit = str(ds.attrs.get("time_unit", "seconds"))
    if time_unit not in ("seconds", "frames"):
        raise InputFileError(path, f"time_unit is {time_unit!r}, expected 'seconds' or 'frames'")
    stored_times = ds["time"].values.astype(np.float64)
    if "frame" in ds.coords:
        frames = ds["frame"].values.astype(np.int64)
    elif time_unit == "frames":
        frames = np.round(stored_times).astype(np.int64)
    elif fps:
        frames = np.round(stored_times * fps).astype(np.int64)
    else:
        raise InputFileError(path, "times are in seconds but the file states no fps: pass fps= to number the frames")
    if time_unit == "seconds":
        return frames, stored_times
    return frames, None
