"""The canonical video model: every frame's presentation time, with what the container says.

``pts`` (time) float64 is the presentation time of every frame in seconds on
the container clock, in display order, with the ``frame`` index along time.
The attributes (``schemas/video.v1.json``) are those of
:func:`etholake.io.video.probe_video`: codec, size, rational frame rate, time
base, the frame count the header claims next to the packets found, the file's
sha256, plus ``source_file``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.schema.checks import described, require_dims, require_dtype, require_schema_attrs

VIDEO_SCHEMA = "etholake.video/1"
VIDEO_ATTRS_SCHEMA = "video.v1.json"


def make_video_dataset(pts: np.ndarray, info: dict[str, Any], *, source_file: str) -> xr.Dataset:
    """Build and validate a canonical video dataset.

    Parameters
    ----------
    pts
        Presentation time of every frame in seconds, in display order
        (:func:`etholake.io.video.frame_timestamps`).
    info
        :func:`etholake.io.video.probe_video` of the file, with its ``sha256``
        (``path`` is dropped: ``source_file`` names the file).
    source_file
        Where the video was read.

    Returns
    -------
    xarray.Dataset
        A dataset that passes :func:`validate_video`.
    """
    pts = np.asarray(pts, dtype=np.float64)
    attrs = {**{k: v for k, v in info.items() if k != "path"}, "source_file": str(source_file), "schema": VIDEO_SCHEMA}
    ds = xr.Dataset(
        {"pts": ("time", pts)},
        coords={"frame": ("time", np.arange(pts.size, dtype=np.int64))},
        attrs=attrs,
    )
    return validate_video(ds)


def validate_video(ds: xr.Dataset) -> xr.Dataset:
    """Check that ``ds`` follows the canonical video model; return it unchanged.

    Raises
    ------
    SchemaError
        With a message that says exactly which part is wrong.
    """
    what = described(ds, "video")
    require_dims(ds, "pts", ("time",), what)
    require_dtype(ds, "pts", "f", what)
    require_schema_attrs(ds, VIDEO_ATTRS_SCHEMA, what)
    if "frame" not in ds.coords or ds["frame"].dims != ("time",):
        raise SchemaError(f"{what}: missing coordinate 'frame' along 'time'")
    pts = np.asarray(ds["pts"].values)
    if pts.size != ds.attrs["packet_count"]:
        raise SchemaError(f"{what}: {pts.size} frame times but packet_count is {ds.attrs['packet_count']}")
    if np.any(~np.isfinite(pts)) or np.any(np.diff(pts) < 0):
        raise SchemaError(f"{what}: 'pts' must be finite and in display order (non-decreasing)")
    return ds
