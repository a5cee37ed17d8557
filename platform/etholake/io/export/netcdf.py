"""Write pose datasets as netCDF files that ``movement`` opens as poses datasets.

``movement`` (0.15) saves and loads poses with ``xarray`` netCDF and checks
for the variables ``position`` and ``confidence``, the dimensions ``time``,
``space``, ``keypoints``, ``individuals`` (plural) and the attributes
``ds_type`` (``"poses"``), ``source_software``, ``fps`` and ``time_unit``.
The file keeps everything else of the canonical dataset so that it reads
back losslessly: the ``frame`` (and ``image_path``) coordinates along time,
other data variables, and every attribute. netCDF attributes cannot be None
or bool, so the exact attributes are also stored as JSON in
``etholake_attrs``; attributes netCDF can hold are stored as themselves too.
When the frame rate is unknown the ``time`` coordinate holds frame numbers
and ``time_unit`` is ``"frames"``, as in movement.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from etholake.output_files import output_path
from etholake.schema.movement import movement_time
from etholake.schema.pose import validate_pose

PLURAL_DIMS = {"keypoint": "keypoints", "individual": "individuals"}
ATTRS_JSON = "etholake_attrs"
_COMPRESSED = {"zlib": True, "complevel": 4}


def _netcdf_attr(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def movement_dataset(ds: xr.Dataset) -> xr.Dataset:
    """Return the canonical pose dataset in movement's layout, with all etholake content kept.

    Parameters
    ----------
    ds
        Canonical pose dataset.

    Returns
    -------
    xarray.Dataset
        Plural dimension names, movement's attributes, ``frame`` kept as a
        coordinate along time, exact attributes in ``etholake_attrs`` (JSON).
    """
    validate_pose(ds)
    times, time_unit = movement_time(ds)
    out = ds.rename(PLURAL_DIMS).assign_coords(time=times)
    attrs = {name: value for name, value in ds.attrs.items() if _netcdf_attr(value)}
    attrs.update(
        {
            "ds_type": "poses",
            "source_software": str(ds.attrs.get("source_software") or "unknown"),
            "time_unit": time_unit,
            ATTRS_JSON: json.dumps(ds.attrs, default=str),
        }
    )
    out.attrs = attrs
    for name in out.coords:
        if out[name].dtype == object:
            out[name] = out[name].astype(str)
    return out


def export_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a pose dataset as a movement-compatible netCDF file.

    Parameters
    ----------
    ds
        Canonical pose dataset.
    path
        Output ``.nc`` file.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> export_netcdf(ds, "session.nc")  # doctest: +SKIP
    >>> movement_ds = xarray.open_dataset("session.nc")  # doctest: +SKIP
    """
    path = output_path(path)
    out = movement_dataset(ds)
    encoding = {name: dict(_COMPRESSED) for name in out.data_vars}
    out.to_netcdf(path, encoding=encoding)
    return path
