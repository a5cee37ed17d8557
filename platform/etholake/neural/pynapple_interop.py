"""Conversion between etholake neural objects and pynapple (Ts, TsGroup, IntervalSet, Tsd, TsdFrame).

pynapple traps avoided here: an ``IntervalSet`` silently joins overlapping intervals
(and then drops its metadata), so bouts become one ``IntervalSet`` per behavior and any
overlap inside one behavior is merged here, with a warning; ``TsGroup`` keys must be
integers, so non-integer unit ids travel in a ``unit_id`` metadata column; a unit with
one spike gets a zero-length time support unless one is given, so the recording range
is always passed; ``TsGroup`` adds a ``rate`` column, dropped on the way back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import EtholakeError
from etholake.neural.containers import Units, make_traces
from etholake.neural.fixups import warn_fixup

BOUT_METADATA = ("score", "mean_probability", "max_probability", "model_version", "annotator")


def _nap():
    try:
        import pynapple
    except ImportError as error:
        raise EtholakeError("pynapple interop needs pynapple: pip install 'etholake[nwb]'") from error
    return pynapple


def units_to_tsgroup(units: Units, *, time_support: tuple[float, float] | None = None):
    """Units as a ``pynapple.TsGroup`` with the unit metadata table.

    Parameters
    ----------
    units
        Units to convert.
    time_support
        (start, stop) of the recording; defaults to the first and last spike.
    """
    nap = _nap()
    if time_support is None:
        time_support = (
            (float(units.spike_times.min()), float(units.spike_times.max())) if units.spike_times.size else (0.0, 0.0)
        )
    support = nap.IntervalSet(start=time_support[0], end=time_support[1])
    ids = units.unit_ids
    integer_ids = pd.api.types.is_integer_dtype(np.asarray(ids).dtype)
    keys = [int(i) for i in ids] if integer_ids else list(range(units.n_units))
    trains = {key: nap.Ts(t=units.spike_train(p), time_support=support) for p, key in enumerate(keys)}
    metadata = units.metadata.reset_index(drop=integer_ids).set_axis(keys)
    metadata = metadata.drop(columns=[c for c in ("rate",) if c in metadata.columns])
    return nap.TsGroup(trains, time_support=support, metadata=metadata)


def units_from_tsgroup(group, *, clock: str = "neural") -> Units:
    """A ``pynapple.TsGroup`` as :class:`Units` (metadata kept, pynapple's ``rate`` dropped)."""
    keys = list(group.keys())
    metadata = group.metadata.copy() if hasattr(group, "metadata") else pd.DataFrame(index=keys)
    metadata = metadata.drop(columns=[c for c in ("rate",) if c in metadata.columns])
    if "unit_id" in metadata.columns:
        metadata = metadata.set_index("unit_id")
    else:
        metadata.index = pd.Index(keys, name="unit_id")
    trains = [np.asarray(group[key].index, dtype=np.float64) for key in keys]
    return Units.from_spike_trains(trains, metadata=metadata, clock=clock)


def bouts_to_interval_sets(aligned_bouts: pd.DataFrame, *, start: str = "start", stop: str = "stop") -> dict:
    """One ``pynapple.IntervalSet`` per behavior, with bout scores as metadata.

    Overlapping bouts of one behavior are merged here (metadata of merged bouts is
    dropped, as pynapple would) with a warning; bouts of different behaviors never mix.

    Parameters
    ----------
    aligned_bouts
        Bouts with a ``behavior`` column and edges in ``start``/``stop`` (neural clock).
    """
    nap = _nap()
    sets = {}
    for behavior, bouts in aligned_bouts.groupby("behavior", sort=True):
        bouts = bouts.sort_values(start, kind="stable")
        starts = bouts[start].to_numpy(dtype=np.float64)
        stops = bouts[stop].to_numpy(dtype=np.float64)
        overlapping = starts[1:] < np.maximum.accumulate(stops)[:-1]
        if overlapping.any():
            warn_fixup(f"behavior {behavior!r}: {int(overlapping.sum())} bouts overlap the one before; merged them")
            group = np.concatenate([[0], np.cumsum(~overlapping)])
            merged = pd.DataFrame({"start": starts, "stop": stops, "group": group}).groupby("group")
            sets[str(behavior)] = nap.IntervalSet(
                start=merged["start"].min().to_numpy(), end=merged["stop"].max().to_numpy()
            )
            continue
        metadata = {c: bouts[c].to_numpy() for c in BOUT_METADATA if c in bouts.columns}
        sets[str(behavior)] = nap.IntervalSet(start=starts, end=stops, metadata=metadata or None)
    return sets


def interval_sets_to_bouts(interval_sets: dict) -> pd.DataFrame:
    """Behavior -> ``IntervalSet`` mapping as a bouts table (``behavior``, ``start``, ``stop`` and metadata)."""
    frames = []
    for behavior, intervals in interval_sets.items():
        frame = pd.DataFrame({"behavior": str(behavior), "start": intervals.start, "stop": intervals.end})
        metadata = getattr(intervals, "metadata", None)
        if metadata is not None and len(metadata.columns):
            frame = pd.concat([frame, metadata.reset_index(drop=True)], axis=1)
        frames.append(frame)
    columns = ["behavior", "start", "stop"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def traces_to_tsdframe(traces: xr.DataArray):
    """(time, channel) traces (or probabilities (time, behavior)) as a ``pynapple.TsdFrame``."""
    nap = _nap()
    column_dim = next(d for d in traces.dims if d != "time")
    data = traces.transpose("time", column_dim)
    return nap.TsdFrame(
        t=data["time"].to_numpy(), d=data.to_numpy(), columns=[str(c) for c in data[column_dim].to_numpy()]
    )


def traces_from_tsdframe(frame, *, clock: str = "neural", kind: str = "calcium") -> xr.DataArray:
    """A ``pynapple.TsdFrame`` (or ``Tsd``) as canonical (time, channel) traces."""
    values = np.asarray(frame.values)
    if values.ndim == 1:
        values = values[:, None]
    columns = list(frame.columns) if hasattr(frame, "columns") else [0]
    return make_traces(values, times=np.asarray(frame.index), channels=columns, clock=clock, kind=kind)


def events_to_ts(event_times: np.ndarray):
    """Event times as a ``pynapple.Ts``."""
    return _nap().Ts(t=np.asarray(event_times, dtype=np.float64))
