"""Explicit repairs of common defects in event times and interval tables.

Every repair emits a :class:`NeuralInputWarning` saying what was changed and where,
so fixed-up input is never silent.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


class NeuralInputWarning(UserWarning):
    """Neural or sync input was repaired on reading (sorted, filled, dropped)."""


def warn_fixup(message: str) -> None:
    warnings.warn(message, NeuralInputWarning, stacklevel=3)


def sorted_event_times(times: np.ndarray, what: str) -> np.ndarray:
    """Return finite ``times`` sorted ascending, warning if anything had to change.

    Parameters
    ----------
    times
        Event times in seconds.
    what
        Description used in warnings (file and series name).
    """
    times = np.asarray(times, dtype=np.float64).ravel()
    finite = np.isfinite(times)
    if not finite.all():
        warn_fixup(f"{what}: dropped {int((~finite).sum())} non-finite event times of {times.size}")
        times = times[finite]
    if np.any(np.diff(times) < 0):
        n_backwards = int(np.sum(np.diff(times) < 0))
        warn_fixup(f"{what}: event times were not sorted ({n_backwards} steps backwards); sorted them")
        times = np.sort(times, kind="stable")
    return times


def repaired_intervals(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """Fill NaN stop times, sort by start and report overlaps of an interval table.

    A NaN ``stop_time`` becomes the next interval's ``start_time``; the last one
    becomes its start plus the median duration of the complete intervals (or, when
    none is complete, the median interval between starts). A column ``stop_time_filled`` marks the filled
    rows. Overlapping intervals are kept as they are, with a warning.

    Parameters
    ----------
    table
        Frame with ``start_time`` and ``stop_time`` columns (seconds).
    what
        Description used in warnings.
    """
    table = table.copy()
    if table["start_time"].isna().any():
        n_missing = int(table["start_time"].isna().sum())
        warn_fixup(f"{what}: dropped {n_missing} intervals without a start time")
        table = table[table["start_time"].notna()]
    start = table["start_time"].to_numpy(dtype=np.float64)
    if np.any(np.diff(start) < 0):
        warn_fixup(f"{what}: intervals were not sorted by start time; sorted them")
        table = table.sort_values("start_time", kind="stable")
        start = table["start_time"].to_numpy(dtype=np.float64)
    stop = table["stop_time"].to_numpy(dtype=np.float64).copy()
    missing = ~np.isfinite(stop)
    if missing.any():
        next_start = np.append(start[1:], np.nan)
        complete = ~missing
        if complete.any():
            median_duration = float(np.median(stop[complete] - start[complete]))
        else:
            median_duration = float(np.median(np.diff(start))) if start.size > 1 else 0.0
        last_fill = start + median_duration
        stop[missing] = np.where(np.isfinite(next_start[missing]), next_start[missing], last_fill[missing])
        warn_fixup(
            f"{what}: {int(missing.sum())} of {missing.size} stop times are NaN; set each to the next "
            "interval's start time (the last one to its start plus the median duration); "
            "column 'stop_time_filled' marks them"
        )
    table["stop_time"] = stop
    table["stop_time_filled"] = missing
    if np.any(stop < start):
        raise ValueError(f"{what}: {int(np.sum(stop < start))} intervals stop before they start")
    overlaps = int(np.sum(start[1:] < np.maximum.accumulate(stop)[:-1])) if len(start) > 1 else 0
    if overlaps:
        warn_fixup(f"{what}: {overlaps} intervals overlap the one before; kept as they are (not merged)")
    return table
