"""Canonical neural objects: spike-sorted units and continuous traces.

Units follow NWB's ragged layout: one flat ``spike_times`` array (seconds, sorted
within each unit) and ``spike_times_index``, the end offset of each unit's spikes,
plus a unit metadata table (one row per unit, indexed by ``unit_id``; columns such
as ``location``, ``depth``, ``quality`` and the electrode coordinates ``x, y, z``
when the source has them). Traces (calcium, LFP) are an ``xarray.DataArray``
(time, channel) with ``time`` in seconds on the clock named by ``attrs["clock"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import SchemaError

TRACES_SCHEMA = "etholake.traces/1"


@dataclass(frozen=True)
class Units:
    """Spike-sorted units in NWB's ragged layout.

    Attributes
    ----------
    spike_times
        float64 array of every spike time (s), unit after unit, sorted within each unit.
    spike_times_index
        int64 array (n_units,): ``spike_times[index[i-1]:index[i]]`` are the spikes of unit ``i``.
    metadata
        One row per unit, indexed by ``unit_id`` (the source's ids, kept as given).
    clock
        Name of the clock the spike times are on (``"neural"`` unless re-timed).
    source_file
        Where the units were read from.
    attrs
        Extra facts, e.g. ``resolution`` (s, 1 / sampling rate of the recording).
    """

    spike_times: np.ndarray
    spike_times_index: np.ndarray
    metadata: pd.DataFrame
    clock: str = "neural"
    source_file: str = ""
    attrs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = np.asarray(self.spike_times, dtype=np.float64)
        index = np.asarray(self.spike_times_index, dtype=np.int64)
        object.__setattr__(self, "spike_times", times)
        object.__setattr__(self, "spike_times_index", index)
        if index.ndim != 1 or len(index) != len(self.metadata):
            raise SchemaError(
                f"units: spike_times_index has {index.size} entries but the metadata table {len(self.metadata)} rows"
            )
        if len(index) and (np.any(np.diff(index) < 0) or index[0] < 0 or index[-1] != len(times)):
            raise SchemaError("units: spike_times_index must be non-decreasing and end at len(spike_times)")
        if not np.all(np.isfinite(times)):
            raise SchemaError("units: spike times must be finite")
        starts = self.starts
        within_unit = np.ones(max(len(times) - 1, 0), dtype=bool)
        within_unit[starts[1:][(starts[1:] > 0) & (starts[1:] < len(times))] - 1] = False
        if np.any(np.diff(times)[within_unit] < 0):
            raise SchemaError("units: spike times must be sorted within each unit (use Units.from_spike_trains)")

    @property
    def n_units(self) -> int:
        return len(self.spike_times_index)

    @property
    def unit_ids(self) -> np.ndarray:
        return self.metadata.index.to_numpy()

    @property
    def starts(self) -> np.ndarray:
        """Start offset of each unit's spikes in ``spike_times``."""
        return np.concatenate([[0], self.spike_times_index[:-1]]).astype(np.int64)

    @property
    def spike_counts(self) -> np.ndarray:
        return np.diff(np.concatenate([[0], self.spike_times_index]))

    def spike_train(self, position: int) -> np.ndarray:
        """Spike times of the unit at ``position`` (0-based row of the metadata table)."""
        return self.spike_times[self.starts[position] : self.spike_times_index[position]]

    def unit_of_spike(self) -> np.ndarray:
        """Row position of the unit each spike belongs to."""
        return np.repeat(np.arange(self.n_units), self.spike_counts)

    def retimed(self, mapping, clock: str) -> Units:
        """Units with every spike time passed through ``mapping`` (e.g. a :class:`ClockMap`)."""
        return Units(
            np.asarray(mapping(self.spike_times)),
            self.spike_times_index,
            self.metadata,
            clock=clock,
            source_file=self.source_file,
            attrs=dict(self.attrs),
        )

    @classmethod
    def from_spike_trains(
        cls,
        trains: Mapping[object, Sequence[float]] | Sequence[Sequence[float]],
        *,
        metadata: pd.DataFrame | None = None,
        clock: str = "neural",
        source_file: str = "",
        attrs: dict | None = None,
    ) -> Units:
        """Build units from one array of spike times per unit (sorted here if needed).

        Parameters
        ----------
        trains
            ``{unit_id: times}`` or a list of time arrays (ids 0, 1, ...).
        metadata
            Unit table indexed by unit id, in the same order as ``trains``.
        clock, source_file, attrs
            As the attributes of the same names.
        """
        if isinstance(trains, Mapping):
            ids = list(trains.keys())
            arrays = [np.asarray(trains[k], dtype=np.float64) for k in ids]
        else:
            arrays = [np.asarray(t, dtype=np.float64) for t in trains]
            ids = list(range(len(arrays)))
        arrays = [np.sort(a) for a in arrays]
        flat = np.concatenate(arrays) if arrays else np.zeros(0)
        index = np.cumsum([len(a) for a in arrays]).astype(np.int64)
        if metadata is None:
            metadata = pd.DataFrame(index=pd.Index(ids, name="unit_id"))
        return cls(flat, index, metadata, clock=clock, source_file=source_file, attrs=dict(attrs or {}))


def make_traces(
    data: np.ndarray,
    *,
    times: np.ndarray | None = None,
    rate: float | None = None,
    starting_time: float = 0.0,
    channels: Sequence | None = None,
    clock: str = "neural",
    units: str = "a.u.",
    source_file: str = "",
    kind: str = "calcium",
    extra_attrs: dict | None = None,
) -> xr.DataArray:
    """Build a canonical (time, channel) trace array.

    Parameters
    ----------
    data
        Array (time, channel).
    times
        Sample times (s); or give ``rate`` (Hz) and ``starting_time``.
    channels
        Channel (ROI, electrode) ids; defaults to 0, 1, ...
    clock, units, source_file, kind
        Stored as attributes.
    """
    data = np.asarray(data)
    if data.ndim != 2:
        raise SchemaError(f"traces must be 2-D (time, channel), got shape {data.shape}")
    if times is None:
        if not rate or rate <= 0:
            raise SchemaError("traces need sample times or a positive sampling rate")
        times = starting_time + np.arange(data.shape[0]) / float(rate)
    times = np.asarray(times, dtype=np.float64)
    if times.shape != (data.shape[0],):
        raise SchemaError(f"traces: {times.size} sample times for {data.shape[0]} samples")
    channels = np.arange(data.shape[1]) if channels is None else np.asarray(channels)
    attrs = {
        "clock": clock,
        "units": units,
        "source_file": str(source_file),
        "kind": kind,
        "schema": TRACES_SCHEMA,
        "rate": _sampling_rate(times, rate),
    }
    attrs.update(extra_attrs or {})
    return xr.DataArray(data, dims=("time", "channel"), coords={"time": times, "channel": channels}, attrs=attrs)


def _sampling_rate(times: np.ndarray, declared: float | None) -> float:
    if declared:
        return float(declared)
    return float(1.0 / np.median(np.diff(times))) if times.size > 1 else float("nan")
