"""Writers of canonical pose datasets in the formats other tools read.

``dlc`` (DeepLabCut ``.h5``/``.csv``), ``sleap`` (SLEAP analysis ``.h5``),
``nwb`` (NWB with ndx-pose 0.4) and ``netcdf`` (movement-compatible netCDF).
Each writer lays the file out as the tool itself does, so the pose readers
read it back to the same positions, confidence (where the format keeps it),
names and frames.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xarray as xr

from etholake.errors import ExportError
from etholake.io.export.dlc import export_dlc
from etholake.io.export.netcdf import export_netcdf
from etholake.io.export.nwb import export_nwb
from etholake.io.export.sleap import export_sleap_analysis

EXPORTERS: dict[str, Callable[..., Path]] = {
    "dlc": export_dlc,
    "sleap": export_sleap_analysis,
    "nwb": export_nwb,
    "netcdf": export_netcdf,
}

__all__ = ["EXPORTERS", "export_dlc", "export_netcdf", "export_nwb", "export_pose", "export_sleap_analysis"]


def export_pose(ds: xr.Dataset, path: str | Path, format: str, **options) -> Path:
    """Write a canonical pose dataset to ``path`` in ``format``.

    Parameters
    ----------
    ds
        Canonical pose dataset (see :mod:`etholake.schema.pose`).
    path
        Output file (``.h5``/``.csv`` for ``dlc``, ``.h5`` for ``sleap``,
        ``.nwb``, ``.nc``).
    format
        One of :data:`EXPORTERS`.
    **options
        Passed to the format's writer (e.g. ``scorer=`` for ``dlc``,
        ``timestamps=`` and ``subject=`` for ``nwb``, ``edges=`` for ``sleap``).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> export_pose(ds, "m3v1mp4DLC.h5", "dlc")  # doctest: +SKIP
    """
    if format not in EXPORTERS:
        raise ExportError(f"unknown pose export format {format!r}; known: {', '.join(EXPORTERS)}")
    return EXPORTERS[format](ds, path, **options)
