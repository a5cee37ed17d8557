"""A model-ready design matrix: spike counts and behavior probabilities on one bin grid."""

from __future__ import annotations

import numpy as np
import xarray as xr

from etholake.neural.align import bin_edges, resample_probabilities
from etholake.neural.clock import ClockMap
from etholake.neural.containers import Units


def design_matrix(
    units: Units,
    probabilities: xr.DataArray,
    *,
    bin_size: float = 0.05,
    clock_map: ClockMap | None = None,
    start: float | None = None,
    stop: float | None = None,
) -> xr.Dataset:
    """Bin spikes and behavior probabilities on one neural-clock grid.

    Parameters
    ----------
    units
        Units on the neural clock.
    probabilities
        (time, behavior); ``time`` on the video clock if ``clock_map`` is given.
    bin_size
        Bin width (s).
    clock_map
        Video-to-neural clock map.
    start, stop
        Grid range on the neural clock; defaults to the span of the probabilities.

    Returns
    -------
    xarray.Dataset
        ``spike_count`` (time, unit) int32 and ``probability`` (time, behavior) float32,
        ``time`` = bin centres; ``bin_start``/``bin_stop`` coordinates give the edges.
    """
    times = probabilities["time"].to_numpy().astype(np.float64)
    if clock_map is not None:
        times = clock_map(times)
    start = float(times.min()) if start is None else start
    stop = float(times.max()) if stop is None else stop
    edges = bin_edges(start, stop, bin_size)
    counts = (
        np.stack([np.diff(np.searchsorted(units.spike_train(p), edges)) for p in range(units.n_units)], axis=1).astype(
            np.int32
        )
        if units.n_units
        else np.zeros((edges.size - 1, 0), dtype=np.int32)
    )
    resampled = resample_probabilities(probabilities, edges, clock_map=clock_map)
    return xr.Dataset(
        {
            "spike_count": (("time", "unit"), counts),
            "probability": (("time", "behavior"), resampled.to_numpy()),
        },
        coords={
            "time": (edges[:-1] + edges[1:]) / 2,
            "bin_start": ("time", edges[:-1]),
            "bin_stop": ("time", edges[1:]),
            "unit": units.unit_ids,
            "behavior": resampled["behavior"].to_numpy(),
        },
        attrs={
            "bin_size": bin_size,
            "clock": "neural",
            "model_name": probabilities.attrs.get("model_name", ""),
            "model_version": probabilities.attrs.get("model_version", ""),
        },
    )
