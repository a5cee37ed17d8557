"""Putting behavior on the neural clock: frames, bouts, probabilities and per-bout spike counts.

Bout edges are the bouts table's ``start_time`` and ``stop_time`` (seconds on the video
clock, ``stop_time`` being the end of the bout); frames are timed by the pose/probability
``time`` coordinate, which already accounts for dropped frames (see
:func:`etholake.neural.frames.repair_dropped_frames`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from etholake.neural.clock import ClockMap
from etholake.neural.containers import Units
from etholake.neural.fixups import warn_fixup

BOUT_COLUMNS = ("behavior", "start_time", "stop_time")


def align_frames(frame_times: np.ndarray, clock_map: ClockMap) -> pd.DataFrame:
    """Neural-clock time of every frame.

    Returns
    -------
    pandas.DataFrame
        ``frame``, ``source_time``, ``neural_time`` and ``extrapolated`` (outside the sync pulses).
    """
    frame_times = np.asarray(frame_times, dtype=np.float64)
    extrapolated = clock_map.extrapolated(frame_times)
    if extrapolated.any():
        warn_fixup(
            f"{int(extrapolated.sum())} of {frame_times.size} frames lie outside the sync pulses; their "
            "neural times are linearly extrapolated (column 'extrapolated')"
        )
    return pd.DataFrame(
        {
            "frame": np.arange(frame_times.size, dtype=np.int64),
            "source_time": frame_times,
            "neural_time": clock_map(frame_times),
            "extrapolated": extrapolated,
        }
    )


def align_bouts(bouts: pd.DataFrame, clock_map: ClockMap) -> pd.DataFrame:
    """Add neural-clock bout edges ``start`` and ``stop`` (s), ``bout`` (number within its behavior)
    and ``extrapolated`` (either edge outside the sync pulses) to a bouts table."""
    missing = [c for c in BOUT_COLUMNS if c not in bouts.columns]
    if missing:
        raise ValueError(f"bouts table lacks columns {missing} (has {list(bouts.columns)})")
    aligned = bouts.sort_values(["behavior", "start_time"], kind="stable").reset_index(drop=True)
    aligned["bout"] = aligned.groupby("behavior", sort=False).cumcount().astype(np.int64)
    start_time = aligned["start_time"].to_numpy(dtype=np.float64)
    stop_time = aligned["stop_time"].to_numpy(dtype=np.float64)
    aligned["start"] = clock_map(start_time)
    aligned["stop"] = clock_map(stop_time)
    aligned["extrapolated"] = clock_map.extrapolated(start_time) | clock_map.extrapolated(stop_time)
    if aligned["extrapolated"].any():
        warn_fixup(f"{int(aligned['extrapolated'].sum())} bout(s) reach outside the sync pulses (extrapolated)")
    return aligned


def bin_edges(start: float, stop: float, bin_size: float) -> np.ndarray:
    """Edges of bins of ``bin_size`` s from ``start`` covering ``stop``."""
    n_bins = int(np.ceil((stop - start) / bin_size - 1e-9))
    return start + np.arange(n_bins + 1) * bin_size


def resample_probabilities(
    probabilities: xr.DataArray, edges: np.ndarray, *, clock_map: ClockMap | None = None
) -> xr.DataArray:
    """Mean behavior probability in each neural time bin.

    Parameters
    ----------
    probabilities
        (time, behavior); ``time`` on the video clock when ``clock_map`` is given, else
        already on the neural clock.
    edges
        Bin edges on the neural clock (s).
    clock_map
        Map from the video clock to the neural clock.

    Returns
    -------
    xarray.DataArray
        (time, behavior) float32 with ``time`` the bin centres; empty bins are interpolated
        linearly between their neighbours, and NaN when their centre lies beyond the first
        or last frame.
    """
    times = probabilities["time"].to_numpy().astype(np.float64)
    if clock_map is not None:
        times = clock_map(times)
    order = np.argsort(times, kind="stable")
    values = probabilities.transpose("time", "behavior").to_numpy().astype(np.float64)[order]
    times = times[order]
    edges = np.asarray(edges, dtype=np.float64)
    boundaries = np.searchsorted(times, edges)
    finite = np.nan_to_num(values)
    cumulative = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(finite, axis=0)])
    counts = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(np.isfinite(values), axis=0)])
    sums = cumulative[boundaries[1:]] - cumulative[boundaries[:-1]]
    n_frames = counts[boundaries[1:]] - counts[boundaries[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n_frames
    centres = (edges[:-1] + edges[1:]) / 2
    inside = (centres >= times[0]) & (centres <= times[-1])
    for column in range(mean.shape[1]):
        known = np.isfinite(mean[:, column])
        if known.any():
            filled = np.interp(centres, centres[known], mean[known, column])
            mean[:, column] = np.where(known | inside, filled, np.nan)
    return xr.DataArray(
        mean.astype(np.float32),
        dims=("time", "behavior"),
        coords={"time": centres, "behavior": probabilities["behavior"].to_numpy()},
        attrs={**probabilities.attrs, "clock": "neural", "bin_size": float(np.median(np.diff(edges)))},
    )


def interval_spike_counts(units: Units, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Spikes of every unit in every interval [start, stop): array (unit, interval) int64."""
    starts = np.asarray(starts, dtype=np.float64)
    stops = np.asarray(stops, dtype=np.float64)
    counts = np.empty((units.n_units, starts.size), dtype=np.int64)
    for position in range(units.n_units):
        train = units.spike_train(position)
        counts[position] = np.searchsorted(train, stops) - np.searchsorted(train, starts)
    return counts


def bout_spike_table(
    units: Units, aligned_bouts: pd.DataFrame, recording: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Long table unit x behavior x bout with neural-clock ``start``, ``stop``, ``spike_count`` and ``rate``.

    Parameters
    ----------
    units
        Units on the neural clock.
    aligned_bouts
        Output of :func:`align_bouts`.
    recording
        (start, stop) of the time the units were recorded, on the neural clock. When given,
        ``recorded_s`` is the part of each bout inside it and the count and rate cover that
        part only: a bout outside it has no count (<NA>) and a NaN rate, not 0 spikes.
    """
    starts = aligned_bouts["start"].to_numpy(dtype=np.float64)
    stops = aligned_bouts["stop"].to_numpy(dtype=np.float64)
    recorded_start, recorded_stop = (starts, stops) if recording is None else _within(starts, stops, recording)
    recorded = np.maximum(recorded_stop - recorded_start, 0.0)
    counts = interval_spike_counts(units, recorded_start, np.maximum(recorded_stop, recorded_start))
    n_bouts = starts.size
    spike_count = pd.array(counts.ravel(), dtype="Int64")
    spike_count[np.tile(recorded <= 0, units.n_units)] = pd.NA
    table = pd.DataFrame(
        {
            "unit_id": np.repeat(units.unit_ids, n_bouts),
            "behavior": np.tile(aligned_bouts["behavior"].astype(str).to_numpy(), units.n_units),
            "bout": np.tile(aligned_bouts["bout"].to_numpy(dtype=np.int64), units.n_units),
            "start": np.tile(starts, units.n_units),
            "stop": np.tile(stops, units.n_units),
            "duration": np.tile(stops - starts, units.n_units),
            "spike_count": spike_count,
            "rate": (counts / np.where(recorded > 0, recorded, np.nan)).ravel(),
        }
    )
    if recording is not None:
        table.insert(6, "recorded_s", np.tile(recorded, units.n_units))
    return table


def _within(starts: np.ndarray, stops: np.ndarray, window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    return np.clip(starts, *window), np.clip(stops, *window)
