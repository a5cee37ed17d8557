"""Neural objects as lake datasets (Zarr): units, pulse and frame times, traces.

Units keep NWB's ragged layout: ``spike_times`` along ``spike`` and
``spike_times_index`` along ``unit``, with the unit metadata as coordinates on
``unit``. Pulses and frame times are one ``times`` variable. Traces are a
``traces`` (time, channel) variable. The clock the times are on is ``attrs["clock"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from etholake.neural.containers import Units

UNITS_SCHEMA = "etholake.units/1"
EVENTS_SCHEMA = "etholake.times/1"


def units_to_dataset(units: Units) -> xr.Dataset:
    """Store :class:`Units` as a dataset (metadata columns become ``unit`` coordinates)."""
    coords: dict[str, tuple] = {"unit": ("unit", np.array([str(u) for u in units.unit_ids], dtype=object))}
    for column in units.metadata.columns:
        values = units.metadata[column].to_numpy()
        if values.dtype.kind not in "biuf":
            values = np.array(
                ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values], dtype=object
            )
        coords[f"unit_{column}"] = ("unit", values)
    return xr.Dataset(
        {
            "spike_times": ("spike", units.spike_times),
            "spike_times_index": ("unit", units.spike_times_index),
        },
        coords=coords,
        attrs={"schema": UNITS_SCHEMA, "clock": units.clock, "source_file": units.source_file, **units.attrs},
    )


def units_from_dataset(ds: xr.Dataset) -> Units:
    """The inverse of :func:`units_to_dataset`."""
    columns = {name[len("unit_") :]: ds[name].values for name in ds.coords if name.startswith("unit_")}
    metadata = pd.DataFrame(columns, index=pd.Index([str(u) for u in ds["unit"].values], name="unit_id"))
    attrs = {k: v for k, v in ds.attrs.items() if k not in ("schema", "clock", "source_file")}
    return Units(
        np.asarray(ds["spike_times"].values, dtype=np.float64),
        np.asarray(ds["spike_times_index"].values, dtype=np.int64),
        metadata,
        clock=ds.attrs.get("clock", "neural"),
        source_file=ds.attrs.get("source_file", ""),
        attrs=attrs,
    )


def times_to_dataset(times: np.ndarray, *, clock: str, what: str, source_file: str) -> xr.Dataset:
    """Pulse or frame times (s) on ``clock`` as a dataset; ``what`` is ``pulses`` or ``frame_times``."""
    return xr.Dataset(
        {"times": ("event", np.asarray(times, dtype=np.float64))},
        attrs={"schema": EVENTS_SCHEMA, "clock": clock, "what": what, "source_file": source_file},
    )


def traces_to_dataset(traces: xr.DataArray) -> xr.Dataset:
    """A (time, channel) trace array as a dataset with one ``traces`` variable."""
    ds = traces.rename("traces").to_dataset()
    ds.attrs = {**traces.attrs, "schema": traces.attrs.get("schema", "etholake.traces/1")}
    ds["traces"].attrs = {}
    return ds
