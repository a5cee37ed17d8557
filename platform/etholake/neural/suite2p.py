"""Reading suite2p output (``F.npy`` + ``iscell.npy``) with a declared frame rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.neural.containers import make_traces


def read_suite2p(
    fluorescence_path: str | Path,
    iscell_path: str | Path | None = None,
    *,
    frame_rate: float,
    starting_time: float = 0.0,
    cells_only: bool = True,
) -> xr.DataArray:
    """Read suite2p fluorescence as a (time, channel) trace array.

    suite2p stores ``F`` as (roi, frame); the rate lives in ``ops.npy``, a pickle we never
    load, so the frame rate must be declared.

    Parameters
    ----------
    fluorescence_path
        ``F.npy`` (or ``Fneu.npy``, ``spks.npy``): float array (roi, frame).
    iscell_path
        ``iscell.npy`` (roi, 2): classifier decision and probability.
    frame_rate
        Imaging frame rate in Hz (per plane).
    starting_time
        Time of the first frame (s) on the imaging clock.
    cells_only
        Keep only ROIs classified as cells.

    Returns
    -------
    xarray.DataArray
        (time, channel), channel = suite2p ROI index, with coordinates ``is_cell`` and
        ``cell_probability`` when ``iscell.npy`` is given.
    """
    if not frame_rate or frame_rate <= 0:
        raise ValueError("declare the imaging frame rate (Hz): suite2p keeps it only in ops.npy")
    fluorescence = _load(fluorescence_path, ndim=2)
    n_rois = fluorescence.shape[0]
    roi = np.arange(n_rois)
    traces = make_traces(
        fluorescence.T,
        rate=frame_rate,
        starting_time=starting_time,
        channels=roi,
        units="a.u.",
        source_file=str(fluorescence_path),
        kind="calcium",
        extra_attrs={"source_software": "suite2p"},
    )
    if iscell_path is None:
        return traces
    iscell = _load(iscell_path, ndim=2)
    if iscell.shape[0] != n_rois:
        raise InputFileError(iscell_path, f"has {iscell.shape[0]} ROIs but {fluorescence_path} has {n_rois}")
    traces = traces.assign_coords(
        is_cell=("channel", iscell[:, 0].astype(bool)),
        cell_probability=("channel", iscell[:, 1].astype(np.float64) if iscell.shape[1] > 1 else np.nan),
    )
    return traces.isel(channel=traces["is_cell"].values) if cells_only else traces


def _load(path: str | Path, *, ndim: int) -> np.ndarray:
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable .npy array ({exc})") from exc
    if values.ndim != ndim or values.dtype.kind not in "iuf":
        raise InputFileError(path, f"expected a {ndim}-D numeric array, got {values.dtype} {values.shape}")
    return values
