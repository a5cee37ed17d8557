"""Reading calcium imaging traces (NWB ``RoiResponseSeries``) as (time, channel) arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.neural.containers import make_traces
from etholake.neural.nwb_files import find_nwb_object, open_nwb


def read_nwb_roi_response(path: str | Path, name: str) -> xr.DataArray:
    """Read an NWB ``RoiResponseSeries`` (fluorescence, dF/F) as a canonical trace array.

    Parameters
    ----------
    path
        NWB file.
    name
        Name or path of the series (e.g. ``"processing/ophys/Fluorescence/RoiResponseSeries"``).

    Returns
    -------
    xarray.DataArray
        (time, channel) with ``channel`` the ROI ids of the referenced plane segmentation.
        Values are in the series' ``unit`` (``data * conversion + offset``, as NWB defines
        them), float32 for data of up to 16 bits and float64 otherwise.
    """
    with open_nwb(path) as nwbfile:
        series = find_nwb_object(nwbfile, name, path)
        if not hasattr(series, "rois"):
            raise InputFileError(path, f"{name!r} is a {type(series).__name__}, not a RoiResponseSeries")
        data = _in_unit(np.asarray(series.data[:]), series.conversion, series.offset)
        if data.ndim == 1:
            data = data[:, None]
        rois = np.asarray(series.rois.data[:])
        roi_ids = np.asarray(series.rois.table.id.data[:])[rois]
        times = None if series.timestamps is None else np.asarray(series.timestamps[:], dtype=np.float64)
        rate = series.rate
        unit = series.unit
        start = series.starting_time or 0.0
    if data.shape[1] != roi_ids.size and data.shape[0] == roi_ids.size:
        raise InputFileError(path, f"{name!r} is stored (roi, time) {data.shape}; NWB requires (time, roi)")
    return make_traces(
        data, times=times, rate=rate, starting_time=start, channels=roi_ids, units=unit, source_file=str(path)
    )


def _in_unit(data: np.ndarray, conversion: float, offset: float) -> np.ndarray:
    """``data * conversion + offset``, computed in place on ``data`` as float (float32 if that holds it exactly)."""
    values = data.astype(np.result_type(data.dtype, np.float32), copy=False)
    if conversion != 1.0:
        values *= conversion
    if offset != 0.0:
        values += offset
    return values
